package offload

import (
	"encoding/binary"
)

// seg describes one test TCP segment.
type seg struct {
	v6       bool
	vlan     uint16
	src, dst byte // last byte of the addresses
	sport    uint16
	seq, ack uint32
	id       uint16
	df       bool
	flags    uint8
	window   uint16
	ts       uint32 // a timestamp option when not 0
	payload  []byte
}

// build returns s as an Ethernet frame with right checksums.
func (s seg) build() []byte {
	f := []byte{2, 0, 0, 0, 0, s.dst, 2, 0, 0, 0, 0, s.src}
	if s.vlan != 0 {
		f = binary.BigEndian.AppendUint16(f, 0x8100)
		f = binary.BigEndian.AppendUint16(f, s.vlan)
	}
	tcpLen := 20
	if s.ts != 0 {
		tcpLen = 32
	}
	l3 := len(f) + 2
	if s.v6 {
		f = binary.BigEndian.AppendUint16(f, 0x86dd)
		f = append(f, 0x60, 0, 0, 0)
		f = binary.BigEndian.AppendUint16(f, uint16(tcpLen+len(s.payload)))
		f = append(f, 6, 64)
		f = append(f, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, s.src)
		f = append(f, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, s.dst)
	} else {
		f = binary.BigEndian.AppendUint16(f, 0x0800)
		f = append(f, 0x45, 0)
		f = binary.BigEndian.AppendUint16(f, uint16(20+tcpLen+len(s.payload)))
		f = binary.BigEndian.AppendUint16(f, s.id)
		if s.df {
			f = append(f, 0x40, 0)
		} else {
			f = append(f, 0, 0)
		}
		f = append(f, 64, 6, 0, 0, 10, 0, 0, s.src, 10, 0, 0, s.dst)
		ipv4HeaderChecksum(f[l3 : l3+20])
	}
	l4 := len(f)
	f = binary.BigEndian.AppendUint16(f, s.sport)
	f = binary.BigEndian.AppendUint16(f, 5201)
	f = binary.BigEndian.AppendUint32(f, s.seq)
	f = binary.BigEndian.AppendUint32(f, s.ack)
	f = append(f, byte(tcpLen/4)<<4, s.flags)
	f = binary.BigEndian.AppendUint16(f, s.window)
	f = append(f, 0, 0, 0, 0)
	if s.ts != 0 {
		f = append(f, 1, 1, 8, 10)
		f = binary.BigEndian.AppendUint32(f, s.ts)
		f = binary.BigEndian.AppendUint32(f, 7)
	}
	f = append(f, s.payload...)
	l, _ := parseTCP(f)
	acc := pseudo(f[l3:], s.v6, 6, len(f)-l4)
	binary.BigEndian.PutUint16(f[l4+16:], ^fold(sum(f[l4:], acc)))
	_ = l
	return f
}

// run returns n segments of one flow of size bytes each, the last with
// PSH.
func run(base seg, n, size int) []seg {
	out := make([]seg, n)
	for i := range out {
		s := base
		s.seq = base.seq + uint32(i*size)
		s.id = base.id + uint16(i)
		s.flags = tcpACK
		if i == n-1 {
			s.flags |= tcpPSH
		}
		s.payload = make([]byte, size)
		for j := range s.payload {
			s.payload[j] = byte(i*7 + j)
		}
		out[i] = s
	}
	return out
}

// capture is a Writer that keeps what it is given.
type capture struct{ pkts [][]byte }

func (c *capture) WriteVirtio(pkt []byte) error {
	c.pkts = append(c.pkts, append([]byte(nil), pkt...))
	return nil
}

// frames cuts every captured packet back into frames with Segment.
func (c *capture) frames() ([][]byte, error) {
	var out [][]byte
	scratch := make([]byte, 65536+VirtioHdrLen)
	for _, p := range c.pkts {
		if err := Segment(p, scratch, func(f []byte) { out = append(out, append([]byte(nil), f...)) }); err != nil {
			return nil, err
		}
	}
	return out, nil
}
