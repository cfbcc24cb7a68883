package pki

import (
	"testing"
)

// FuzzParseCRLFrom: the CRL a manager sends in-band is input from the
// network; parsing and checking it never panics, and only the CA's own
// signature is accepted.
func FuzzParseCRLFrom(f *testing.F) {
	a, err := OpenAuthority(AuthorityConfig{Dir: f.TempDir(), BaseMAC: "02AABBCCDDEE", Policy: PolicyAuto})
	if err != nil {
		f.Fatal(err)
	}
	der, err := a.CRL()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(der)
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		crl, err := ParseCRLFrom(b, a.CA())
		if err == nil && crl.CheckSignatureFrom(a.CA()) != nil {
			t.Fatal("accepted a CRL the CA did not sign")
		}
	})
}

// TestKeepNewestCRL: a CAP never goes back to an older CRL.
func TestKeepNewestCRL(t *testing.T) {
	a, _ := openTest(t, PolicyAuto, ECDSA)
	dir := t.TempDir()
	older, err := a.CRL()
	if err != nil {
		t.Fatal(err)
	}
	csr, _ := csrFor(t, "CAP-02000000FF01")
	if _, err := a.Enroll(EnrollRequest{CSR: csr}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Revoke("CAP-02000000FF01"); err != nil {
		t.Fatal(err)
	}
	newer, err := a.CRL()
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := KeepNewestCRL(dir, newer, a.CA()); !ok || err != nil {
		t.Fatalf("newer CRL: %v %v", ok, err)
	}
	if ok, err := KeepNewestCRL(dir, older, a.CA()); ok || err != nil {
		t.Fatalf("older CRL replaced the newer one: %v %v", ok, err)
	}
	other, _ := openTest(t, PolicyAuto, ECDSA)
	if _, err := KeepNewestCRL(dir, newer, other.CA()); err == nil {
		t.Error("a CRL checked against another CA was accepted")
	}
	crl, err := ReadCRL(dir, a.CA())
	if err != nil || crl == nil || len(crl.RevokedCertificateEntries) != 1 {
		t.Fatalf("stored CRL: %v %v", crl, err)
	}
}
