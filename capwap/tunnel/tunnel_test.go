package tunnel

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/capwap/wire"
)

func frame(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

// Every packet Encode makes is one wire.ParsePacket reads the same way, and
// Decode plus the Reassembler give the frame back, for frames that fit and
// frames that are fragmented.
func TestEncodeDecodeAgreesWithWire(t *testing.T) {
	for _, tc := range []struct {
		mtu, size int
		wlans     wire.DestinationWLANs
		packets   int
	}{
		{1472, 60, 0, 1},
		{1472, 1464, 0, 1},
		{1472, 1465, 0, 2},
		{1472, 1514, WLANBit(3), 2},
		{1472, 1456, WLANBit(1) | WLANBit(16), 1},
		{1452, MaxFrame, 0, 2}, // IPv6 underlay
		{1496, 1514, 0, 2},     // layer-2 data channel
		{300, 1514, WLANBit(2), 6},
	} {
		e := NewEncoder(tc.mtu)
		r := NewReassembler()
		in := frame(tc.size)
		var got []byte
		n := 0
		err := e.Encode(5, tc.wlans, in, func(pkt []byte) error {
			n++
			if len(pkt) > tc.mtu {
				t.Errorf("mtu %d size %d: packet of %d bytes", tc.mtu, tc.size, len(pkt))
			}
			wp, err := wire.ParsePacket(pkt)
			if err != nil {
				t.Fatalf("wire cannot parse: %v", err)
			}
			h, payload, err := Decode(pkt)
			if err != nil {
				t.Fatal(err)
			}
			if h.RadioID != 5 || wp.Header.RadioID != 5 || wp.Header.WBID != 1 || wp.Header.Native {
				t.Errorf("header %+v / wire %+v", h, wp.Header)
			}
			if h.WLANs != tc.wlans {
				t.Errorf("WLANs %b, want %b", h.WLANs, tc.wlans)
			}
			if tc.wlans != 0 {
				d, err := wire.ParseDestinationWLANs(wp.Header.WirelessInfo)
				if err != nil || d != tc.wlans {
					t.Errorf("wire reads destination WLANs %b %v", d, err)
				}
			}
			if !bytes.Equal(payload, wp.Payload) || h.Fragment != wp.Header.Fragment || h.Last != wp.Header.LastFragment || h.Offset != int(wp.Header.FragmentOffset)*8 {
				t.Errorf("Decode and wire disagree: %+v vs %+v", h, wp.Header)
			}
			if !h.Fragment {
				got = append([]byte(nil), payload...)
				return nil
			}
			_, whole, done, err := r.Add(h, payload, time.Unix(0, 0))
			if err != nil {
				t.Fatal(err)
			}
			if done {
				got = whole
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != tc.packets || !bytes.Equal(got, in) {
			t.Errorf("mtu %d size %d: %d packets (want %d), frame back %v", tc.mtu, tc.size, n, tc.packets, bytes.Equal(got, in))
		}
	}
}

func TestEncodeAllocatesNothing(t *testing.T) {
	e := NewEncoder(1472)
	in := frame(1514)
	var total int
	allocs := testing.AllocsPerRun(1000, func() {
		_ = e.Encode(1, WLANBit(1), in, func(pkt []byte) error {
			_, p, err := Decode(pkt)
			total += len(p)
			return err
		})
	})
	if allocs != 0 {
		t.Errorf("%v allocations per frame, want 0", allocs)
	}
	if total == 0 {
		t.Fatal("nothing encoded")
	}
}

func TestDecodeRefuses(t *testing.T) {
	good, _ := (&wire.DataPacket{Header: wire.Header{RadioID: 1, WBID: 1}, Frame: frame(20)}).AppendBinary(nil)
	native, _ := (&wire.DataPacket{Header: wire.Header{RadioID: 1, WBID: 1, Native: true}, Frame: frame(20)}).AppendBinary(nil)
	otherBinding, _ := (&wire.DataPacket{Header: wire.Header{RadioID: 1, WBID: 3}, Frame: frame(20)}).AppendBinary(nil)
	dtls := append([]byte{1, 0, 0, 0}, good...)
	longHLEN := append([]byte(nil), good...)
	longHLEN[1] |= 0xf8
	for name, tc := range map[string]struct {
		b    []byte
		want error
	}{
		"short":         {good[:7], ErrMalformed},
		"dtls preamble": {dtls, ErrNotData},
		"native 802.11": {native, ErrMalformed},
		"binding 3":     {otherBinding, ErrMalformed},
		"hlen overrun":  {longHLEN[:20], ErrMalformed},
	} {
		if _, _, err := Decode(tc.b); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	if h, p, err := Decode(good); err != nil || h.RadioID != 1 || len(p) != 20 {
		t.Errorf("good packet: %+v %d %v", h, len(p), err)
	}
	ka, _ := (&wire.KeepAlive{SessionID: wire.SessionID{1}}).AppendBinary(nil)
	if h, _, err := Decode(ka); err != nil || !h.KeepAlive {
		t.Errorf("keep-alive: %+v %v", h, err)
	}
}

// A peer cannot make the reassembler hold more than a few frames nor a
// frame bigger than MaxFrame.
func TestReassemblerBounds(t *testing.T) {
	r := NewReassembler()
	now := time.Unix(100, 0)
	for id := range 1000 {
		if _, _, _, err := r.Add(Header{Fragment: true, FragmentID: uint16(id)}, frame(8), now); err != nil {
			t.Fatal(err)
		}
	}
	if n := r.r.Pending(); n > 8 {
		t.Errorf("%d sets held, want at most 8", n)
	}
	if _, _, _, err := r.Add(Header{Fragment: true, Last: true, FragmentID: 9999, Offset: MaxFrame}, frame(8), now); !errors.Is(err, wire.ErrFragment) {
		t.Errorf("fragment beyond MaxFrame: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	e := NewEncoder(200)
	_ = e.Encode(2, WLANBit(4), frame(500), func(p []byte) error { f.Add(append([]byte(nil), p...)); return nil })
	f.Add([]byte{0, 0x10, 0x42, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, p, err := Decode(b)
		if err != nil {
			return
		}
		if len(p) > len(b) || h.RadioID > 31 {
			t.Fatalf("%+v, %d of %d bytes", h, len(p), len(b))
		}
	})
}
