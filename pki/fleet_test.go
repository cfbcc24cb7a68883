package pki

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// memFleet is a fleet store in memory: what one Authority commits, the
// test hands to the others with MergeFleet, as the fleet store's watch
// does.
type memFleet struct {
	mu        sync.Mutex
	ca        *CA
	records   map[string]Issued
	outside   []Revocation
	crl       int64
	enroll    []byte
	enrollRev int64
}

func (f *memFleet) CA(make func() (*CA, error)) (*CA, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ca == nil {
		ca, err := make()
		if err != nil {
			return nil, err
		}
		f.ca = ca
	}
	return f.ca, nil
}

func (f *memFleet) Seed(rs []Issued) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range rs {
		if _, ok := f.records[r.Serial]; !ok {
			f.records[r.Serial] = r
		}
	}
	return nil
}

func (f *memFleet) Commit(rs []Issued, out []Revocation) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range rs {
		if old, ok := f.records[r.Serial]; ok && old.RevokedAt != nil && r.RevokedAt == nil {
			r.RevokedAt = old.RevokedAt
		}
		f.records[r.Serial] = r
	}
	f.outside = append(f.outside, out...)
	return nil
}

func (f *memFleet) NextCRLNumber(atLeast int64) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.crl = max(f.crl+1, atLeast)
	return f.crl, nil
}

func (f *memFleet) SaveEnrollment(data []byte, base int64) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if base != f.enrollRev {
		return 0, fmt.Errorf("conflict: revision %d, not %d", f.enrollRev, base)
	}
	f.enrollRev++
	f.enroll = append([]byte(nil), data...)
	return f.enrollRev, nil
}

func (f *memFleet) all() []Issued {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Issued
	for _, r := range f.records {
		out = append(out, r)
	}
	return out
}

// TestFleetSharesCAAndRecords: two managers on one fleet have one CA and
// fleet-role certificates; a CAP enrolled on A is accepted by B once B has
// the fleet's records; a revocation on B reaches A as a serial to
// disconnect; CRL numbers never repeat across the two; a CAP locked to A
// accepts B but not a plain manager of the same CA nor a fleet manager of
// another CA.
func TestFleetSharesCAAndRecords(t *testing.T) {
	f := &memFleet{records: map[string]Issued{}}
	open := func(mac string, fleet Fleet) *Authority {
		a, err := OpenAuthority(AuthorityConfig{Dir: t.TempDir(), BaseMAC: mac, Policy: PolicyAuto, Fleet: fleet})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a, b := open("02000000000A", f), open("02000000000B", f)
	if Fingerprint(a.CA()) != Fingerprint(b.CA()) {
		t.Fatal("two managers of one fleet have different CAs")
	}
	if _, err := ReadKeyFile(a.keyPath(a.CAName())); err == nil {
		t.Fatal("the fleet CA's key was written to the state directory")
	}
	for _, m := range []*Authority{a, b} {
		if chain, _ := m.ManagerCertificate(); !HasFleetRole(chain[0]) || len(chain) != 2 {
			t.Fatalf("manager certificate of a fleet: fleet role %v, chain %d", HasFleetRole(chain[0]), len(chain))
		}
	}

	csr, _ := csrFor(t, "CAP-02AABB000001")
	chain, err := a.Enroll(EnrollRequest{CSR: csr, Via: "in-band"})
	if err != nil {
		t.Fatal(err)
	}
	raw := [][]byte{chain[0].Raw, chain[1].Raw}
	if _, err := b.VerifyCAP(raw); err == nil {
		t.Fatal("B accepted a CAP certificate it has no record of")
	}
	b.MergeFleet(f.all(), nil, true)
	if _, err := b.VerifyCAP(raw); err != nil {
		t.Fatalf("B refused A's CAP after the merge: %v", err)
	}

	serials, err := b.Revoke("CAP-02AABB000001")
	if err != nil || len(serials) != 1 {
		t.Fatalf("revoke on B: %v %v", serials, err)
	}
	var changed []Issued
	for _, r := range f.all() {
		if r.Serial == serials[0] {
			changed = append(changed, r)
		}
	}
	if got := a.MergeFleet(changed, nil, false); !slices.Equal(got, serials) {
		t.Fatalf("A was told to disconnect %v, want %v", got, serials)
	}
	if _, err := a.VerifyCAP(raw); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("A after B's revoke: %v", err)
	}
	if again := a.MergeFleet(changed, nil, false); len(again) != 0 {
		t.Fatalf("a repeated revocation was reported again: %v", again)
	}

	crlA, err := a.CRL()
	if err != nil {
		t.Fatal(err)
	}
	crlB, err := b.CRL()
	if err != nil {
		t.Fatal(err)
	}
	la, _ := ParseCRLFrom(crlA, a.CA())
	lb, _ := ParseCRLFrom(crlB, b.CA())
	if la.Number.Cmp(lb.Number) == 0 {
		t.Fatalf("two managers signed CRL number %v", la.Number)
	}

	idOf := func(x *Authority) ManagerIdentity {
		id, err := ParseManagerChain(x.TLSCertificate().Certificate)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	ida := idOf(a)
	lock := Lock{CommonName: ida.Leaf.Subject.CommonName, ManagerKey: ida.KeySHA256, CA: Fingerprint(ida.CA), Fleet: true, LockedAt: time.Now()}
	if err := lock.Check(idOf(b)); err != nil {
		t.Errorf("a CAP locked to A refused B of the same fleet: %v", err)
	}
	other := open("02000000000C", &memFleet{records: map[string]Issued{}})
	if err := lock.Check(idOf(other)); err == nil {
		t.Error("a CAP locked to A's fleet accepted a fleet manager of another CA")
	}
	plain, err := a.ca.Issue(ida.Leaf.PublicKey, IssueOptions{CommonName: "capstan-plain", Lifetime: time.Hour, Usage: UsageManager, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	idPlain := ida
	idPlain.Leaf = plain
	idPlain.KeySHA256 = "another"
	if err := lock.Check(idPlain); err == nil {
		t.Error("a CAP locked to A's fleet accepted a manager certificate without the fleet role")
	}
	solo := lock
	solo.Fleet = false
	if err := solo.Check(idOf(b)); err == nil {
		t.Error("a lock to one manager accepted another manager of its fleet")
	}
}

// TestFleetSharesEnrollment: a one-time password made on A enrolls a CAP
// on B, and is then used on A too; a decision on a stale enrollment state
// is refused instead of overwriting the newer one.
func TestFleetSharesEnrollment(t *testing.T) {
	f := &memFleet{records: map[string]Issued{}}
	open := func(mac string) *Authority {
		a, err := OpenAuthority(AuthorityConfig{Dir: t.TempDir(), BaseMAC: mac, Policy: PolicyOTP, Fleet: f})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a, b := open("02000000000A"), open("02000000000B")
	sync := func(x *Authority) {
		f.mu.Lock()
		data, rev := f.enroll, f.enrollRev
		f.mu.Unlock()
		if err := x.MergeEnrollment(data, rev); err != nil {
			t.Fatal(err)
		}
	}
	_, secret, err := a.AddPassword(time.Hour, "for cap 1")
	if err != nil {
		t.Fatal(err)
	}
	sync(b)
	csr, _ := csrFor(t, "CAP-02AABB000001")
	if _, err := b.Enroll(EnrollRequest{CSR: csr, Password: secret, Via: "in-band"}); err != nil {
		t.Fatalf("A's password on B: %v", err)
	}
	sync(a)
	csr2, _ := csrFor(t, "CAP-02AABB000002")
	if _, err := a.Enroll(EnrollRequest{CSR: csr2, Password: secret, Via: "in-band"}); err == nil {
		t.Fatal("the password B used was accepted again on A")
	}
	// B has not seen A's latest state: its change is refused.
	if _, _, err := a.AddPassword(time.Hour, "another"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.AddPassword(time.Hour, "stale"); err == nil || !strings.Contains(err.Error(), "conflict") {
		t.Fatalf("a change on a stale enrollment state: %v", err)
	}
}
