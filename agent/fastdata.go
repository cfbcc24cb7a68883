package agent

import (
	"net/netip"
	"time"

	"github.com/capstan-wifi/capstan/capwap/transport"
)

// fastHandoff moves an established DTLS data channel on UDP from pion to
// the fast record path (transport.RecordConn): pion's handshake ran on
// dup, a copy of the socket udp.
type fastHandoff struct {
	udp, dup *transport.ConnectedUDP
	dc       *transport.DataConn
	taken    bool
}

// take exports the association and lets pion go without a word on the
// wire, keeping the socket; nil (pion stays) when pion's state cannot be
// exported.
func (f *fastHandoff) take() *transport.RecordConn {
	if f == nil || f.dc == nil {
		return nil
	}
	ch := transport.ExportChannel(f.dc)
	if ch == nil {
		return nil
	}
	// pion's close_notify would only waste a datagram (its sequence
	// numbers stay apart from the Channel's): it is not sent.
	_ = f.dup.SetWriteDeadline(time.Unix(1, 0))
	f.taken = true
	f.dc.Close()
	return transport.NewRecordConn(f.udp.UDPConn, netip.AddrPort{}, ch)
}

// Close closes the socket with the DataConn, unless it was taken.
func (f *fastHandoff) Close() error {
	if f.taken {
		return nil
	}
	return f.udp.Close()
}
