package scepserver

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/capstan-wifi/capstan/pki"
	capscep "github.com/capstan-wifi/capstan/pki/scep"
)

// FuzzPKIOperation feeds PKIOperation messages (anybody's HTTP body) to
// the server, seeded with a real PKCSReq under the approval policy: it
// never panics, and whatever it makes of the input no certificate is
// issued without approval.
func FuzzPKIOperation(f *testing.F) {
	auth, err := pki.OpenAuthority(pki.AuthorityConfig{Dir: f.TempDir(), BaseMAC: "02AABBCCDDEE", Policy: pki.PolicyApproval})
	if err != nil {
		f.Fatal(err)
	}
	s, err := New(auth, nil)
	if err != nil {
		f.Fatal(err)
	}
	rec := &recorder{}
	ts := httptest.NewServer(rec.wrap(s))
	f.Cleanup(ts.Close)
	cl := &capscep.Client{URL: ts.URL + "/scep"}
	key, err := pki.LoadCredentials(f.TempDir(), pki.RSA)
	if err != nil {
		f.Fatal(err)
	}
	_, _ = cl.Enroll(context.Background(), capscep.Request{Key: key.Key, CommonName: "CAP-02000000AA01"})
	rec.mu.Lock()
	f.Add(rec.req)
	rec.mu.Unlock()
	f.Add([]byte{0x30, 0x80})
	issued := len(auth.IssuedCertificates())
	f.Fuzz(func(t *testing.T, msg []byte) {
		_, _ = s.operation(msg, "192.0.2.1:1")
		if n := len(auth.IssuedCertificates()); n != issued {
			t.Fatalf("%d certificates after a PKIOperation under approval, %d before", n, issued)
		}
	})
}
