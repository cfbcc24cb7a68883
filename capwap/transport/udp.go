package transport

import (
	"context"
	"fmt"
	"net"
	"syscall"
)

// IANA ports of CAPWAP (RFC 5415 §15.7).
const (
	ControlPort = 5246
	DataPort    = 5247
)

// ListenUDP opens a UDP socket on addr ("host:port"; port 0 picks one) with
// SO_BROADCAST set, so the agent can send Discovery Requests to broadcast
// addresses and the manager can answer them.
func ListenUDP(ctx context.Context, addr string) (*net.UDPConn, error) {
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_BROADCAST, 1)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	pc, err := lc.ListenPacket(ctx, "udp4", addr)
	if err != nil {
		return nil, fmt.Errorf("udp listen %s: %w", addr, err)
	}
	return pc.(*net.UDPConn), nil
}
