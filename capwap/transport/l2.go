package transport

import (
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/mdlayher/packet"
)

// L2Addr is a peer reached over raw Ethernet: its MAC address and the local
// interface it was seen on. It prints as MAC%interface.
type L2Addr struct {
	MAC       net.HardwareAddr
	Interface string
}

// Network returns "capwap-l2".
func (a *L2Addr) Network() string { return "capwap-l2" }

// String returns MAC%interface.
func (a *L2Addr) String() string { return a.MAC.String() + "%" + a.Interface }

// L2Broadcast is the Ethernet broadcast address.
var L2Broadcast = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// L2Conn is one CAPWAP channel over raw Ethernet frames on one interface
// (AF_PACKET, SOCK_DGRAM, EtherType 0x88B5). Frames of the other channel and
// frames without capstan's header are dropped. It needs CAP_NET_RAW.
type L2Conn struct {
	conn    *packet.Conn
	ifname  string
	channel Channel
}

// ListenL2 opens channel ch on interface ifname.
func ListenL2(ifname string, ch Channel) (*L2Conn, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("l2 listen: %w", err)
	}
	c, err := packet.Listen(ifi, packet.Datagram, EtherType, nil)
	if err != nil {
		return nil, fmt.Errorf("l2 listen on %s: %w", ifname, err)
	}
	return &L2Conn{conn: c, ifname: ifname, channel: ch}, nil
}

// ReadFrom reads the payload of the next frame of this conn's channel.
func (c *L2Conn) ReadFrom(b []byte) (int, net.Addr, error) {
	buf := make([]byte, 1600)
	for {
		n, addr, err := c.conn.ReadFrom(buf)
		if err != nil {
			return 0, nil, err
		}
		ch, payload, err := parseL2Frame(buf[:n])
		if err != nil || ch != c.channel {
			continue
		}
		pa, ok := addr.(*packet.Addr)
		if !ok {
			continue
		}
		mac := make(net.HardwareAddr, len(pa.HardwareAddr))
		copy(mac, pa.HardwareAddr)
		return copy(b, payload), &L2Addr{MAC: mac, Interface: c.ifname}, nil
	}
}

// WriteTo sends b in one frame to addr, an *L2Addr or a *packet.Addr.
func (c *L2Conn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if len(b) > L2MaxPayload {
		return 0, fmt.Errorf("l2 write: %d bytes exceed the %d a frame carries", len(b), L2MaxPayload)
	}
	var mac net.HardwareAddr
	switch a := addr.(type) {
	case *L2Addr:
		mac = a.MAC
	case *packet.Addr:
		mac = a.HardwareAddr
	default:
		return 0, fmt.Errorf("l2 write: address %v is not a MAC address", addr)
	}
	frame := appendL2Header(make([]byte, 0, l2HeaderLen+len(b)), c.channel, len(b))
	frame = append(frame, b...)
	if _, err := c.conn.WriteTo(frame, &packet.Addr{HardwareAddr: mac}); err != nil {
		return 0, err
	}
	return len(b), nil
}

// SyscallConn returns the raw socket, for its options.
func (c *L2Conn) SyscallConn() (syscall.RawConn, error) { return c.conn.SyscallConn() }

// Close closes the socket.
func (c *L2Conn) Close() error { return c.conn.Close() }

// LocalAddr returns the interface's own MAC address.
func (c *L2Conn) LocalAddr() net.Addr {
	if pa, ok := c.conn.LocalAddr().(*packet.Addr); ok {
		return &L2Addr{MAC: pa.HardwareAddr, Interface: c.ifname}
	}
	return c.conn.LocalAddr()
}

// SetDeadline sets both deadlines.
func (c *L2Conn) SetDeadline(t time.Time) error { return c.conn.SetDeadline(t) }

// SetReadDeadline sets the read deadline.
func (c *L2Conn) SetReadDeadline(t time.Time) error { return c.conn.SetReadDeadline(t) }

// SetWriteDeadline sets the write deadline.
func (c *L2Conn) SetWriteDeadline(t time.Time) error { return c.conn.SetWriteDeadline(t) }

// DataMTU is what one data-channel packet to addr may carry (the CAPWAP
// header and payload): a 1500-byte underlay less the IP and UDP headers,
// or one layer-2 frame's payload. Larger frames go in CAPWAP fragments.
func DataMTU(addr net.Addr) int {
	switch a := addr.(type) {
	case *L2Addr:
		return L2MaxPayload
	case *net.UDPAddr:
		if a.IP.To4() == nil {
			return 1500 - 40 - 8
		}
	}
	return 1500 - 20 - 8
}
