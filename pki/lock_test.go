package pki

import (
	"strings"
	"testing"
	"time"
)

// TestLockCheck: a lock holds the manager's key and CA; a lock of an older
// capstan (CommonName only) still refuses another name.
func TestLockCheck(t *testing.T) {
	a, _ := openTest(t, PolicyAuto, ECDSA)
	b, _ := openTest(t, PolicyAuto, ECDSA) // same CommonName, another CA and key
	idOf := func(x *Authority) ManagerIdentity {
		tc := x.TLSCertificate()
		id, err := ParseManagerChain(tc.Certificate)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	ida, idb := idOf(a), idOf(b)
	if ida.Leaf.Subject.CommonName != idb.Leaf.Subject.CommonName || ida.CA == nil {
		t.Fatalf("test managers: %q %q CA %v", ida.Leaf.Subject.CommonName, idb.Leaf.Subject.CommonName, ida.CA)
	}
	l := Lock{CommonName: ida.Leaf.Subject.CommonName, ManagerKey: ida.KeySHA256, CA: Fingerprint(ida.CA), LockedAt: time.Now()}
	if err := l.Check(ida); err != nil {
		t.Errorf("the locked manager: %v", err)
	}
	if err := l.Check(idb); err == nil || !strings.Contains(err.Error(), "locked to the manager with key SHA-256") {
		t.Errorf("same name, other key: %v", err)
	}
	otherCA := l
	otherCA.CA = Fingerprint(idb.CA)
	if err := otherCA.Check(ida); err == nil || !strings.Contains(err.Error(), "another CA") {
		t.Errorf("same key, other CA: %v", err)
	}
	legacy := Lock{CommonName: "capstan-other"}
	if err := legacy.Check(ida); err == nil {
		t.Error("a CommonName-only lock accepted another name")
	}
	if err := (Lock{CommonName: ida.Leaf.Subject.CommonName}).Check(ida); err != nil {
		t.Errorf("a CommonName-only lock refused its manager: %v", err)
	}
}
