package wire

import (
	"bytes"
	"testing"
	"time"
)

// Every parse entry point has a Fuzz target. Seeds come from the test
// tables; the committed corpus under testdata/fuzz/ keeps what the fuzzer
// found interesting. Each target checks that decoding never panics and that
// whatever decodes re-encodes to bytes that decode to the same thing.

func seedMessages(f *testing.F) {
	for _, m := range sampleMessages() {
		b, err := m.AppendBinary(nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzParseControl(f *testing.F) {
	seedMessages(f)
	f.Add([]byte{0x00, 0x10, 0x02, 0x00, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 3, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseControl(b)
		if err != nil {
			return
		}
		enc, err := m.AppendBinary(nil)
		if err != nil {
			t.Fatalf("decoded message does not re-encode: %v", err)
		}
		m2, err := ParseControl(enc)
		if err != nil {
			t.Fatalf("re-encoded message does not decode: %v\n% x", err, enc)
		}
		enc2, err := m2.AppendBinary(nil)
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable: %v\n% x\n% x", err, enc, enc2)
		}
	})
}

func FuzzDecodeElement(f *testing.F) {
	for _, tc := range elementCases() {
		f.Add(uint16(tc.elem.Type()), tc.value)
	}
	f.Fuzz(func(t *testing.T, typ uint16, v []byte) {
		e, err := DecodeElement(ElementType(typ), v)
		if err != nil {
			return
		}
		enc, err := AppendElement(nil, e)
		if err != nil {
			t.Fatalf("decoded %s does not re-encode: %v", ElementType(typ), err)
		}
		e2, err := DecodeElement(ElementType(typ), enc[4:])
		if err != nil {
			t.Fatalf("re-encoded %s does not decode: %v", ElementType(typ), err)
		}
		enc2, _ := AppendElement(nil, e2)
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("%s encoding is not stable:\n% x\n% x", ElementType(typ), enc, enc2)
		}
	})
}

func FuzzParseData(f *testing.F) {
	ka, _ := (&KeepAlive{SessionID: sid}).AppendBinary(nil)
	f.Add(ka)
	frame, _ := (&DataPacket{Header: Header{WBID: WBIDIEEE80211, RadioMAC: mac("02:00:00:00:01:00"), WirelessInfo: FrameInfo{RSSI: -40, SNR: 30, DataRate: 540}.Bytes()},
		Frame: []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 8, 0}}).AppendBinary(nil)
	f.Add(frame)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseData(b)
		if err != nil {
			return
		}
		enc, err := p.AppendBinary(nil)
		if err != nil {
			if p.Header.Fragment && p.KeepAlive == nil {
				return
			}
			t.Fatalf("decoded data packet does not re-encode: %v", err)
		}
		if _, err := ParseData(enc); err != nil {
			t.Fatalf("re-encoded data packet does not decode: %v", err)
		}
	})
}

func FuzzParsePacket(f *testing.F) {
	seedMessages(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePacket(b)
		if err != nil {
			return
		}
		if _, err := p.AppendBinary(nil); err != nil {
			t.Fatalf("decoded packet does not re-encode: %v", err)
		}
	})
}

// FuzzReassemble feeds fragments cut from the input at fuzzer-chosen sizes
// and order; whatever completes must equal the original payload.
func FuzzReassemble(f *testing.F) {
	f.Add([]byte("0123456789abcdefghijklmnopqrstuvwxyz"), uint8(8), uint8(3))
	f.Add(bytes.Repeat([]byte{0xaa}, 300), uint8(64), uint8(0))
	f.Fuzz(func(t *testing.T, payload []byte, size uint8, rot uint8) {
		pkts, err := Fragment(Header{WBID: 1}, payload, int(size), 7)
		if err != nil || len(pkts) > 512 {
			return // beyond any MaxFragments a peer would be given; keeps the fuzzer fast
		}
		r := NewReassembler(ReassemblyLimits{MaxSets: 1, MaxSize: 65535, MaxFragments: len(pkts), Timeout: time.Second})
		now := time.Unix(0, 0)
		n := len(pkts)
		for i := range n {
			p := pkts[(i+int(rot))%n]
			_, got, done, err := r.Add(p, now)
			if err != nil {
				t.Fatalf("Add: %v", err)
			}
			if done {
				if i != n-1 {
					t.Fatalf("done after %d of %d fragments", i+1, n)
				}
				if !bytes.Equal(got, payload) {
					t.Fatalf("reassembled % x, want % x", got, payload)
				}
				return
			}
		}
		if len(payload) <= int(size) || n == 0 {
			return
		}
		t.Fatalf("%d fragments never completed", n)
	})
}
