package wire

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestHeaderOptionalFields(t *testing.T) {
	p := &DataPacket{
		Header: Header{RadioID: 3, WBID: WBIDIEEE80211, Native: true, RadioMAC: mac("02:00:00:00:01:00"),
			WirelessInfo: FrameInfo{RSSI: -40, SNR: 30, DataRate: 540}.Bytes()},
		Frame: []byte{0x08, 0x02},
	}
	got, err := p.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := hx(t,
		"00",           // preamble
		"30",           // HLEN 6 (24 bytes) << 3, RID high bits 0
		"c3",           // RID 3 low bits (11) | WBID 1 | T bit 1
		"30",           // W and M bits
		"0000", "0000", // fragment ID, offset
		"06", "020000000100", "00", // radio MAC: length 6, MAC, pad to 8
		"04", "d81e021c", "000000", // wireless info: length 4, RSSI -40, SNR 30, 54.0 Mb/s, pad to 8
		"0802") // the native 802.11 frame
	if !bytes.Equal(got, want) {
		t.Fatalf("got  % x\nwant % x", got, want)
	}
	back, err := ParseData(got)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, back); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	fi, err := ParseFrameInfo(back.Header.WirelessInfo)
	if err != nil || fi != (FrameInfo{RSSI: -40, SNR: 30, DataRate: 540}) {
		t.Fatalf("frame info %+v, %v", fi, err)
	}
	d, err := ParseDestinationWLANs(DestinationWLANs(0b101).Bytes())
	if err != nil || d != 0b101 {
		t.Fatalf("destination WLANs %b, %v", d, err)
	}
}

func TestKeepAlive(t *testing.T) {
	k := &KeepAlive{SessionID: sid}
	got, err := k.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := hx(t, "00100008", "00000000", // HLEN 2, only the K bit
		"0016",                                             // length 22: itself, element header, 16-byte ID
		"0023", "0010", "0102030405060708090a0b0c0d0e0f10") // Session ID element
	if !bytes.Equal(got, want) {
		t.Fatalf("got  % x\nwant % x", got, want)
	}
	p, err := ParseData(got)
	if err != nil {
		t.Fatal(err)
	}
	if p.KeepAlive == nil || p.KeepAlive.SessionID != sid {
		t.Fatalf("decoded %+v", p)
	}
	// No Session ID: refused with Missing Mandatory Message Element.
	_, err = ParseData(hx(t, "00100008", "00000000", "0002"))
	var e *Error
	if !errors.As(err, &e) || e.Result != ResultMissingMandatoryElement {
		t.Fatalf("keep-alive without session ID: %v", err)
	}
}

func TestFragmentReassemble(t *testing.T) {
	m := sampleMessages()[2] // Join Request
	payload, err := m.MarshalPayload()
	if err != nil {
		t.Fatal(err)
	}
	pkts, err := Fragment(Header{WBID: WBIDIEEE80211}, payload, 100, 42)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkts) < 3 {
		t.Fatalf("%d fragments of a %d-byte payload", len(pkts), len(payload))
	}
	for i, p := range pkts {
		h := p.Header
		if !h.Fragment || h.FragmentID != 42 || int(h.FragmentOffset)*8 != i*96 || h.LastFragment != (i == len(pkts)-1) {
			t.Fatalf("fragment %d header %+v", i, h)
		}
		// Each fragment survives the wire.
		b, err := p.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParsePacket(b)
		if err != nil || !bytes.Equal(back.Payload, p.Payload) {
			t.Fatalf("fragment %d: %v", i, err)
		}
	}
	r := NewReassembler(DefaultReassemblyLimits)
	now := time.Unix(100, 0)
	// Out of order, with a duplicate: the last arrives first.
	order := append([]*Packet{pkts[len(pkts)-1], pkts[0], pkts[0]}, pkts[1:len(pkts)-1]...)
	var h Header
	var got []byte
	for i, p := range order {
		var done bool
		h, got, done, err = r.Add(p, now)
		if err != nil {
			t.Fatal(err)
		}
		if done != (i == len(order)-1) {
			t.Fatalf("done=%v after %d of %d", done, i+1, len(order))
		}
	}
	dm, err := DecodeControlPayload(h, got)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, dm, cmpOpts...); diff != "" {
		t.Fatalf("reassembled message (-want +got):\n%s", diff)
	}
	if r.Pending() != 0 {
		t.Fatalf("%d sets pending after completion", r.Pending())
	}
}

func TestReassemblerLimits(t *testing.T) {
	frag := func(id, off uint16, last bool, n int) *Packet {
		return &Packet{Header: Header{Fragment: true, LastFragment: last, FragmentID: id, FragmentOffset: off}, Payload: make([]byte, n)}
	}
	now := time.Unix(0, 0)
	tests := []struct {
		name  string
		limit ReassemblyLimits
		pkts  []*Packet
	}{
		{"overlap", DefaultReassemblyLimits, []*Packet{frag(1, 0, false, 16), frag(1, 1, false, 16)}},
		{"too big", ReassemblyLimits{MaxSets: 1, MaxSize: 100, MaxFragments: 10, Timeout: time.Second}, []*Packet{frag(1, 12, true, 8)}},
		{"too many", ReassemblyLimits{MaxSets: 1, MaxSize: 1000, MaxFragments: 2, Timeout: time.Second}, []*Packet{frag(1, 0, false, 8), frag(1, 1, false, 8), frag(1, 2, false, 8)}},
		{"odd middle", DefaultReassemblyLimits, []*Packet{frag(1, 0, false, 7)}},
		{"two lasts", DefaultReassemblyLimits, []*Packet{frag(1, 4, true, 8), frag(1, 8, true, 8)}},
		{"beyond last", DefaultReassemblyLimits, []*Packet{frag(1, 1, true, 8), frag(1, 2, false, 8)}},
	}
	for _, tt := range tests {
		r := NewReassembler(tt.limit)
		var err error
		for _, p := range tt.pkts {
			if _, _, _, err = r.Add(p, now); err != nil {
				break
			}
		}
		if !errors.Is(err, ErrFragment) {
			t.Errorf("%s: error %v, want ErrFragment", tt.name, err)
		}
		if r.Pending() != 0 {
			t.Errorf("%s: %d sets kept after the error", tt.name, r.Pending())
		}
	}
	// Sets expire and the oldest is dropped past MaxSets.
	r := NewReassembler(ReassemblyLimits{MaxSets: 2, MaxSize: 1000, MaxFragments: 10, Timeout: time.Second})
	r.Add(frag(1, 0, false, 8), now)
	r.Add(frag(2, 0, false, 8), now.Add(10*time.Millisecond))
	r.Add(frag(3, 0, false, 8), now.Add(20*time.Millisecond))
	if r.Pending() != 2 {
		t.Fatalf("%d sets, want 2", r.Pending())
	}
	r.Add(frag(4, 0, false, 8), now.Add(5*time.Second))
	if r.Pending() != 1 {
		t.Fatalf("%d sets after expiry, want 1", r.Pending())
	}
}

// TestCapstanVendorBytes spells one capstan element: vendor header, format
// attribute, then typed attributes; unknown attributes are skipped.
func TestCapstanVendorBytes(t *testing.T) {
	e := &LockInfo{Locked: true, CommonNames: []string{"a", "bc"}}
	got, err := AppendElement(nil, e)
	if err != nil {
		t.Fatal(err)
	}
	want := hx(t, "0025", "001b", // Vendor Specific Payload, length 27
		"00007ed9", "0003", // vendor 32473, element 3 (lock)
		"0000", "0001", "01", // attribute 0: format version 1
		"0001", "0001", "01", // Locked = true
		"0002", "0001", "61", // CommonNames[0] = "a"
		"0002", "0002", "6263") // CommonNames[1] = "bc"
	if !bytes.Equal(got, want) {
		t.Fatalf("got  % x\nwant % x", got, want)
	}
	// A newer peer's attribute 99 is skipped.
	newer := append(append([]byte{}, got[4:]...), 0x00, 0x63, 0x00, 0x01, 0x07)
	d, err := DecodeElement(TypeVendorSpecificPayload, newer)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Element(e), d); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

func TestCapstanVendorRoundTrip(t *testing.T) {
	for _, m := range sampleMessages() {
		for _, e := range m.Elements {
			ve, ok := e.(VendorElement)
			if !ok {
				continue
			}
			b, err := AppendElement(nil, ve)
			if err != nil {
				t.Fatal(err)
			}
			d, err := DecodeElement(ve.Type(), b[4:])
			if err != nil {
				t.Fatalf("%T: %v", ve, err)
			}
			if diff := cmp.Diff(Element(ve), d, cmpOpts...); diff != "" {
				t.Fatalf("%T (-want +got):\n%s", ve, diff)
			}
		}
	}
	for id := uint16(1); id <= CapstanRefusal; id++ {
		if newCapstanElement(id) == nil {
			t.Errorf("capstan vendor element %d has no type", id)
		}
	}
}
