package controlplane

import (
	"github.com/pion/dtls/v3"

	"github.com/capstan-wifi/capstan/capwap/transport"
)

// The control channel's fast path (transport.FastControl): once the DTLS
// handshake is done, the socket's reader opens the session's records and
// answers its echoes itself, the bulk of a fleet's steady traffic, with no
// pion goroutine and no hand-over per echo.

// fastControl moves session c's control channel, on conn from peer, to
// the fast path; it stays on pion when pion's state cannot be exported.
func (c *session) fastControl(peer *transport.Peer, conn *dtls.Conn) bool {
	return transport.FastControl(c.cc, peer, conn, func() {
		c.srv.metrics.limited.WithLabelValues("control-records").Inc()
	})
}

// ControlPackets counts the control packets of the sessions now joined by
// the path they came in: opened on the fast path, or read from pion.
func (s *Server) ControlPackets() (fast, pion uint64) {
	for _, c := range s.joined() {
		f, p := c.cc.Received()
		fast, pion = fast+f, pion+p
	}
	return fast, pion
}
