package transport

import (
	"context"
	"fmt"
	"net"
	"net/netip"
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

// LocalIPv4For returns the local IPv4 address the kernel would use to reach
// peer (a connected UDP socket sends nothing), 0.0.0.0 for layer-2 peers or
// when there is no route. CAPWAP's address elements carry it.
func LocalIPv4For(peer net.Addr) netip.Addr {
	ua, ok := peer.(*net.UDPAddr)
	if !ok || ua.IP.IsUnspecified() {
		return netip.IPv4Unspecified()
	}
	c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: ua.IP, Port: ControlPort})
	if err != nil {
		return netip.IPv4Unspecified()
	}
	defer c.Close()
	a, ok := netip.AddrFromSlice(c.LocalAddr().(*net.UDPAddr).IP.To4())
	if !ok {
		return netip.IPv4Unspecified()
	}
	return a
}

// DialData opens the CAP's UDP data channel socket, connected to the
// manager's data port peer: the kernel keeps the route instead of looking
// it up for every packet, and only the manager's packets are read.
func DialData(ctx context.Context, peer *net.UDPAddr) (*ConnectedUDP, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "udp4", peer.String())
	if err != nil {
		return nil, fmt.Errorf("data channel to %s: %w", peer, err)
	}
	return &ConnectedUDP{UDPConn: c.(*net.UDPConn), peer: peer}, nil
}

// ConnectedUDP is a connected UDP socket as a net.PacketConn with one
// peer: WriteTo sends to it whatever the address.
type ConnectedUDP struct {
	*net.UDPConn
	peer *net.UDPAddr
}

// ReadFrom implements net.PacketConn.
func (c *ConnectedUDP) ReadFrom(b []byte) (int, net.Addr, error) {
	n, err := c.UDPConn.Read(b)
	return n, c.peer, err
}

// WriteTo implements net.PacketConn.
func (c *ConnectedUDP) WriteTo(b []byte, _ net.Addr) (int, error) { return c.UDPConn.Write(b) }

// Dup returns a second ConnectedUDP on the same socket (dup(2)): closing
// one leaves the other open. A DTLS handshake runs on the copy, so that
// the data channel's fast path keeps the socket after pion lets go.
func (c *ConnectedUDP) Dup() (*ConnectedUDP, error) {
	f, err := c.UDPConn.File()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pc, err := net.FilePacketConn(f)
	if err != nil {
		return nil, err
	}
	u, ok := pc.(*net.UDPConn)
	if !ok {
		pc.Close()
		return nil, fmt.Errorf("dup of %v: not UDP", c.LocalAddr())
	}
	return &ConnectedUDP{UDPConn: u, peer: c.peer}, nil
}
