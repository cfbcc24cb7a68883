package dtlsrecord

import (
	"bytes"
	"testing"

	"github.com/pion/dtls/v3"
)

// FuzzOpen: whatever a datagram holds, Open neither panics nor accepts it
// unless it is a record the peer sealed; a sealed record still opens
// after the fuzzer's bytes were tried.
func FuzzOpen(f *testing.F) {
	p := establish(f, dtls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, true)
	rec, _ := p.cc.Seal(nil, []byte("seed"))
	f.Add(rec)
	f.Add([]byte{25, 0xfe, 0xfd, 0, 1})
	f.Add(bytes.Repeat([]byte{0}, 60))
	f.Fuzz(func(t *testing.T, b []byte) {
		if pt, err := p.sc.Open(bytes.Clone(b)); err == nil {
			// Only a record sealed by the client opens: the seed, once.
			if string(pt) != "seed" {
				t.Fatalf("opened %q from fuzzer bytes", pt)
			}
		}
		good, _ := p.cc.Seal(nil, []byte("after"))
		if pt, err := p.sc.Open(good); err != nil || string(pt) != "after" {
			t.Fatalf("a sealed record after fuzzer bytes: %q, %v", pt, err)
		}
	})
}
