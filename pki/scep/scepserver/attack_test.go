package scepserver

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/pki"
	capscep "github.com/capstan-wifi/capstan/pki/scep"
)

// enrolledCAP enrolls a CAP with a one-time password and returns its
// certificate and key.
func enrolledCAP(t *testing.T, auth *pki.Authority, ts *httptest.Server, cn string) (*x509.Certificate, *pki.Credentials) {
	t.Helper()
	_, secret, err := auth.AddPassword(time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	k := rsaKey(t)
	res, err := (&capscep.Client{URL: ts.URL + "/scep"}).Enroll(context.Background(), capscep.Request{Key: k.Key, CommonName: cn, Challenge: secret})
	if err != nil {
		t.Fatalf("legitimate enrollment of %s: %v", cn, err)
	}
	return res.Cert, k
}

// namedCert reads a certificate of the manager's store (the files the
// Authority keeps under Dir/certs).
func namedCert(t *testing.T, dir, name string) *x509.Certificate {
	t.Helper()
	certs, err := pki.ReadCertsFile(filepath.Join(dir, "certs", name+".pem"))
	if err != nil {
		t.Fatal(err)
	}
	return certs[0]
}

// TestAttackSignerConfusion plays hole 1: a request that carries a valid
// certificate of the CA first and the attacker's self-signed one after it,
// signed by the attacker, used to be issued as a renewal of the first
// certificate's name under every policy. Now the signer is the one
// SignerInfo names, so it is an ordinary first enrollment: pending under
// approval, refused under otp, and never a renewal.
func TestAttackSignerConfusion(t *testing.T) {
	for _, policy := range []pki.Policy{pki.PolicyApproval, pki.PolicyOTP, pki.PolicyAuto} {
		t.Run(string(policy), func(t *testing.T) {
			dir := t.TempDir()
			auth, ts := newServerIn(t, dir, policy, nil)
			victim, _ := enrolledCAP(t, auth, ts, "CAP-02000000BB01")
			before := len(auth.IssuedCertificates())
			ra := namedCert(t, dir, "capstan-SCEP-RA-02AABBCCDDEE")
			mgr := namedCert(t, dir, "capstan-02AABBCCDDEE")
			for _, tc := range []struct {
				name   string
				shield *x509.Certificate
				cn     string
			}{
				{"RA name", ra, ra.Subject.CommonName},
				{"manager name", mgr, mgr.Subject.CommonName},
				{"CA name", auth.CA(), auth.CA().Subject.CommonName},
				{"another CAP", victim, victim.Subject.CommonName},
			} {
				k := rsaKey(t)
				cl := &capscep.Client{URL: ts.URL + "/scep"}
				_, err := cl.Enroll(context.Background(), capscep.Request{Key: k.Key, CommonName: tc.cn, Quirks: capscep.Quirks{Prepend: []*x509.Certificate{tc.shield}}})
				switch {
				case err == nil:
					t.Errorf("%s: issued a certificate for %q to a stranger", tc.name, tc.cn)
				case tc.name == "another CAP" && policy == pki.PolicyApproval && !errors.Is(err, capscep.ErrPending):
					t.Errorf("%s: %v, want pending (a new key for a held name needs approval)", tc.name, err)
				case tc.name != "another CAP" && !strings.Contains(err.Error(), "badRequest"):
					t.Errorf("%s: %v, want badRequest (not a CAP name)", tc.name, err)
				}
			}
			if n := len(auth.IssuedCertificates()); n != before {
				t.Errorf("%d certificates issued to the attacker", n-before)
			}
			for _, q := range auth.Requests() {
				if q.CommonName == victim.Subject.CommonName && !strings.Contains(q.Replaces, "serial "+pki.SerialString(victim.SerialNumber)) {
					t.Errorf("pending request for a held name does not say what it replaces: %+v", q)
				}
			}
		})
	}
}

// TestAttackRenewalRequiresCAPCertificate: a RenewalReq signed by the RA's
// certificate, a manager's or a revoked CAP's is no renewal; one signed by
// a valid CAP certificate renews that name only.
func TestAttackRenewalRequiresCAPCertificate(t *testing.T) {
	auth, ts := newServer(t, pki.PolicyOTP, nil)
	cl := &capscep.Client{URL: ts.URL + "/scep"}
	good, goodKey := enrolledCAP(t, auth, ts, "CAP-02000000BB02")
	bad, badKey := enrolledCAP(t, auth, ts, "CAP-02000000BB03")
	if _, err := auth.Revoke(bad.Subject.CommonName); err != nil {
		t.Fatal(err)
	}
	// A renewal for another name than the signer's.
	if _, err := cl.Enroll(context.Background(), capscep.Request{Key: rsaKey(t).Key, CommonName: "CAP-02000000BB09", Current: good, CurrentKey: goodKey.Key}); err == nil {
		t.Error("renewal of CAP-02000000BB02 issued CAP-02000000BB09")
	}
	// Signed by a revoked certificate.
	if _, err := cl.Enroll(context.Background(), capscep.Request{Key: rsaKey(t).Key, CommonName: bad.Subject.CommonName, Current: bad, CurrentKey: badKey.Key}); err == nil {
		t.Error("a revoked certificate renewed itself")
	}
	// The legitimate renewals: RenewalReq, and PKCSReq signed by the
	// current certificate (certmonger resubmit, sscep -K/-O).
	next := rsaKey(t)
	r1, err := cl.Enroll(context.Background(), capscep.Request{Key: next.Key, CommonName: good.Subject.CommonName, Current: good, CurrentKey: goodKey.Key})
	if err != nil {
		t.Fatalf("RenewalReq: %v", err)
	}
	third := rsaKey(t)
	r2, err := cl.Enroll(context.Background(), capscep.Request{Key: third.Key, CommonName: good.Subject.CommonName, Current: r1.Cert, CurrentKey: next.Key, Quirks: capscep.Quirks{PKCSReqOnly: true}})
	if err != nil {
		t.Fatalf("PKCSReq signed by the current certificate: %v", err)
	}
	if r2.Cert.Subject.CommonName != good.Subject.CommonName {
		t.Errorf("renewed %q", r2.Cert.Subject.CommonName)
	}
	var st []string
	for _, r := range auth.IssuedCertificates() {
		if r.CommonName == good.Subject.CommonName {
			st = append(st, r.Via+":"+map[bool]string{true: "superseded", false: "current"}[r.SupersededAt != nil])
		}
	}
	if got := strings.Join(st, " "); got != "scep:superseded renewal:superseded renewal:current" {
		t.Errorf("records of %s: %s", good.Subject.CommonName, got)
	}
}

// TestAttackNames plays hole 3: no enrollment path issues a name that is
// not CAP-<base MAC>, nor a 3,004-character one, even with a valid
// one-time password.
func TestAttackNames(t *testing.T) {
	auth, ts := newServer(t, pki.PolicyAuto, nil)
	cl := &capscep.Client{URL: ts.URL + "/scep"}
	for _, cn := range []string{"capstan-02AABBCCDDEE", "capstan-CA-02AABBCCDDEE", "capstan-SCEP-RA-02AABBCCDDEE",
		"CAP-02aabbccdd01", "CAP-02AABBCCDD0", "cap1", strings.Repeat("A", 3004)} {
		_, secret, _ := auth.AddPassword(time.Hour, "")
		_, err := cl.Enroll(context.Background(), capscep.Request{Key: rsaKey(t).Key, CommonName: cn, Challenge: secret})
		if err == nil || !strings.Contains(err.Error(), "badRequest") {
			t.Errorf("%.40q: %v, want badRequest", cn, err)
		}
	}
	if n := len(auth.IssuedCertificates()); n != 2 { // the manager's and the RA's own records
		t.Errorf("%d records, want only the manager's and the RA's", n)
	}
	if _, err := cl.Enroll(context.Background(), capscep.Request{Key: rsaKey(t).Key, CommonName: "CAP-02AABBCCDD01"}); err != nil {
		t.Errorf("a CAP name under auto: %v", err)
	}
}

// TestRefusalsAreSpecific: the failInfo says why (RFC 8894 §3.2.1.4), and
// a request whose reply could not be encrypted spends no password.
func TestRefusalsAreSpecific(t *testing.T) {
	auth, ts := newServer(t, pki.PolicyOTP, nil)
	cl := &capscep.Client{URL: ts.URL + "/scep"}
	_, err := cl.Enroll(context.Background(), capscep.Request{Key: rsaKey(t).Key, CommonName: "CAP-02000000BB05"})
	if err == nil || !strings.Contains(err.Error(), "badRequest") {
		t.Errorf("no password under otp: %v, want badRequest", err)
	}
	ec, err := pki.LoadCredentials(t.TempDir(), pki.ECDSA)
	if err != nil {
		t.Fatal(err)
	}
	_, secret, _ := auth.AddPassword(time.Hour, "")
	_, err = cl.Enroll(context.Background(), capscep.Request{Key: ec.Key, CommonName: "CAP-02000000BB06", Challenge: secret})
	if err == nil || !strings.Contains(err.Error(), "badAlg") {
		t.Errorf("ECDSA requester (no RSA key to encrypt the reply to): %v, want badAlg", err)
	}
	if p := auth.Passwords(); p[0].UsedAt != nil {
		t.Error("the password was spent on a request whose reply could not be delivered")
	}
	if _, err := cl.Enroll(context.Background(), capscep.Request{Key: rsaKey(t).Key, CommonName: "CAP-02000000BB06", Challenge: secret}); err != nil {
		t.Errorf("the same password with an RSA key: %v", err)
	}
}
