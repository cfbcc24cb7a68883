package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"os"
	"testing"
	"time"
)

// journalKey is every test CAP's key: a name asked again with the same
// key is a renewal, issued without approval.
var journalKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)

func enrollN(t testing.TB, a *Authority, from, n int) {
	t.Helper()
	key := journalKey
	for i := from; i < from+n; i++ {
		csr, err := NewCSR(key, fmt.Sprintf("CAP-%012X", i))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Enroll(EnrollRequest{CSR: csr, Via: "in-band"}); err != nil {
			t.Fatal(err)
		}
	}
}

// Issuing appends to the journal; reopening replays it; a torn last line
// (a crash while appending) is dropped, any other bad line is an error;
// the journal is folded into the snapshot at open and every
// journalCompactEvery lines.
func TestIssueJournal(t *testing.T) {
	dir := t.TempDir()
	open := func() *Authority {
		a, err := OpenAuthority(AuthorityConfig{Dir: dir, BaseMAC: "02AABBCCDDEE", Policy: PolicyAuto})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := open()
	base := len(a.IssuedCertificates()) // the manager's and the like
	snap, _ := os.ReadFile(a.path(issuedName))
	lines := a.journalLines
	enrollN(t, a, 1, 5)
	if after, _ := os.ReadFile(a.path(issuedName)); string(after) != string(snap) {
		t.Error("issuing rewrote issued.json")
	}
	if a.journalLines-lines != 5 {
		t.Errorf("journal grew by %d lines for 5 issues, want 5", a.journalLines-lines)
	}
	// A renewal of the same name supersedes through the journal too.
	enrollN(t, a, 1, 1)
	// Crash mid-append: a torn line at the end.
	f, _ := os.OpenFile(a.path(issuedJournalName), os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"issue":{"serial":"ab`)
	f.Close()
	b := open()
	recs := b.IssuedCertificates()
	if len(recs) != base+6 {
		t.Fatalf("%d records after reopening, want %d", len(recs), base+6)
	}
	superseded := 0
	for _, r := range recs {
		if r.SupersededAt != nil {
			superseded++
		}
	}
	if superseded != 1 {
		t.Errorf("%d superseded records, want 1", superseded)
	}
	if fi, _ := os.Stat(b.path(issuedJournalName)); fi.Size() != 0 {
		t.Errorf("journal of %d bytes after open, want it folded into the snapshot", fi.Size())
	}
	// A bad line that is not the last is corruption.
	os.WriteFile(b.path(issuedJournalName), []byte("not json\n{}\n"), 0o600)
	if _, err := OpenAuthority(AuthorityConfig{Dir: dir, BaseMAC: "02AABBCCDDEE", Policy: PolicyAuto}); err == nil {
		t.Error("a corrupt journal line was ignored")
	}
	os.WriteFile(b.path(issuedJournalName), nil, 0o600)
	// Compaction every journalCompactEvery lines.
	c := open()
	enrollN(t, c, 100, journalCompactEvery+3)
	if c.journalLines != 3 {
		t.Errorf("journal holds %d lines after %d issues, want 3 (compacted)", c.journalLines, journalCompactEvery+3)
	}
	if n := len(open().IssuedCertificates()); n != base+6+journalCompactEvery+3 {
		t.Errorf("%d records after compaction and reopening", n)
	}
}

// BenchmarkIssue: issuing a CAP certificate costs the same with 100 and
// with 10,000 records (an append and an fsync, no rewrite of all).
func BenchmarkIssue(b *testing.B) {
	for _, held := range []int{100, 10000} {
		b.Run(fmt.Sprint(held), func(b *testing.B) {
			a, err := OpenAuthority(AuthorityConfig{Dir: b.TempDir(), BaseMAC: "02AABBCCDDEE", Policy: PolicyAuto})
			if err != nil {
				b.Fatal(err)
			}
			enrollN(b, a, 1, held)
			b.ResetTimer()
			start := time.Now()
			enrollN(b, a, held+1, b.N)
			b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N), "µs/issue")
		})
	}
}
