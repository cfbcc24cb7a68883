package admin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPasswordHash(t *testing.T) {
	h1, err := hashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := hashPassword("correct horse battery")
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=19456,t=2,p=1$") || h1 == h2 {
		t.Fatalf("hashes %q and %q: want Argon2id PHC strings with their own salts", h1, h2)
	}
	if ok, err := checkPassword(h1, "correct horse battery"); !ok || err != nil {
		t.Errorf("right password: %v, %v", ok, err)
	}
	if ok, _ := checkPassword(h1, "correct horse batterY"); ok {
		t.Error("wrong password verified")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		strings.Replace(h1, "m=19456", "m=4194304", 1), // 4 GiB: refused, not computed
		strings.Replace(h1, "t=2", "t=1000", 1), h1[:len(h1)-10]} {
		if _, err := checkPassword(bad, "x"); err == nil {
			t.Errorf("hash %q taken", bad)
		}
	}
}

func TestStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add("admin", Full, "a long enough secret"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, group, pw, want string }{
		{"admin", "full", "a long enough secret", "exists"},
		{"Admin", "full", "a long enough secret", "name"},
		{"bob", "root", "a long enough secret", "group"},
		{"bob", "read", "short", "password"},
		{"-bob", "read", "a long enough secret", "name"},
	} {
		if err := s.Add(c.name, Group(c.group), c.pw); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Add(%q, %q): %v, want an error about %s", c.name, c.group, err, c.want)
		}
	}
	if err := s.Add("viewer", Read, "another long secret"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("users file: %v, mode %v, want 0600", err, fi.Mode())
	}
	if b, _ := os.ReadFile(path); strings.Contains(string(b), "a long enough secret") {
		t.Fatal("the users file holds a password in clear")
	}
	again, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if u, ok := again.Verify("viewer", "another long secret"); !ok || u.Group != Read {
		t.Errorf("after reopening: Verify viewer = %+v, %v", u, ok)
	}
	if _, ok := again.Verify("viewer", "another long secreT"); ok {
		t.Error("wrong password verified")
	}
	if _, ok := again.Verify("nobody", "another long secret"); ok {
		t.Error("unknown user verified")
	}
	if err := s.Set("admin", Read, ""); err != ErrLastFull {
		t.Errorf("making the last full user read-only: %v, want ErrLastFull", err)
	}
	if err := s.Remove("admin"); err != ErrLastFull {
		t.Errorf("removing the last full user while others exist: %v, want ErrLastFull", err)
	}
	if err := s.Set("viewer", Full, "a new long password"); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Verify("viewer", "a new long password"); !ok {
		t.Error("the new password does not verify")
	}
	if err := s.Remove("admin"); err != nil {
		t.Fatal(err)
	}
	if got := s.List(); len(got) != 1 || got[0].Name != "viewer" || got[0].Group != Full {
		t.Errorf("users %+v", got)
	}
}

func TestSessions(t *testing.T) {
	s := NewSessions()
	now := time.Unix(1_000_000, 0)
	s.now = func() time.Time { return now }
	tok, ses, err := s.New(User{Name: "admin", Group: Full})
	if err != nil || len(tok) != 64 || len(ses.CSRF) != 64 || tok == ses.CSRF {
		t.Fatalf("New: %q, %+v, %v", tok, ses, err)
	}
	if _, ok := s.Get(tok + "x"); ok {
		t.Error("a wrong token found a session")
	}
	now = now.Add(IdleTimeout - time.Second)
	if _, ok := s.Get(tok); !ok {
		t.Fatal("session gone before its idle timeout")
	}
	now = now.Add(IdleTimeout + time.Second)
	if _, ok := s.Get(tok); ok {
		t.Fatal("session alive after its idle timeout")
	}
	tok, _, _ = s.New(User{Name: "admin", Group: Full})
	for range 2*int(MaxAge/IdleTimeout) + 1 {
		now = now.Add(IdleTimeout / 2)
		s.Get(tok)
	}
	if _, ok := s.Get(tok); ok {
		t.Fatal("a busy session outlived MaxAge")
	}
	a, _, _ := s.New(User{Name: "a", Group: Read})
	b, _, _ := s.New(User{Name: "b", Group: Read})
	s.EndUser("a")
	if _, ok := s.Get(a); ok {
		t.Error("EndUser left a's session")
	}
	if _, ok := s.Get(b); !ok {
		t.Error("EndUser ended b's session")
	}
	s.End(b)
	if _, ok := s.Get(b); ok {
		t.Error("End left the session")
	}
}

func TestSessionsBounded(t *testing.T) {
	s := NewSessions()
	now := time.Unix(1_000_000, 0)
	s.now = func() time.Time { return now }
	for range MaxSessions {
		if _, _, err := s.New(User{Name: "u", Group: Read}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.New(User{Name: "u", Group: Read}); err != ErrTooManySessions {
		t.Fatalf("session %d: %v, want ErrTooManySessions", MaxSessions+1, err)
	}
	now = now.Add(IdleTimeout + time.Second)
	if _, _, err := s.New(User{Name: "u", Group: Read}); err != nil || s.Len() != 1 {
		t.Fatalf("after the others expired: %v, %d sessions", err, s.Len())
	}
}

func TestLoginsLimited(t *testing.T) {
	l := NewLogins()
	n := 0
	for range 100 {
		if l.Allow("192.0.2.1", "admin") {
			n++
		}
	}
	if n != userBurst {
		t.Errorf("one source, one name: %d attempts allowed, want %d", n, userBurst)
	}
	// Many sources against one name: the name's burst is all they get.
	n = 0
	for i := range 100 {
		if l.Allow("198.51.100."+string(rune('0'+i%10))+string(rune('0'+i/10)), "root") {
			n++
		}
	}
	if n != userBurst {
		t.Errorf("100 sources, one name: %d attempts allowed, want %d", n, userBurst)
	}
	// One source across many names: the source's burst.
	n = 0
	for i := range 100 {
		if l.Allow("203.0.113.9", "user"+string(rune('a'+i%26))+string(rune('a'+i/26))) {
			n++
		}
	}
	if n != sourceBurst {
		t.Errorf("one source, 100 names: %d attempts allowed, want %d", n, sourceBurst)
	}
}
