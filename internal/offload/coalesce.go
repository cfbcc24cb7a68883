package offload

import (
	"bytes"
	"encoding/binary"
)

// A Writer takes one frame preceded by its virtio-net header (a TAP
// opened with IFF_VNET_HDR). The frame is valid only during the call.
type Writer interface {
	WriteVirtio(pkt []byte) error
}

// Limits of a Coalescer.
const (
	maxFlows = 8     // flows merged at once
	maxIPLen = 65535 // the IP length of a merged frame
	maxSegs  = 64    // segments in one merged frame
)

// Coalescer merges the TCP segments of each flow it is given between two
// Flushes into frames of up to 64 KiB, as the kernel's GRO does: a
// segment joins its flow's frame only if every header field but the
// lengths, the IPv4 ID, the sequence number and the checksums is the
// same, it starts where the frame ends, it is no longer than the first
// segment, the segment before it was as long as the first and carried no
// PSH, and its IPv4 and TCP checksums are right. Anything else goes
// through as it came, after the frame of its own flow if one is open, so
// that a flow's order is kept. A Coalescer holds up to 8 flows of 64 KiB
// (512 KiB, each allocated when first needed) and is used by one goroutine
// at a time.
type Coalescer struct {
	flows  []*flow // open, oldest first
	spare  []*flow
	single []byte
}

// flow is one open merged frame.
type flow struct {
	w      Writer
	buf    []byte // virtio header, then the frame
	l      layout // of the frame in buf[VirtioHdrLen:]
	segs   int
	size   int    // the first segment's payload length: the GSO size
	next   uint32 // the sequence number the next segment must have
	id     uint16 // the IPv4 ID the next segment must have without DF
	closed bool   // a short segment or PSH: nothing more joins
	pushed bool
}

// NewCoalescer returns an empty Coalescer.
func NewCoalescer() *Coalescer {
	return &Coalescer{single: make([]byte, VirtioHdrLen+2048)}
}

// Add takes frame for w, merging it into an open frame of its flow or
// opening one, or writing it through. frame is copied.
func (c *Coalescer) Add(w Writer, frame []byte) error {
	l, ok := parseTCP(frame)
	i := -1
	if ok {
		i = c.find(w, frame, l)
	}
	if !ok || !mergeable(frame, l) {
		if i >= 0 {
			if err := c.flushAt(i); err != nil {
				return err
			}
		}
		return c.through(w, frame)
	}
	if i >= 0 {
		f := c.flows[i]
		if f.join(frame, l) {
			if f.closed {
				return c.flushAt(i)
			}
			return nil
		}
		if err := c.flushAt(i); err != nil {
			return err
		}
	}
	if !ipv4HeaderOK(frame, l) || !tcpChecksumOK(frame, l) {
		return c.through(w, frame)
	}
	if len(c.flows) == maxFlows {
		if err := c.flushAt(0); err != nil {
			return err
		}
	}
	c.open(w, frame, l)
	return nil
}

// Flush writes every open frame.
func (c *Coalescer) Flush() error {
	var first error
	for len(c.flows) > 0 {
		if err := c.flushAt(0); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// through writes frame as it is, with a header that asks nothing.
func (c *Coalescer) through(w Writer, frame []byte) error {
	if len(c.single) < VirtioHdrLen+len(frame) {
		c.single = make([]byte, VirtioHdrLen+len(frame))
	}
	n := copy(c.single[VirtioHdrLen:], frame)
	VirtioHdr{}.Encode(c.single)
	return w.WriteVirtio(c.single[:VirtioHdrLen+n])
}

// find returns the index of the open flow of frame for w, or -1: the same
// Ethernet header, addresses and ports.
func (c *Coalescer) find(w Writer, frame []byte, l layout) int {
	for i, f := range c.flows {
		if f.w != w || f.l.l3 != l.l3 || f.l.v6 != l.v6 {
			continue
		}
		g := f.buf[VirtioHdrLen:]
		if !bytes.Equal(g[:l.l3], frame[:l.l3]) || !bytes.Equal(g[f.l.l4:f.l.l4+4], frame[l.l4:l.l4+4]) {
			continue
		}
		if l.v6 {
			if bytes.Equal(g[l.l3+8:l.l3+40], frame[l.l3+8:l.l3+40]) {
				return i
			}
		} else if bytes.Equal(g[l.l3+12:l.l3+20], frame[l.l3+12:l.l3+20]) {
			return i
		}
	}
	return -1
}

// mergeable reports whether a segment may be merged at all: data, only
// ACK and PSH set, no IPv4 options, no padding after the datagram.
func mergeable(frame []byte, l layout) bool {
	if flags := frame[l.l4+13]; flags&^tcpPSH != tcpACK {
		return false
	}
	if !l.v6 && l.l4-l.l3 != 20 {
		return false
	}
	return l.end == len(frame) && l.payload < l.end
}

func (c *Coalescer) open(w Writer, frame []byte, l layout) {
	var f *flow
	if n := len(c.spare); n > 0 {
		f, c.spare = c.spare[n-1], c.spare[:n-1]
	} else {
		f = &flow{buf: make([]byte, 0, VirtioHdrLen+maxIPLen+18)}
	}
	f.w, f.l, f.segs = w, l, 1
	f.buf = append(append(f.buf[:0], make([]byte, VirtioHdrLen)...), frame...)
	f.size = l.end - l.payload
	f.next = binary.BigEndian.Uint32(frame[l.l4+4:]) + uint32(f.size)
	if !l.v6 {
		f.id = binary.BigEndian.Uint16(frame[l.l3+4:]) + 1
	}
	f.pushed = frame[l.l4+13]&tcpPSH != 0
	f.closed = f.pushed
	c.flows = append(c.flows, f)
}

// join appends the segment frame to f if it may join.
func (f *flow) join(frame []byte, l layout) bool {
	n := l.end - l.payload
	g := f.buf[VirtioHdrLen:]
	switch {
	case f.closed || f.segs >= maxSegs || n > f.size || l.payload != f.l.payload:
		return false
	case binary.BigEndian.Uint32(frame[l.l4+4:]) != f.next:
		return false
	case f.l.end-f.l.l3+n > maxIPLen:
		return false
	}
	// Every header byte but lengths, IPv4 ID and checksum, sequence
	// number, PSH and the TCP checksum.
	if l.v6 {
		if !bytes.Equal(g[l.l3:l.l3+4], frame[l.l3:l.l3+4]) || !bytes.Equal(g[l.l3+6:l.l4], frame[l.l3+6:l.l4]) {
			return false
		}
	} else {
		if !bytes.Equal(g[l.l3:l.l3+2], frame[l.l3:l.l3+2]) || !bytes.Equal(g[l.l3+6:l.l3+10], frame[l.l3+6:l.l3+10]) {
			return false
		}
		df := frame[l.l3+6]&0x40 != 0
		if !df && binary.BigEndian.Uint16(frame[l.l3+4:]) != f.id {
			return false
		}
	}
	if !bytes.Equal(g[l.l4:l.l4+4], frame[l.l4:l.l4+4]) || !bytes.Equal(g[l.l4+8:l.l4+13], frame[l.l4+8:l.l4+13]) ||
		!bytes.Equal(g[l.l4+14:l.l4+16], frame[l.l4+14:l.l4+16]) || !bytes.Equal(g[l.l4+18:l.payload], frame[l.l4+18:l.payload]) {
		return false
	}
	if !ipv4HeaderOK(frame, l) || !tcpChecksumOK(frame, l) {
		return false
	}
	f.buf = append(f.buf, frame[l.payload:l.end]...)
	f.l.end += n
	f.segs++
	f.next += uint32(n)
	f.id++
	if frame[l.l4+13]&tcpPSH != 0 {
		f.pushed, f.closed = true, true
	}
	if n < f.size {
		f.closed = true
	}
	return true
}

// flushAt writes open flow i and forgets it.
func (c *Coalescer) flushAt(i int) error {
	f := c.flows[i]
	copy(c.flows[i:], c.flows[i+1:])
	c.flows[len(c.flows)-1] = nil
	c.flows = c.flows[:len(c.flows)-1]
	err := f.write()
	f.w = nil
	c.spare = append(c.spare, f)
	return err
}

// write sends f's frame: as it came when it holds one segment, else with
// the merged lengths, a partial TCP checksum and a GSO header.
func (f *flow) write() error {
	if f.segs == 1 {
		VirtioHdr{}.Encode(f.buf)
		return f.w.WriteVirtio(f.buf)
	}
	g, l := f.buf[VirtioHdrLen:], f.l
	gso := uint8(GSOTCPv4)
	if l.v6 {
		gso = GSOTCPv6
		binary.BigEndian.PutUint16(g[l.l3+4:], uint16(l.end-l.l4))
	} else {
		binary.BigEndian.PutUint16(g[l.l3+2:], uint16(l.end-l.l3))
		ipv4HeaderChecksum(g[l.l3:l.l4])
	}
	if f.pushed {
		g[l.l4+13] |= tcpPSH
	}
	binary.BigEndian.PutUint16(g[l.l4+16:], fold(pseudo(g[l.l3:], l.v6, 6, l.end-l.l4)))
	VirtioHdr{Flags: FlagNeedsCsum, GSOType: gso, HdrLen: uint16(l.payload), GSOSize: uint16(f.size),
		CsumStart: uint16(l.l4), CsumOffset: 16}.Encode(f.buf)
	return f.w.WriteVirtio(f.buf)
}
