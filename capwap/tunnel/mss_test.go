package tunnel

import (
	"encoding/binary"
	"testing"
)

// synFrame builds an Ethernet frame with an IPv4 or IPv6 TCP SYN carrying
// options opts, with a correct TCP checksum.
func synFrame(v6 bool, tagged bool, flags byte, opts []byte) []byte {
	f := make([]byte, 12)
	if tagged {
		f = append(f, 0x81, 0x00, 0x00, 0x0a)
	}
	src, dst := []byte{10, 0, 0, 1}, []byte{10, 0, 0, 2}
	tcp := make([]byte, 20, 20+len(opts))
	binary.BigEndian.PutUint16(tcp[0:], 40000)
	binary.BigEndian.PutUint16(tcp[2:], 80)
	tcp[12] = byte((20+len(opts))/4) << 4
	tcp[13] = flags
	tcp = append(tcp, opts...)
	var ip []byte
	if v6 {
		src, dst = make([]byte, 16), make([]byte, 16)
		src[15], dst[15] = 1, 2
		f = append(f, 0x86, 0xdd)
		ip = make([]byte, 40)
		ip[0] = 0x60
		binary.BigEndian.PutUint16(ip[4:], uint16(len(tcp)))
		ip[6], ip[7] = 6, 64
		copy(ip[8:], src)
		copy(ip[24:], dst)
	} else {
		f = append(f, 0x08, 0x00)
		ip = make([]byte, 20)
		ip[0], ip[8], ip[9] = 0x45, 64, 6
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(tcp)))
		copy(ip[12:], src)
		copy(ip[16:], dst)
	}
	binary.BigEndian.PutUint16(tcp[16:], tcpChecksum(src, dst, tcp))
	return append(append(f, ip...), tcp...)
}

// tcpChecksum computes the checksum from scratch, to check the
// incremental update against.
func tcpChecksum(src, dst, tcp []byte) uint16 {
	var sum uint32
	add := func(b []byte) {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(binary.BigEndian.Uint16(b[i:]))
		}
		if len(b)%2 == 1 {
			sum += uint32(b[len(b)-1]) << 8
		}
	}
	add(src)
	add(dst)
	sum += 6 + uint32(len(tcp))
	c := append([]byte(nil), tcp...)
	c[16], c[17] = 0, 0
	add(c)
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

func TestClampMSS(t *testing.T) {
	mss := func(v uint16) []byte { return []byte{2, 4, byte(v >> 8), byte(v)} }
	opts := append(append([]byte{1, 1}, mss(1460)...), 4, 2, 1, 3, 3, 7) // NOPs, MSS, SACK-permitted, window scale
	for _, c := range []struct {
		name    string
		frame   []byte
		want    bool
		wantMSS uint16
	}{
		{"IPv4 SYN", synFrame(false, false, 0x02, opts), true, 1456 - 54},
		{"IPv4 SYN-ACK, tagged", synFrame(false, true, 0x12, opts), true, 1456 - 58},
		{"IPv6 SYN", synFrame(true, false, 0x02, opts), true, 1456 - 74},
		{"IPv4 ACK", synFrame(false, false, 0x10, opts), false, 1460},
		{"small MSS", synFrame(false, false, 0x02, mss(1200)), false, 1200},
		{"no MSS", synFrame(false, false, 0x02, []byte{1, 1, 1, 0}), false, 0},
		{"bad option length", synFrame(false, false, 0x02, []byte{3, 9, 0, 0}), false, 0},
	} {
		f := c.frame
		if got := ClampMSS(f, 1456); got != c.want {
			t.Errorf("%s: ClampMSS = %v, want %v", c.name, got, c.want)
		}
		if !c.want {
			continue
		}
		off := 14
		if f[12] == 0x81 {
			off = 18
		}
		ipLen, src, dst := 20, f[off+12:off+16], f[off+16:off+20]
		if f[off-2] == 0x86 {
			ipLen, src, dst = 40, f[off+8:off+24], f[off+24:off+40]
		}
		tcp := f[off+ipLen:]
		if got := binary.BigEndian.Uint16(tcp[24:26]); got != c.wantMSS {
			t.Errorf("%s: MSS %d, want %d", c.name, got, c.wantMSS)
		}
		if got, want := binary.BigEndian.Uint16(tcp[16:18]), tcpChecksum(src, dst, tcp); got != want {
			t.Errorf("%s: checksum %#04x after clamping, want %#04x", c.name, got, want)
		}
	}
	// Truncated frames are left alone, whatever their length.
	full := synFrame(false, false, 0x02, opts)
	for n := range len(full) {
		ClampMSS(append([]byte(nil), full[:n]...), 1456)
	}
}

func FuzzClampMSS(f *testing.F) {
	f.Add(synFrame(false, false, 0x02, []byte{2, 4, 5, 0xb4}))
	f.Add(synFrame(true, true, 0x12, []byte{1, 2, 4, 5, 0xb4, 0}))
	f.Fuzz(func(t *testing.T, b []byte) {
		ClampMSS(b, 1456)
	})
}
