package transport

import (
	"bytes"
	"fmt"
	"net"
	"testing"
	"time"
)

// TestGSOAndGRO: runs queued with GSO arrive as the same datagrams, cut
// apart by the kernel for a plain socket, and coalesced for a socket with
// GRO, whose reads GROSegment splits back.
func TestGSOAndGRO(t *testing.T) {
	for _, gro := range []bool{false, true} {
		t.Run(fmt.Sprintf("gro=%v", gro), func(t *testing.T) {
			rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			defer rx.Close()
			if gro {
				if err := EnableGRO(rx); err != nil {
					t.Fatalf("UDP_GRO: %v", err)
				}
			}
			tx, err := net.DialUDP("udp4", nil, rx.LocalAddr().(*net.UDPAddr))
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Close()
			g := NewGSO(tx)
			var want [][]byte
			add := func(size int, fill byte) {
				p := bytes.Repeat([]byte{fill}, size)
				want = append(want, p)
				if err := g.Add(p); err != nil {
					t.Fatal(err)
				}
			}
			// A run of 10 with a short last one; a longer datagram starts
			// a new run, and so does one after the short one.
			for i := range 10 {
				add(100, byte(i))
			}
			add(40, 10)
			add(300, 11)
			add(300, 12)
			if err := g.Flush(); err != nil {
				t.Fatal(err)
			}
			var got [][]byte
			coalesced := 0
			buf, oob := make([]byte, 65536), make([]byte, 64)
			for len(got) < len(want) {
				_ = rx.SetReadDeadline(time.Now().Add(5 * time.Second))
				n, oobn, _, _, err := rx.ReadMsgUDP(buf, oob)
				if err != nil {
					t.Fatalf("after %d datagrams: %v", len(got), err)
				}
				seg := GROSegment(oob[:oobn])
				if !gro && seg != 0 {
					t.Errorf("a segment size %d without GRO", seg)
				}
				if seg <= 0 || seg >= n {
					seg = n
				} else {
					coalesced++
				}
				for off := 0; off < n; off += seg {
					got = append(got, append([]byte(nil), buf[off:min(off+seg, n)]...))
				}
			}
			if gro && coalesced == 0 {
				t.Error("GRO on, GSO runs sent, and no read was coalesced")
			}
			for i := range want {
				if !bytes.Equal(got[i], want[i]) {
					t.Fatalf("datagram %d: %d bytes of %x, want %d of %x", i, len(got[i]), got[i][:1], len(want[i]), want[i][:1])
				}
			}
		})
	}
}

func TestGROSegmentBounds(t *testing.T) {
	for _, oob := range [][]byte{nil, {1, 2, 3}, make([]byte, 16), bytes.Repeat([]byte{0xff}, 40)} {
		if n := GROSegment(oob); n != 0 {
			t.Errorf("GROSegment(% x) = %d, want 0", oob, n)
		}
	}
}
