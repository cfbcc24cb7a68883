package pki

import (
	"crypto/x509"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestVerifyCAPRefusesOtherRoles: the CA's, the RA's and the manager's
// certificates are valid certificates of the CA, and none of them passes
// as a CAP's; a CAP certificate has clientAuth only and the manager's
// carries the manager role.
func TestVerifyCAPRefusesOtherRoles(t *testing.T) {
	a, _ := openTest(t, PolicyAuto, ECDSA)
	ra, err := a.SCEPRA()
	if err != nil {
		t.Fatal(err)
	}
	mgr, _ := a.ManagerCertificate()
	for name, c := range map[string]*x509.Certificate{"CA": a.CA(), "RA": ra.Cert, "manager": mgr[0]} {
		if _, err := a.VerifyCAP([][]byte{c.Raw}); !errors.Is(err, ErrWrongRole) && !errors.Is(err, ErrUntrusted) {
			t.Errorf("%s certificate as a CAP: %v, want a role refusal", name, err)
		}
	}
	if !HasManagerRole(mgr[0]) {
		t.Error("the manager certificate lacks the manager role")
	}
	csr, _ := csrFor(t, "CAP-02000000CC01")
	chain, err := a.Enroll(EnrollRequest{CSR: csr})
	if err != nil {
		t.Fatal(err)
	}
	leaf := chain[0]
	if HasManagerRole(leaf) || slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageServerAuth) {
		t.Errorf("CAP certificate usages %v %v: want clientAuth only", leaf.ExtKeyUsage, leaf.UnknownExtKeyUsage)
	}
	if _, err := a.VerifyCAP([][]byte{leaf.Raw}); err != nil {
		t.Errorf("the CAP's own certificate: %v", err)
	}
}

// TestVerifyCAPUnrecorded: a certificate the CA signed but never recorded
// for a CAP (say one made with a copied CA key) is refused.
func TestVerifyCAPUnrecorded(t *testing.T) {
	a, c := openTest(t, PolicyAuto, ECDSA)
	_, creds := csrFor(t, "CAP-02000000CC02")
	forged, err := a.ca.Issue(creds.Key.Public(), IssueOptions{CommonName: "CAP-02000000CC02", Lifetime: time.Hour, Usage: UsageCAP, Now: c.now()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.VerifyCAP([][]byte{forged.Raw}); !errors.Is(err, ErrUnknownCert) {
		t.Errorf("unrecorded certificate: %v, want ErrUnknownCert", err)
	}
}

// TestRenewalSupersedes plays hole 11: after a renewal the old certificate
// is accepted for the grace period and refused after it, listed in the CRL
// as superseded, and certificate print says so.
func TestRenewalSupersedes(t *testing.T) {
	a, c := openTest(t, PolicyAuto, ECDSA)
	csr, _ := csrFor(t, "CAP-02000000CC03")
	old, err := a.Enroll(EnrollRequest{CSR: csr})
	if err != nil {
		t.Fatal(err)
	}
	csr2, _ := csrFor(t, "CAP-02000000CC03")
	renewed, err := a.Renew(csr2, "CAP-02000000CC03")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.VerifyCAP([][]byte{old[0].Raw}); err != nil {
		t.Errorf("old certificate within the grace: %v", err)
	}
	c.t = c.t.Add(DefaultSupersedeGrace + time.Minute)
	if _, err := a.VerifyCAP([][]byte{old[0].Raw}); !errors.Is(err, ErrSuperseded) {
		t.Errorf("old certificate after the grace: %v, want ErrSuperseded", err)
	}
	if _, err := a.VerifyCAP([][]byte{renewed[0].Raw}); err != nil {
		t.Errorf("renewed certificate: %v", err)
	}
	der, err := a.CRL()
	if err != nil {
		t.Fatal(err)
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatal(err)
	}
	if len(crl.RevokedCertificateEntries) != 1 || crl.RevokedCertificateEntries[0].SerialNumber.Cmp(old[0].SerialNumber) != 0 ||
		crl.RevokedCertificateEntries[0].ReasonCode != 4 {
		t.Errorf("CRL entries %+v, want the old serial as superseded (4)", crl.RevokedCertificateEntries)
	}
	infos, err := a.Certificates()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(infos, func(ci CertInfo) bool { return ci.Serial == SerialString(old[0].SerialNumber) })
	if i < 0 || infos[i].Status != "superseded" || !strings.Contains(infos[i].Detail, "superseded by serial "+SerialString(renewed[0].SerialNumber)) {
		t.Errorf("certificate print of the old certificate: %+v", infos[i])
	}
}

// TestHeldNameNeedsApproval plays hole 3's second half: a name with a valid
// certificate under another key is never issued automatically.
func TestHeldNameNeedsApproval(t *testing.T) {
	a, _ := openTest(t, PolicyAuto, ECDSA)
	csr, _ := csrFor(t, "CAP-02000000CC04")
	if _, err := a.Enroll(EnrollRequest{CSR: csr}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Enroll(EnrollRequest{CSR: csr}); err != nil {
		t.Errorf("the same key asking again: %v", err)
	}
	csr2, _ := csrFor(t, "CAP-02000000CC04")
	if _, err := a.Enroll(EnrollRequest{CSR: csr2}); !errors.Is(err, ErrPending) {
		t.Fatalf("another key for a held name under auto: %v, want pending", err)
	}
	q := a.Requests()
	if len(q) != 1 || !strings.HasPrefix(q[0].Replaces, "CAP-02000000CC04 serial ") {
		t.Fatalf("requests %+v", q)
	}
	_, secret, _ := a.AddPassword(time.Hour, "")
	csr3, _ := csrFor(t, "CAP-02000000CC04")
	if _, err := a.Enroll(EnrollRequest{CSR: csr3, Password: secret}); err != nil {
		t.Errorf("another key with a one-time password: %v", err)
	}
}

// TestPreApproved: a pre-approved MAC pattern adopts under approval.
func TestPreApproved(t *testing.T) {
	a, _ := openTest(t, PolicyApproval, ECDSA)
	if err := a.PreApprove("02:00:00:00:dd:*", false); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "02:00:zz:*", "[", strings.Repeat("0", 65)} {
		if err := a.PreApprove(bad, false); err == nil {
			t.Errorf("pattern %q accepted", bad)
		}
	}
	csr, _ := csrFor(t, "CAP-02000000DD01")
	if _, err := a.Enroll(EnrollRequest{CSR: csr}); err != nil {
		t.Errorf("pre-approved MAC: %v", err)
	}
	csr2, _ := csrFor(t, "CAP-02000000EE01")
	if _, err := a.Enroll(EnrollRequest{CSR: csr2}); !errors.Is(err, ErrPending) {
		t.Errorf("other MAC: %v, want pending", err)
	}
	got, err := a.ApproveAll()
	if err != nil || len(got) != 1 {
		t.Fatalf("approve all: %v %v", got, err)
	}
	if _, err := a.Enroll(EnrollRequest{CSR: csr2}); err != nil {
		t.Errorf("after approve all: %v", err)
	}
}
