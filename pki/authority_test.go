package pki

import (
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func openTest(t *testing.T, policy Policy, kt KeyType) (*Authority, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	a, err := OpenAuthority(AuthorityConfig{Dir: t.TempDir(), BaseMAC: "02AABBCCDDEE", KeyType: kt, Policy: policy,
		CAPLifetime: 30 * 24 * time.Hour, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	return a, c
}

func csrFor(t *testing.T, cn string) ([]byte, *Credentials) {
	t.Helper()
	creds, err := LoadCredentials(t.TempDir(), ECDSA)
	if err != nil {
		t.Fatal(err)
	}
	der, err := NewCSR(creds.Key, cn)
	if err != nil {
		t.Fatal(err)
	}
	return der, creds
}

func TestAutoCAAndManager(t *testing.T) {
	for _, kt := range []KeyType{ECDSA, RSA} {
		a, _ := openTest(t, PolicyAuto, kt)
		if got, want := a.CA().Subject.CommonName, "capstan-CA-02AABBCCDDEE"; got != want {
			t.Errorf("%s: CA CN %q, want %q", kt, got, want)
		}
		chain, key := a.ManagerCertificate()
		if got, want := chain[0].Subject.CommonName, "capstan-02AABBCCDDEE"; got != want {
			t.Errorf("%s: manager CN %q, want %q", kt, got, want)
		}
		if err := chain[0].CheckSignatureFrom(a.CA()); err != nil {
			t.Errorf("%s: manager certificate not from the CA: %v", kt, err)
		}
		if !SamePublicKey(chain[0], key) {
			t.Errorf("%s: manager key does not match", kt)
		}
		for _, name := range []string{"capstan-CA-02AABBCCDDEE", "capstan-02AABBCCDDEE"} {
			fi, err := os.Stat(a.keyPath(name))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: %s mode %v, want 0600", kt, name, fi.Mode().Perm())
			}
		}
		// A second start loads the same CA and manager certificate.
		b, err := OpenAuthority(a.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if !b.CA().Equal(a.CA()) || !b.manager.Equal(a.manager) {
			t.Errorf("%s: restart made new certificates", kt)
		}
	}
}

func TestEnrollAutoVerifyRevoke(t *testing.T) {
	a, c := openTest(t, PolicyAuto, ECDSA)
	csr, _ := csrFor(t, "CAP-02000000AA01")
	if _, err := a.Enroll(EnrollRequest{CSR: csr, CommonName: "CAP-02000000AA02", Via: "in-band"}); err == nil {
		t.Fatal("a CSR for another CommonName was accepted")
	}
	chain, err := a.Enroll(EnrollRequest{CSR: csr, CommonName: "CAP-02000000AA01", Via: "in-band"})
	if err != nil {
		t.Fatal(err)
	}
	raw := [][]byte{chain[0].Raw}
	if _, err := a.VerifyCAP(raw); err != nil {
		t.Fatalf("fresh certificate refused: %v", err)
	}
	if chain[0].NotAfter.Sub(c.t) > 30*24*time.Hour {
		t.Errorf("lifetime to %v, want 30 days", chain[0].NotAfter)
	}
	other, _ := openTest(t, PolicyAuto, ECDSA)
	if _, err := other.VerifyCAP(raw); !errors.Is(err, ErrUntrusted) {
		t.Errorf("another CA's manager accepted it: %v", err)
	}
	c.t = c.t.Add(31 * 24 * time.Hour)
	if _, err := a.VerifyCAP(raw); !errors.Is(err, ErrExpired) {
		t.Errorf("expired certificate: %v, want ErrExpired", err)
	}
	c.t = c.t.Add(-31 * 24 * time.Hour)
	serials, err := a.Revoke("CAP-02000000AA01")
	if err != nil || len(serials) != 1 || serials[0] != SerialString(chain[0].SerialNumber) {
		t.Fatalf("revoke: %v %v", serials, err)
	}
	if _, err := a.VerifyCAP(raw); !errors.Is(err, ErrRevoked) {
		t.Errorf("revoked certificate: %v, want ErrRevoked", err)
	}
	if _, err := a.Revoke("CAP-02000000AA01"); err == nil {
		t.Error("revoking twice succeeded")
	}
	der, err := a.CRL()
	if err != nil {
		t.Fatal(err)
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatal(err)
	}
	if err := crl.CheckSignatureFrom(a.CA()); err != nil {
		t.Errorf("CRL signature: %v", err)
	}
	if len(crl.RevokedCertificateEntries) != 1 || crl.RevokedCertificateEntries[0].SerialNumber.Cmp(chain[0].SerialNumber) != 0 {
		t.Errorf("CRL entries %+v, want serial %s", crl.RevokedCertificateEntries, serials[0])
	}
	// A revoked CommonName cannot simply enroll again under auto.
	csr2, _ := csrFor(t, "CAP-02000000AA01")
	if _, err := a.Enroll(EnrollRequest{CSR: csr2, Via: "in-band"}); !errors.Is(err, ErrPending) {
		t.Errorf("re-enrollment after revocation: %v, want ErrPending", err)
	}
}

func TestEnrollOTP(t *testing.T) {
	a, c := openTest(t, PolicyOTP, ECDSA)
	csr, _ := csrFor(t, "CAP-02000000AA01")
	if _, err := a.Enroll(EnrollRequest{CSR: csr}); !errors.Is(err, ErrPasswordRequired) {
		t.Errorf("no password: %v", err)
	}
	_, secret, err := a.AddPassword(time.Hour, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Enroll(EnrollRequest{CSR: csr, Password: secret + "x"}); !errors.Is(err, ErrWrongPassword) {
		t.Errorf("wrong password: %v", err)
	}
	if _, err := a.Enroll(EnrollRequest{CSR: csr, Password: secret}); err != nil {
		t.Fatalf("right password: %v", err)
	}
	if _, err := a.Enroll(EnrollRequest{CSR: csr, Password: secret}); !errors.Is(err, ErrWrongPassword) {
		t.Errorf("password used twice: %v", err)
	}
	_, secret2, _ := a.AddPassword(time.Hour, "")
	c.t = c.t.Add(2 * time.Hour)
	if _, err := a.Enroll(EnrollRequest{CSR: csr, Password: secret2}); !errors.Is(err, ErrWrongPassword) {
		t.Errorf("expired password: %v", err)
	}
	b, _ := os.ReadFile(a.path(enrollmentName))
	if secret == "" || secret2 == "" || containsAny(string(b), secret, secret2) {
		t.Error("enrollment.json holds a clear-text password")
	}
	ps := a.Passwords()
	if len(ps) != 2 || ps[0].UsedBy != "CAP-02000000AA01" || ps[1].UsedAt != nil {
		t.Errorf("passwords %+v", ps)
	}
}

func containsAny(s string, subs ...string) bool {
	return slices.ContainsFunc(subs, func(x string) bool { return strings.Contains(s, x) })
}

func TestEnrollApproval(t *testing.T) {
	a, _ := openTest(t, PolicyApproval, ECDSA)
	csr, _ := csrFor(t, "CAP-02000000AA01")
	_, err := a.Enroll(EnrollRequest{CSR: csr, Address: "192.0.2.7:5246", Via: "in-band"})
	if !errors.Is(err, ErrPending) {
		t.Fatalf("first request: %v, want pending", err)
	}
	_, err = a.Enroll(EnrollRequest{CSR: csr})
	if !errors.Is(err, ErrPending) {
		t.Fatalf("second request: %v, want pending", err)
	}
	reqs := a.Requests()
	if len(reqs) != 1 || reqs[0].State != RequestPending || reqs[0].CommonName != "CAP-02000000AA01" || reqs[0].Address != "192.0.2.7:5246" {
		t.Fatalf("requests %+v", reqs)
	}
	if _, err := a.Decide(reqs[0].ID, RequestApproved); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Enroll(EnrollRequest{CSR: csr}); err != nil {
		t.Fatalf("approved request: %v", err)
	}
	if n := len(a.Requests()); n != 0 {
		t.Errorf("%d requests left after issue", n)
	}
	csr2, _ := csrFor(t, "CAP-02000000AA02")
	a.Enroll(EnrollRequest{CSR: csr2})
	if _, err := a.Decide(a.Requests()[0].ID, RequestRejected); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Enroll(EnrollRequest{CSR: csr2}); !errors.Is(err, ErrRejected) {
		t.Errorf("rejected request: %v", err)
	}
	if _, err := a.Decide("nope", RequestApproved); err == nil {
		t.Error("deciding an unknown request succeeded")
	}
	// Decisions survive a restart.
	b, err := OpenAuthority(a.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r := b.Requests(); len(r) != 1 || r[0].State != RequestRejected {
		t.Errorf("after restart: %+v", r)
	}
}

func TestExportImport(t *testing.T) {
	a, _ := openTest(t, PolicyAuto, ECDSA)
	b, _ := openTest(t, PolicyAuto, RSA)
	for _, format := range []string{FormatPEM, FormatPKCS12} {
		data, err := a.Export(a.mgrName, format, "s3cret", true)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		name := "from-" + format
		if format == FormatPKCS12 {
			if _, err := b.Import(name, data, "wrong"); err == nil {
				t.Errorf("PKCS#12 with a wrong passphrase imported")
			}
		}
		info, err := b.Import(name, data, "s3cret")
		if err != nil {
			t.Fatalf("%s import: %v", format, err)
		}
		if !info.PrivateKey || info.CommonName != "capstan-02AABBCCDDEE" {
			t.Errorf("%s: imported %+v", format, info)
		}
		fi, err := os.Stat(filepath.Join(b.cfg.Dir, "private", name+".key"))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: key file %v %v", format, fi, err)
		}
		if _, err := b.Import(name, data, "s3cret"); err == nil {
			t.Errorf("%s: import over an existing name succeeded", format)
		}
	}
	if _, err := a.Export(a.mgrName, FormatPKCS12, "", true); err == nil {
		t.Error("PKCS#12 with a key and no passphrase exported")
	}
	// A manager can run on an imported certificate.
	cfg := b.cfg
	cfg.Certificate, cfg.CA = "from-pem", "auto"
	if _, err := OpenAuthority(cfg); err != nil {
		t.Errorf("start with imported certificate: %v", err)
	}
	cfg.Certificate = "missing"
	if _, err := OpenAuthority(cfg); err == nil {
		t.Error("start with a missing certificate name succeeded")
	}
}

func TestCredentialsRenewalRecovery(t *testing.T) {
	a, _ := openTest(t, PolicyAuto, ECDSA)
	dir := t.TempDir()
	creds, err := LoadCredentials(dir, ECDSA)
	if err != nil {
		t.Fatal(err)
	}
	csr, _ := NewCSR(creds.Key, "CAP-02000000AA01")
	chain, err := a.Enroll(EnrollRequest{CSR: csr})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SaveCredentials(dir, creds.Key, chain); err != nil {
		t.Fatal(err)
	}
	next, err := NextKey(dir, ECDSA)
	if err != nil {
		t.Fatal(err)
	}
	csr, _ = NewCSR(next, "CAP-02000000AA01")
	renewed, err := a.Renew(csr, "CAP-02000000AA01")
	if err != nil {
		t.Fatal(err)
	}
	// Crash after the certificate is written, before the key is promoted.
	if err := WriteFileAtomic(filepath.Join(dir, CAPCertFile), EncodeCertsPEM(renewed[0]), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := LoadCredentials(dir, ECDSA)
	if err != nil {
		t.Fatal(err)
	}
	if got.Cert == nil || !got.Cert.Equal(renewed[0]) || !SamePublicKey(got.Cert, got.Key) {
		t.Fatal("renewal not recovered after a crash")
	}
	for _, f := range []string{CAPKeyFile} {
		fi, _ := os.Stat(filepath.Join(dir, f))
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v", f, fi.Mode().Perm())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, CAPNextKeyFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("next key still there: %v", err)
	}
	if _, err := a.Renew(csr, "CAP-02000000AA02"); err == nil {
		t.Error("renewal for another CommonName accepted")
	}
}

// TestWebCertificate: the console's certificate names its hosts, is the
// CA's, has serverAuth and no capstan role, is kept while it covers the
// hosts asked for and made again when they change.
func TestWebCertificate(t *testing.T) {
	dir := t.TempDir()
	a, err := OpenAuthority(AuthorityConfig{Dir: dir, BaseMAC: "02AA00000099", KeyType: ECDSA})
	if err != nil {
		t.Fatal(err)
	}
	c1, err := a.WebCertificate([]string{"192.0.2.10", "manager.example"})
	if err != nil {
		t.Fatal(err)
	}
	leaf := c1.Leaf
	if leaf.VerifyHostname("192.0.2.10") != nil || leaf.VerifyHostname("manager.example") != nil || leaf.CheckSignatureFrom(a.CA()) != nil {
		t.Fatalf("web certificate names %v %v, issuer %s", leaf.DNSNames, leaf.IPAddresses, leaf.Issuer)
	}
	if HasManagerRole(leaf) || len(leaf.ExtKeyUsage) != 1 || leaf.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth {
		t.Fatalf("web certificate usage %v (manager role %v): want serverAuth only", leaf.ExtKeyUsage, HasManagerRole(leaf))
	}
	c2, _ := a.WebCertificate([]string{"manager.example"})
	if !c2.Leaf.Equal(leaf) {
		t.Error("a certificate that covers the hosts was made again")
	}
	c3, _ := a.WebCertificate([]string{"other.example"})
	if c3.Leaf.Equal(leaf) || c3.Leaf.VerifyHostname("other.example") != nil {
		t.Error("a new host did not get a new certificate")
	}
}
