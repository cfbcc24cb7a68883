package offload

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// naive is RFC 1071's sum, 16 bits at a time.
func naive(b []byte) uint16 {
	var acc uint32
	for i := 0; i+1 < len(b); i += 2 {
		acc += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		acc += uint32(b[len(b)-1]) << 8
	}
	for acc > 0xffff {
		acc = acc>>16 + acc&0xffff
	}
	return uint16(acc)
}

func TestSumMatchesRFC1071(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 300 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		if n%5 == 0 {
			for i := range b {
				b[i] = 0xff
			}
		}
		if got, want := fold(sum(b, 0)), naive(b); got != want {
			t.Fatalf("%d bytes: sum %#04x, RFC 1071 %#04x", n, got, want)
		}
	}
}

func coalesce(t *testing.T, frames ...[]byte) *capture {
	t.Helper()
	c, w := NewCoalescer(), &capture{}
	for _, f := range frames {
		if err := c.Add(w, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	return w
}

func built(segs []seg) [][]byte {
	out := make([][]byte, len(segs))
	for i, s := range segs {
		out[i] = s.build()
	}
	return out
}

// TestCoalesceRoundTrip: a flow's segments become one GSO frame, and
// Segment gives back exactly the frames that went in, for IPv4 with and
// without DF, IPv6, a VLAN tag and timestamps.
func TestCoalesceRoundTrip(t *testing.T) {
	for _, base := range []seg{
		{src: 50, dst: 2, sport: 40000, seq: 1000, ack: 77, id: 9, df: true, window: 500, ts: 12345},
		{src: 50, dst: 2, sport: 40000, seq: 0xffffff00, ack: 77, id: 0xfffe, window: 500},
		{v6: true, src: 50, dst: 2, sport: 40001, seq: 5, ack: 9, window: 64, ts: 1},
		{vlan: 20, src: 50, dst: 2, sport: 40002, seq: 5, ack: 9, df: true, window: 64},
	} {
		in := built(run(base, 10, 1388))
		w := coalesce(t, in...)
		if len(w.pkts) != 1 {
			t.Fatalf("%+v: %d writes, want 1", base, len(w.pkts))
		}
		h, _ := DecodeVirtioHdr(w.pkts[0])
		want := uint8(GSOTCPv4)
		if base.v6 {
			want = GSOTCPv6
		}
		if h.GSOType != want || h.GSOSize != 1388 || h.Flags != FlagNeedsCsum || h.CsumOffset != 16 {
			t.Fatalf("header %+v", h)
		}
		out, err := w.frames()
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != len(in) {
			t.Fatalf("%d frames back, want %d", len(out), len(in))
		}
		for i := range in {
			if !bytes.Equal(out[i], in[i]) {
				t.Fatalf("%+v: frame %d differs:\n got %x\nwant %x", base, i, out[i][:60], in[i][:60])
			}
		}
	}
}

// TestCoalesceRefuses: what GRO would not merge goes through unmerged, in
// the flow's order.
func TestCoalesceRefuses(t *testing.T) {
	base := seg{src: 50, dst: 2, sport: 40000, seq: 1000, ack: 77, id: 9, df: true, window: 500}
	for name, change := range map[string]func([]seg){
		"another ack":        func(s []seg) { s[1].ack++ },
		"another window":     func(s []seg) { s[1].window++ },
		"a gap":              func(s []seg) { s[1].seq++ },
		"a longer segment":   func(s []seg) { s[1].payload = append(s[1].payload, 1) },
		"a SYN":              func(s []seg) { s[1].flags |= tcpSYN },
		"FIN":                func(s []seg) { s[1].flags |= tcpFIN },
		"CWR":                func(s []seg) { s[1].flags |= tcpCWR },
		"URG":                func(s []seg) { s[1].flags |= tcpURG },
		"no ACK":             func(s []seg) { s[1].flags = tcpPSH },
		"another timestamp":  func(s []seg) { s[0].ts, s[1].ts = 5, 6 },
		"an ID out of order": func(s []seg) { s[0].df, s[1].df = false, false; s[1].id += 2 },
		"PSH before":         func(s []seg) { s[0].flags |= tcpPSH },
		"short before":       func(s []seg) { s[0].payload = s[0].payload[:10] },
		"no payload":         func(s []seg) { s[1].payload = nil },
	} {
		segs := run(base, 2, 100)
		segs[1].flags = tcpACK
		change(segs)
		in := built(segs)
		w := coalesce(t, in...)
		out, err := w.frames()
		if err != nil {
			t.Fatal(err)
		}
		if len(w.pkts) != 2 || len(out) != 2 || !bytes.Equal(out[0], in[0]) || !bytes.Equal(out[1], in[1]) {
			t.Errorf("%s: %d writes, %d frames, want both frames as they came", name, len(w.pkts), len(out))
		}
	}
	// A bad checksum is not merged and not repaired.
	in := built(run(base, 3, 100))
	in[1][len(in[1])-1] ^= 0xff
	w := coalesce(t, in...)
	if len(w.pkts) != 3 || !bytes.Equal(w.pkts[1][VirtioHdrLen:], in[1]) {
		t.Errorf("a segment with a bad checksum: %d writes, want 3 and the segment as it came", len(w.pkts))
	}
}

// TestCoalesceFlows: interleaved flows merge apart; a frame of another
// kind passes at once; a flow's FIN follows its data.
func TestCoalesceFlows(t *testing.T) {
	a := built(run(seg{src: 50, dst: 2, sport: 1, seq: 1, ack: 1, df: true, window: 9}, 4, 200))
	b := built(run(seg{src: 51, dst: 2, sport: 2, seq: 1, ack: 1, df: true, window: 9}, 4, 200))
	fin := seg{src: 50, dst: 2, sport: 1, seq: 1 + 800, ack: 1, df: true, window: 9, flags: tcpACK | tcpFIN}.build()
	arp := append(bytes.Repeat([]byte{0xff}, 6), 2, 0, 0, 0, 0, 50, 0x08, 0x06)
	arp = append(arp, make([]byte, 28)...)
	// Only the first three of each run: the fourth has PSH.
	w := coalesce(t, a[0], b[0], a[1], b[1], arp, a[2], b[2], fin)
	var kinds []string
	for _, p := range w.pkts {
		h, _ := DecodeVirtioHdr(p)
		f := p[VirtioHdrLen:]
		switch {
		case binary.BigEndian.Uint16(f[12:]) == 0x0806:
			kinds = append(kinds, "arp")
		case h.GSOType != GSONone:
			kinds = append(kinds, "gso"+string(rune('0'+int(f[11]-50))))
		case f[14+20+13]&tcpFIN != 0:
			kinds = append(kinds, "fin")
		default:
			kinds = append(kinds, "one")
		}
	}
	got := ""
	for _, k := range kinds {
		got += k + " "
	}
	if got != "arp gso0 fin gso1 " {
		t.Fatalf("writes: %s, want arp, flow a merged, its FIN, flow b merged", got)
	}
}

// TestCoalesceLimits: no merged frame over 64 segments or an IP length of
// 65535.
func TestCoalesceLimits(t *testing.T) {
	in := built(run(seg{src: 50, dst: 2, sport: 1, seq: 1, ack: 1, df: true, window: 9}, 100, 100))
	w := coalesce(t, in...)
	if len(w.pkts) != 2 {
		t.Fatalf("100 segments: %d writes, want 2 (64 + 36)", len(w.pkts))
	}
	in = built(run(seg{src: 50, dst: 2, sport: 1, seq: 1, ack: 1, df: true, window: 9}, 60, 1460))
	w = coalesce(t, in...)
	for _, p := range w.pkts {
		f := p[VirtioHdrLen:]
		if ipLen := binary.BigEndian.Uint16(f[16:]); int(ipLen) != len(f)-14 || len(f)-14 > 65535 {
			t.Fatalf("IP length %d for %d bytes", ipLen, len(f)-14)
		}
	}
	out, _ := w.frames()
	if len(out) != 60 {
		t.Fatalf("%d frames back, want 60", len(out))
	}
}

// TestSegmentCompletesChecksum: a frame with a partial checksum and no GSO
// leaves with the right one.
func TestSegmentCompletesChecksum(t *testing.T) {
	f := seg{src: 50, dst: 2, sport: 1, seq: 1, ack: 1, window: 9, flags: tcpACK, payload: []byte("hello, world")}.build()
	l, _ := parseTCP(f)
	want := binary.BigEndian.Uint16(f[l.l4+16:])
	binary.BigEndian.PutUint16(f[l.l4+16:], fold(pseudo(f[l.l3:], false, 6, l.end-l.l4)))
	pkt := make([]byte, VirtioHdrLen, VirtioHdrLen+len(f))
	VirtioHdr{Flags: FlagNeedsCsum, CsumStart: uint16(l.l4), CsumOffset: 16}.Encode(pkt)
	pkt = append(pkt, f...)
	var got uint16
	if err := Segment(pkt, make([]byte, 2000), func(f []byte) { got = binary.BigEndian.Uint16(f[l.l4+16:]) }); err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("checksum %#04x, want %#04x", got, want)
	}
	for _, bad := range [][]byte{pkt[:5], append(append([]byte(nil), pkt[:VirtioHdrLen]...), f[:20]...)} {
		if err := Segment(bad, make([]byte, 2000), func([]byte) {}); err == nil {
			t.Errorf("a %d-byte packet was taken", len(bad))
		}
	}
	udp := append([]byte(nil), pkt...)
	udp[1] = GSOUDPL4
	if err := Segment(udp, make([]byte, 2000), func([]byte) {}); err != ErrUnsupported {
		t.Errorf("UDP GSO: %v, want ErrUnsupported", err)
	}
}

// TestCoalesceAllocs: nothing allocated per frame once warm.
func TestCoalesceAllocs(t *testing.T) {
	in := built(run(seg{src: 50, dst: 2, sport: 1, seq: 1, ack: 1, df: true, window: 9}, 40, 1388))
	c, w := NewCoalescer(), nopWriter{}
	n := testing.AllocsPerRun(50, func() {
		for _, f := range in {
			_ = c.Add(w, f)
		}
		_ = c.Flush()
	})
	if n != 0 {
		t.Fatalf("%.1f allocations per batch", n)
	}
	scratch := make([]byte, 65536)
	pkt := coalesce(t, in...).pkts[0]
	if n := testing.AllocsPerRun(50, func() { _ = Segment(pkt, scratch, func([]byte) {}) }); n != 0 {
		t.Fatalf("Segment: %.1f allocations", n)
	}
}

type nopWriter struct{}

func (nopWriter) WriteVirtio([]byte) error { return nil }
