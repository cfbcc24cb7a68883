package controlplane

import (
	"errors"
	"net"

	"github.com/pion/dtls/v3"

	"github.com/capstan-wifi/capstan/capwap/dtlsrecord"
	"github.com/capstan-wifi/capstan/capwap/transport"
)

// The control channel's fast path: once the DTLS handshake is done, the
// mux's reader opens the session's records itself (capwap/dtlsrecord, from
// pion's exported state) and hands the packets to the control channel on
// its own goroutine, where an Echo Request is answered and sealed at once:
// no pion goroutine and no hand-over per echo, the bulk of a fleet's
// steady traffic. Records that are not application data of the
// association (an alert, a new handshake) still go to pion; from the
// switch on, everything this side sends is sealed here, so that the CAP's
// replay window, which follows these numbers (2^32 above pion's), takes it.

// fastControl moves session c's control channel, on conn from peer, to
// the fast path; it stays on pion when pion's state cannot be exported.
func (c *session) fastControl(peer *transport.Peer, conn *dtls.Conn) bool {
	return c.cc.SwitchToFastPath(func() *transport.FastPath {
		ch := transport.ExportConn(conn)
		if ch == nil {
			return nil
		}
		var scratch []byte // the mux's reader is the only one to use it
		peer.SetFast(func(rec []byte, addr net.Addr) bool {
			scratch = append(scratch[:0], rec...)
			pkt, err := ch.Open(scratch)
			switch {
			case errors.Is(err, dtlsrecord.ErrNotRecord), errors.Is(err, dtlsrecord.ErrNotApplicationData):
				return false // pion's: an alert, a handshake
			case err != nil:
				c.srv.metrics.limited.WithLabelValues("control-records").Inc()
				return true // replayed or forged: dropped
			}
			peer.Rebind(addr)
			c.cc.Inject(pkt)
			return true
		})
		var buf []byte // guarded by the control channel's send lock
		return &transport.FastPath{
			Send: func(pkt []byte) error {
				out, err := ch.Seal(buf[:0], pkt)
				if err != nil {
					return err
				}
				buf = out
				return peer.WriteRecord(out)
			},
			Close: func() {
				if out, err := ch.SealCloseNotify(nil); err == nil {
					_ = peer.WriteRecord(out)
				}
			},
		}
	})
}

// ControlPackets counts the control packets of the sessions now joined by
// the path they came in: opened on the fast path, or read from pion.
func (s *Server) ControlPackets() (fast, pion uint64) {
	s.mu.Lock()
	sessions := make([]*session, 0, len(s.caps))
	for _, c := range s.caps {
		sessions = append(sessions, c)
	}
	s.mu.Unlock()
	for _, c := range sessions {
		f, p := c.cc.Received()
		fast, pion = fast+f, pion+p
	}
	return fast, pion
}
