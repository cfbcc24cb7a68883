package scep

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/internal/httpc"
	"github.com/capstan-wifi/capstan/pki"
)

// The client's HTTP side against a net/http server over TLS: a chunked
// GetCACaps, GetCACert as one DER certificate, the pin, and an error
// status that names the operation.
func TestClientOverHTTPS(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := pki.NewCA("scep test CA", key, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := r.URL.Query().Get("operation")
		ops = append(ops, r.Method+" "+op)
		switch op {
		case "GetCACaps":
			for _, c := range []string{"POSTPKIOperation\n", "AES\n", "SHA-256\n"} {
				w.Write([]byte(c))
				w.(http.Flusher).Flush() // chunked
			}
		case "GetCACert":
			w.Header().Set("Content-Type", "application/x-x509-ca-cert")
			w.Write(ca.Cert.Raw)
		default:
			http.Error(w, strings.Repeat("no such operation ", 50), http.StatusBadRequest)
		}
	}))
	defer ts.Close()
	roots := ts.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	cl := &Client{URL: ts.URL + "/scep", HTTP: &httpc.Client{TLS: &tls.Config{RootCAs: roots}}}
	ctx := context.Background()

	caps, err := cl.Caps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(caps, " "); got != "POSTPKIOperation AES SHA-256" {
		t.Errorf("caps %q", got)
	}
	if a := choose(caps); CipherName(a.Cipher) != "AES-256-CBC" || DigestName(a.Digest) != "SHA-256" {
		t.Errorf("chose %s/%s from %q", CipherName(a.Cipher), DigestName(a.Digest), caps)
	}
	certs, err := cl.CACerts(ctx)
	if err != nil || len(certs) != 1 || !certs[0].Equal(ca.Cert) {
		t.Fatalf("CACerts = %d certificates, %v", len(certs), err)
	}
	if _, err := pinned(certs, pki.Fingerprint(ca.Cert)); err != nil {
		t.Errorf("pin of the CA's own fingerprint: %v", err)
	}
	if _, err := pinned(certs, strings.Repeat("00", 32)); err == nil {
		t.Error("a CA with another fingerprint passed the pin")
	}
	_, _, err = cl.get(ctx, "GetNextCACert", nil)
	if err == nil || !strings.Contains(err.Error(), "scep GetNextCACert: 400 Bad Request: no such operation") || len(err.Error()) > 300 {
		t.Errorf("error status: %v", err)
	}
	if want := "GET GetCACaps,GET GetCACert,GET GetNextCACert"; strings.Join(ops, ",") != want {
		t.Errorf("requests %q, want %q", ops, want)
	}

	// The system's roots do not know httptest's CA.
	if _, err := (&Client{URL: ts.URL + "/scep"}).Caps(ctx); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("unknown server certificate: err %v", err)
	}
}
