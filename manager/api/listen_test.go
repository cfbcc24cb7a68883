package api

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/pki"
)

// TestTLSBeyondLoopback: an API listener on every address speaks TLS with
// a certificate from the manager's CA (the CLI trusts it through
// api-ca.pem), refuses plain HTTP, and needs the PKI at all; a loopback
// listener stays plain.
func TestTLSBeyondLoopback(t *testing.T) {
	dir, store := newStore(t)
	if _, err := Listen("0.0.0.0:0", dir, &fakeSource{store}, nil); err == nil || !strings.Contains(err.Error(), "TLS") {
		t.Fatalf("a listener beyond loopback without the PKI: %v, want refused", err)
	}
	auth, err := pki.OpenAuthority(pki.AuthorityConfig{Dir: filepath.Join(dir, "pki"), BaseMAC: "02AA000000AA", KeyType: pki.ECDSA})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Listen("0.0.0.0:0", dir, &fakeSource{store}, auth)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- srv.Serve(ctx) }()
	c, err := NewClient(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.base, "https://127.0.0.1:") {
		t.Fatalf("client base %s, want https to loopback", c.base)
	}
	var users []any
	if err := c.Get(context.Background(), "/api/v1/users", &users); err != nil {
		t.Fatalf("over TLS with the manager's CA: %v", err)
	}
	resp, err := http.Get("http://" + strings.TrimPrefix(c.base, "https://") + "/api/v1/users")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP to the TLS listener: %s, want refused", resp.Status)
		}
	}
	cancel()
	<-done

	lo, err := Listen("127.0.0.1:0", dir, &fakeSource{store}, auth)
	if err != nil {
		t.Fatal(err)
	}
	lo.ln.Close()
	if _, err := os.Stat(filepath.Join(dir, CAFile)); !os.IsNotExist(err) {
		t.Errorf("%s left behind by a loopback listener: %v", CAFile, err)
	}
}

// TestImportedConsoleCertificate: an imported certificate with its key
// serves a listener beyond loopback, and the CLI trusts its issuer.
func TestImportedConsoleCertificate(t *testing.T) {
	dir, store := newStore(t)
	auth, err := pki.OpenAuthority(pki.AuthorityConfig{Dir: filepath.Join(dir, "pki"), BaseMAC: "02AA000000AB", KeyType: pki.ECDSA})
	if err != nil {
		t.Fatal(err)
	}
	// A company CA of its own, and a server certificate for 127.0.0.1.
	caKey, _ := pki.GenerateKey(pki.ECDSA)
	company, err := pki.NewCA("Example Corp CA", caKey, 24*time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	key, _ := pki.GenerateKey(pki.ECDSA)
	leaf, err := company.Issue(key.Public(), pki.IssueOptions{CommonName: "manager.example", Lifetime: time.Hour, Usage: pki.UsageWeb,
		Now: time.Now(), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}})
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, _ := pki.EncodeKeyPEM(key)
	if _, err := auth.Import("corp-web", append(pki.EncodeCertsPEM(leaf, company.Cert), keyPEM...), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := ListenWith("0.0.0.0:0", dir, &fakeSource{store}, auth, "no-such-cert"); err == nil {
		t.Fatal("a missing certificate name was taken")
	}
	srv, err := ListenWith("0.0.0.0:0", dir, &fakeSource{store}, auth, "corp-web")
	if err != nil {
		t.Fatal(err)
	}
	serveUntilDone(t, srv)
	c, err := NewClient(dir)
	if err != nil {
		t.Fatal(err)
	}
	var users []any
	if err := c.Get(context.Background(), "/api/v1/users", &users); err != nil {
		t.Fatalf("over TLS with the imported certificate: %v", err)
	}
}
