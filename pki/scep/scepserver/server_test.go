package scepserver

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smallstep/pkcs7"

	"github.com/capstan-wifi/capstan/pki"
	capscep "github.com/capstan-wifi/capstan/pki/scep"
)

// recorder keeps the last PKIOperation request and response bodies.
type recorder struct {
	mu       sync.Mutex
	req, rep []byte
	method   string
}

// wrap records next's PKIOperation exchanges.
func (r *recorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, q *http.Request) {
		if q.URL.Query().Get("operation") != "PKIOperation" {
			next.ServeHTTP(w, q)
			return
		}
		body, _ := io.ReadAll(q.Body)
		q.Body = io.NopCloser(bytes.NewReader(body))
		rw := httptest.NewRecorder()
		next.ServeHTTP(rw, q)
		maps.Copy(w.Header(), rw.Header())
		w.WriteHeader(rw.Code)
		w.Write(rw.Body.Bytes())
		r.mu.Lock()
		defer r.mu.Unlock()
		r.req, r.rep, r.method = body, rw.Body.Bytes(), q.Method
		if q.Method == http.MethodGet {
			r.req, _ = readMessage(q)
		}
	})
}

func newServer(t *testing.T, policy pki.Policy, caps []string, wrap ...func(http.Handler) http.Handler) (*pki.Authority, *httptest.Server) {
	t.Helper()
	return newServerIn(t, t.TempDir(), policy, caps, wrap...)
}

// newServerIn is newServer with the Authority's files in dir.
func newServerIn(t *testing.T, dir string, policy pki.Policy, caps []string, wrap ...func(http.Handler) http.Handler) (*pki.Authority, *httptest.Server) {
	t.Helper()
	auth, err := pki.OpenAuthority(pki.AuthorityConfig{Dir: dir, BaseMAC: "02AABBCCDDEE", Policy: policy})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(auth, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Handler(s)
	if caps != nil {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("operation") == "GetCACaps" {
				io.WriteString(w, strings.Join(caps, "\n"))
				return
			}
			s.ServeHTTP(w, r)
		})
	}
	for _, w := range wrap {
		h = w(h)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return auth, ts
}

func rsaKey(t *testing.T) *pki.Credentials {
	t.Helper()
	c, err := pki.LoadCredentials(t.TempDir(), pki.RSA)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func algsOf(t *testing.T, msg []byte) capscep.Algorithms {
	t.Helper()
	p7, err := pkcs7.Parse(msg)
	if err != nil {
		t.Fatal(err)
	}
	c, err := capscep.EnvelopeCipher(p7.Content)
	if err != nil {
		t.Fatal(err)
	}
	return capscep.Algorithms{Cipher: c, Digest: p7.Signers[0].DigestAlgorithm.Algorithm}
}

func TestEnrollAlgorithms(t *testing.T) {
	for _, tc := range []struct {
		name           string
		caps           []string
		cipher, digest string
		method         string
	}{
		{"server caps", nil, "AES-256-CBC", "SHA-256", http.MethodPost},
		{"3DES", []string{"DES3", "SHA-256", "POSTPKIOperation"}, "3DES-CBC", "SHA-256", http.MethodPost},
		{"legacy GET", []string{}, "DES-CBC", "SHA-1", http.MethodGet},
		{"AES by GET", []string{"AES", "SHA-1"}, "AES-256-CBC", "SHA-1", http.MethodGet},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			auth, ts := newServer(t, pki.PolicyAuto, tc.caps, rec.wrap)
			cl := &capscep.Client{URL: ts.URL + "/scep"}
			key := rsaKey(t)
			res, err := cl.Enroll(context.Background(), capscep.Request{Key: key.Key, CommonName: "CAP-02000000AA01"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := pki.VerifyChain([][]byte{res.Cert.Raw}, []*x509.Certificate{auth.CA()}, time.Now()); err != nil {
				t.Errorf("issued certificate: %v", err)
			}
			req, rep := algsOf(t, rec.req), algsOf(t, rec.rep)
			if got := capscep.CipherName(req.Cipher); got != tc.cipher {
				t.Errorf("request cipher %s, want %s", got, tc.cipher)
			}
			if got := capscep.DigestName(req.Digest); got != tc.digest {
				t.Errorf("request digest %s, want %s", got, tc.digest)
			}
			if !rep.Cipher.Equal(req.Cipher) || !rep.Digest.Equal(req.Digest) {
				t.Errorf("response %s/%s to a %s/%s request", capscep.CipherName(rep.Cipher), capscep.DigestName(rep.Digest), capscep.CipherName(req.Cipher), capscep.DigestName(req.Digest))
			}
			if rec.method != tc.method {
				t.Errorf("sent by %s, want %s", rec.method, tc.method)
			}
		})
	}
}

func TestEnrollChallengeAndApproval(t *testing.T) {
	auth, ts := newServer(t, pki.PolicyOTP, nil)
	cl := &capscep.Client{URL: ts.URL + "/scep"}
	key := rsaKey(t)
	_, secret, _ := auth.AddPassword(time.Hour, "")
	if _, err := cl.Enroll(context.Background(), capscep.Request{Key: key.Key, CommonName: "CAP-02000000AA11", Challenge: "wrong"}); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("wrong challenge: %v", err)
	}
	res, err := cl.Enroll(context.Background(), capscep.Request{Key: key.Key, CommonName: "CAP-02000000AA11", Challenge: secret})
	if err != nil {
		t.Fatalf("right challenge: %v", err)
	}
	// Renewal signed by the issued certificate needs no password.
	next := rsaKey(t)
	ren, err := cl.Enroll(context.Background(), capscep.Request{Key: next.Key, CommonName: "CAP-02000000AA11", Current: res.Cert, CurrentKey: key.Key})
	if err != nil {
		t.Fatalf("renewal: %v", err)
	}
	if ren.Cert.SerialNumber.Cmp(res.Cert.SerialNumber) == 0 {
		t.Error("renewal returned the old certificate")
	}

	auth2, ts2 := newServer(t, pki.PolicyApproval, nil)
	cl2 := &capscep.Client{URL: ts2.URL + "/scep"}
	k2 := rsaKey(t)
	if _, err := cl2.Enroll(context.Background(), capscep.Request{Key: k2.Key, CommonName: "CAP-02000000AA12"}); !errors.Is(err, capscep.ErrPending) {
		t.Fatalf("approval policy: %v, want capscep.ErrPending", err)
	}
	reqs := auth2.Requests()
	if len(reqs) != 1 || reqs[0].Via != "scep" {
		t.Fatalf("requests %+v", reqs)
	}
	if _, err := auth2.Decide(reqs[0].ID, pki.RequestApproved); err != nil {
		t.Fatal(err)
	}
	if _, err := cl2.Enroll(context.Background(), capscep.Request{Key: k2.Key, CommonName: "CAP-02000000AA12"}); err != nil {
		t.Fatalf("after approval: %v", err)
	}
}

func TestServerBadInput(t *testing.T) {
	_, ts := newServer(t, pki.PolicyAuto, nil)
	for _, u := range []string{"/scep", "/scep?operation=Nope", "/scep?operation=PKIOperation&message=%%%", "/scep?operation=PKIOperation&message=AAAA"} {
		resp, err := http.Get(ts.URL + u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %s, want 400", u, resp.Status)
		}
	}
	resp, err := http.Post(ts.URL+"/scep?operation=PKIOperation", "application/x-pki-message", strings.NewReader("garbage"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("garbage POST: %s, want 400", resp.Status)
	}
}
