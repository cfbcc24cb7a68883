package transport

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// EnableGRO turns UDP GRO on for c (Linux 5.0): the kernel may hand a
// sender's run of equal-size datagrams over in one read, with the size in
// a UDP_GRO control message (GROSegment).
func EnableGRO(c *net.UDPConn) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_GRO, 1)
	}); err != nil {
		return err
	}
	return serr
}

// GROSegment is the datagram size of a coalesced read from its control
// messages, 0 when the read is one datagram.
func GROSegment(oob []byte) int {
	for len(oob) >= unix.SizeofCmsghdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
		n := int(h.Len)
		if n < unix.SizeofCmsghdr || n > len(oob) {
			return 0
		}
		if h.Level == unix.IPPROTO_UDP && h.Type == unix.UDP_GRO && n >= unix.CmsgLen(4) {
			return int(*(*int32)(unsafe.Pointer(&oob[unix.CmsgLen(0)])))
		}
		oob = oob[min(len(oob), unix.CmsgSpace(n-unix.CmsgLen(0))):]
	}
	return 0
}

// GSO sends runs of equal-size datagrams on a connected UDP socket with
// one system call each (UDP_SEGMENT, Linux 4.18): the kernel, or the
// device, cuts them apart. Add queues a datagram; a run ends when a
// datagram is longer than the run's first, after a shorter one (the last
// of a run may be short), at 64 datagrams or 64 KiB; Flush sends what is
// queued. A GSO is used by one goroutine at a time.
type GSO struct {
	conn *net.UDPConn
	to   netip.AddrPort // on an unconnected socket, the destination
	buf  []byte
	seg  int  // the run's datagram size
	n    int  // datagrams queued
	tail bool // the last one queued was short: the run is closed
	oob  []byte
	off  bool    // the kernel refused UDP_SEGMENT: one write per datagram
	bp   *[]byte // buf's pool entry, while a run is queued
}

// gsoMax is the most a run carries: a UDP datagram's largest payload.
const gsoMax = 65507

// gsoBuffers lend runs their buffer from Add to Flush, so that a manager
// with 20,000 sessions holds one per sender sending at the moment, not one
// per session.
var gsoBuffers = sync.Pool{New: func() any { b := make([]byte, 0, gsoMax); return &b }}

// NewGSO returns a GSO for conn, a connected UDP socket.
func NewGSO(conn *net.UDPConn) *GSO {
	return &GSO{conn: conn, oob: make([]byte, unix.CmsgSpace(2))}
}

// NewGSOTo returns a GSO that sends to to over conn, an unconnected UDP
// socket.
func NewGSOTo(conn *net.UDPConn, to netip.AddrPort) *GSO {
	g := NewGSO(conn)
	g.to = to
	return g
}

func (g *GSO) write(p []byte) error {
	var err error
	if g.to.IsValid() {
		_, err = g.conn.WriteToUDPAddrPort(p, g.to)
	} else {
		_, err = g.conn.Write(p)
	}
	return err
}

// Add queues p, sending the run before it if p cannot join it.
func (g *GSO) Add(p []byte) error {
	if g.off {
		return g.write(p)
	}
	if g.n > 0 && (g.tail || len(p) > g.seg || len(g.buf)+len(p) > cap(g.buf) || g.n == 64) {
		if err := g.Flush(); err != nil {
			return err
		}
	}
	if g.n == 0 {
		if len(p) > gsoMax {
			return g.write(p)
		}
		g.bp = gsoBuffers.Get().(*[]byte)
		g.buf = (*g.bp)[:0]
		g.seg = len(p)
	} else if len(p) < g.seg {
		g.tail = true
	}
	g.buf = append(g.buf, p...)
	g.n++
	return nil
}

// Flush sends the queued run.
func (g *GSO) Flush() error {
	if g.n == 0 {
		return nil
	}
	var err error
	if g.n == 1 {
		err = g.write(g.buf)
	} else {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&g.oob[0]))
		h.Level, h.Type = unix.IPPROTO_UDP, unix.UDP_SEGMENT
		h.SetLen(unix.CmsgLen(2))
		*(*uint16)(unsafe.Pointer(&g.oob[unix.CmsgLen(0)])) = uint16(g.seg)
		if g.to.IsValid() {
			_, _, err = g.conn.WriteMsgUDPAddrPort(g.buf, g.oob, g.to)
		} else {
			_, _, err = g.conn.WriteMsgUDP(g.buf, g.oob, nil)
		}
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EIO) || errors.Is(err, unix.ENOPROTOOPT) || errors.Is(err, unix.EOPNOTSUPP) {
			// A kernel without UDP GSO (before 4.18) or a device that
			// cannot do it: from now on one write per datagram.
			g.off, err = true, nil
			for off := 0; off < len(g.buf); off += g.seg {
				if werr := g.write(g.buf[off:min(off+g.seg, len(g.buf))]); werr != nil {
					err = werr
				}
			}
		}
	}
	*g.bp = g.buf[:0]
	gsoBuffers.Put(g.bp)
	g.bp, g.buf, g.n, g.tail = nil, nil, 0, false
	return err
}
