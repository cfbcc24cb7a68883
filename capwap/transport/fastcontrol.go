package transport

import (
	"errors"
	"net"

	"github.com/pion/dtls/v3"

	"github.com/capstan-wifi/capstan/capwap/dtlsrecord"
)

// FastControl moves cc, the control channel on conn (an established pion
// association through peer), to the fast record path: from now on the
// mux's reader opens the association's records itself (dtlsrecord, from
// pion's exported state) and hands the packets to cc on its own goroutine
// (Inject), and everything cc sends is sealed the same way, close_notify
// included. Records that are not application data of the association (an
// alert, a new handshake) still go to pion. Sealed record numbers start
// 2^32 above pion's, so the peer, pion or not, takes them. dropped is
// called for each record refused (replayed or forged). It returns false,
// and cc stays on pion, when pion's state cannot be exported.
func FastControl(cc *ControlConn, peer *Peer, conn *dtls.Conn, dropped func()) bool {
	return cc.SwitchToFastPath(func() *FastPath {
		ch := ExportConn(conn)
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
				if dropped != nil {
					dropped()
				}
				return true
			}
			peer.Rebind(addr)
			cc.Inject(pkt)
			return true
		})
		var buf []byte // guarded by the control channel's send lock
		return &FastPath{
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
