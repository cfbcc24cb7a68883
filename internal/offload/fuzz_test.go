package offload

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// FuzzCoalesce: whatever segments of a few flows arrive, in whatever
// order and with whatever damage, Segment of what the Coalescer wrote
// gives back each flow's frames in their order, byte for byte (an IPv4
// ID and header checksum may differ where DF makes the ID meaningless),
// and arbitrary bytes never panic.
func FuzzCoalesce(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 1, 1, 1, 1, 2, 3, 4, 5})
	f.Add([]byte{0x10, 0x20, 0x30, 0x41, 0x52, 0x63, 0x74, 0x85, 0x96, 0xa7, 0xb8, 0xc9, 0xda, 0xeb, 0xfc})
	f.Add(bytes.Repeat([]byte{0}, 80))
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 300 {
			ops = ops[:300]
		}
		// Arbitrary bytes as a frame: no panic.
		c := NewCoalescer()
		_ = c.Add(nopWriter{}, ops)
		_ = Segment(ops, make([]byte, 70000), func([]byte) {})
		_ = c.Flush()

		flows := []seg{
			{src: 50, dst: 2, sport: 1, seq: 100, ack: 1, df: true, window: 9, ts: 3},
			{src: 51, dst: 2, sport: 2, seq: 0xfffffff0, ack: 1, id: 0xfff0, window: 9},
			{v6: true, src: 52, dst: 2, sport: 3, seq: 7, ack: 1, window: 9},
		}
		var in [][]byte
		for _, op := range ops {
			i := int(op) % len(flows)
			s := flows[i]
			n := []int{1, 100, 100, 100, 1388, 37}[int(op>>2)%6]
			s.payload = bytes.Repeat([]byte{op}, n)
			s.flags = tcpACK
			switch op >> 5 {
			case 1:
				s.flags |= tcpPSH
			case 2:
				s.ack++ // the flow's ack moves on
			case 3:
				s.seq += 1 // a gap
			}
			if op&0xf0 == 0xf0 {
				s.flags |= tcpFIN
			}
			fr := s.build()
			if op == 0xee {
				fr[len(fr)-1] ^= 1 // damaged on the way
			}
			in = append(in, fr)
			s.seq += uint32(n)
			s.id++
			flows[i] = s
		}
		w := &capture{}
		for _, fr := range in {
			if err := c.Add(w, fr); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
		out, err := w.frames()
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != len(in) {
			t.Fatalf("%d frames back, %d in", len(out), len(in))
		}
		byFlow := func(frames [][]byte) map[byte][][]byte {
			m := map[byte][][]byte{}
			for _, fr := range frames {
				l, ok := parseTCP(fr)
				if !ok {
					t.Fatalf("not TCP: %x", fr)
				}
				k := fr[l.l4+1]
				g := append([]byte(nil), fr...)
				if !l.v6 && g[l.l3+6]&0x40 != 0 {
					g[l.l3+4], g[l.l3+5], g[l.l3+10], g[l.l3+11] = 0, 0, 0, 0
				}
				m[k] = append(m[k], g)
			}
			return m
		}
		want, got := byFlow(in), byFlow(out)
		for k, frames := range want {
			for i := range frames {
				if i >= len(got[k]) || !bytes.Equal(frames[i], got[k][i]) {
					t.Fatalf("flow %d frame %d differs", k, i)
				}
			}
		}
		for _, p := range w.pkts {
			if h, _ := DecodeVirtioHdr(p); h.GSOType != GSONone && binary.BigEndian.Uint16(p[VirtioHdrLen+12:]) == 0x0800 {
				if ipLen := binary.BigEndian.Uint16(p[VirtioHdrLen+16:]); int(ipLen) != len(p)-VirtioHdrLen-14 {
					t.Fatalf("merged frame's IP length %d for %d bytes", ipLen, len(p)-VirtioHdrLen-14)
				}
			}
		}
	})
}
