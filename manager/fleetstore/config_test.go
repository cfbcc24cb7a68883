package fleetstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/manager/admin"
	"github.com/capstan-wifi/capstan/manager/channel"
	"github.com/capstan-wifi/capstan/manager/fleetstore"
	"github.com/capstan-wifi/capstan/manager/fleetstore/fleetstoretest"
	"github.com/capstan-wifi/capstan/manager/model"
	"github.com/capstan-wifi/capstan/pki"
)

func setSSID(ssid string) func(*model.Config) error {
	return func(c *model.Config) error {
		r, _ := model.Lookup("configuration")
		ch, err := model.ParseChange(r, map[string]any{"name": "office", "ssid": ssid})
		if err != nil {
			return err
		}
		if i, err := c.Find("configuration", "office"); err == nil {
			c.Set("configuration", i, model.Change{"ssid": ch["ssid"]})
			return nil
		}
		_, err = c.Add("configuration", ch, -1)
		return err
	}
}

func ssidOf(s *model.Store) string {
	i, err := s.Config().Find("configuration", "office")
	if err != nil {
		return ""
	}
	return s.Config().Items("configuration")[i].String("ssid")
}

// TestConfigurationSharedByTwoManagers: the first manager seeds the
// fleet's configuration, the second takes it; a change on either reaches
// the other; two changes on the same revision give one conflict and no
// lost update.
func TestConfigurationSharedByTwoManagers(t *testing.T) {
	c := fleetstoretest.Start(t, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	open := func() *fleetstore.Store {
		s, err := fleetstore.Open(ctx, c.Config("cfg"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	seed := model.Memory(nil)
	if _, err := seed.Update(setSSID("Seeded")); err != nil {
		t.Fatal(err)
	}
	a, err := fleetstore.OpenConfig(ctx, open(), seed.Config(), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := fleetstore.OpenConfig(ctx, open(), model.New(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if ssidOf(a) != "Seeded" || ssidOf(b) != "Seeded" {
		t.Fatalf("after seeding: A %q, B %q", ssidOf(a), ssidOf(b))
	}
	var mu sync.Mutex
	var seen []string
	b.Subscribe(func(cfg *model.Config) {
		mu.Lock()
		seen = append(seen, ssidOf(b))
		mu.Unlock()
	})
	if _, err := a.Update(setSSID("From A")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "B to get A's change", func() bool { return ssidOf(b) == "From A" })
	if b.Revision() != a.Revision() {
		t.Fatalf("revisions A %d, B %d", a.Revision(), b.Revision())
	}

	// Two managers change on the same revision: B2 is a manager that
	// stopped following (its watch context ended) at the current revision.
	bctx, bcancel := context.WithCancel(ctx)
	b2, err := fleetstore.OpenConfig(bctx, open(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	bcancel()
	_, errA := a.Update(setSSID("A wins"))
	_, errB := b2.Update(setSSID("B loses"))
	var ce *fleetstore.ConflictError
	if errA != nil || !errors.As(errB, &ce) || ce.Base != b2.Revision() {
		t.Fatalf("A: %v; B on the stale revision: %v", errA, errB)
	}
	t.Logf("the second change: %v", errB)
	if ssidOf(b2) == "B loses" {
		t.Fatal("the refused change took effect on its manager")
	}
	waitFor(t, "B to get A's winning change", func() bool { return ssidOf(b) == "A wins" })
	if ssidOf(a) != "A wins" {
		t.Fatalf("A has %q", ssidOf(a))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < 2 || seen[len(seen)-1] != "A wins" {
		t.Fatalf("B's subscribers saw %q", seen)
	}
}

// TestPKISealedCA: the CA's key is in etcd only sealed; a manager with
// another store key is refused with both key IDs; one with the right key
// gets the same CA.
func TestPKISealedCA(t *testing.T) {
	c := fleetstoretest.Start(t, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := fleetstore.Open(ctx, c.Config("pki"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	kek, _ := fleetstore.ParseKEK(strings.Repeat("ab", 32))
	other, _ := fleetstore.ParseKEK(strings.Repeat("cd", 32))
	open := func(k *fleetstore.KEK, mac string) (*pki.Authority, error) {
		return pki.OpenAuthority(pki.AuthorityConfig{Dir: t.TempDir(), BaseMAC: mac, Fleet: fleetstore.NewPKI(ctx, s, k)})
	}
	// Four managers start at once on an empty store: one CA for all.
	var wg sync.WaitGroup
	firsts := make([]*pki.Authority, 4)
	errs := make([]error, 4)
	for i := range firsts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			firsts[i], errs[i] = open(kek, fmt.Sprintf("0200000000F%d", i))
		}()
	}
	wg.Wait()
	for i := range firsts {
		if errs[i] != nil {
			t.Fatalf("manager %d of 4 started at once: %v", i, errs[i])
		}
		if pki.Fingerprint(firsts[i].CA()) != pki.Fingerprint(firsts[0].CA()) {
			t.Fatalf("managers started at once made different CAs")
		}
	}
	a := firsts[0]
	e, err := s.Get(ctx, "pki/ca")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(e.Value), "PRIVATE KEY") {
		t.Fatal("the CA key is in etcd in clear")
	}
	if _, err := open(other, "02000000000B"); err == nil || !strings.Contains(err.Error(), other.ID()) || !strings.Contains(err.Error(), kek.ID()) {
		t.Fatalf("a manager with another store key: %v", err)
	}
	b, err := open(kek, "02000000000B")
	if err != nil {
		t.Fatal(err)
	}
	if pki.Fingerprint(a.CA()) != pki.Fingerprint(b.CA()) {
		t.Fatal("two managers, two CAs")
	}
}

func TestReadKEKRefusesOpenFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "kek")
	if err := os.WriteFile(p, []byte(strings.Repeat("ab", 32)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := fleetstore.ReadKEK(p); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a world-readable key: %v", err)
	}
	os.Chmod(p, 0o600)
	if _, err := fleetstore.ReadKEK(p); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(p, []byte("short"), 0o600)
	if _, err := fleetstore.ReadKEK(p); err == nil {
		t.Fatal("a short key accepted")
	}
}

// TestChannelsShared: a channel one manager saves for a radio is the one
// another manager finds, and a forgotten one is forgotten by both; a
// manager's own file seeds what the fleet lacks.
func TestChannelsShared(t *testing.T) {
	c := fleetstoretest.Start(t, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := fleetstore.Open(ctx, c.Config("ch"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	seed, _ := channel.OpenSaved(t.TempDir())
	if err := seed.Set("02:00:00:00:00:10", 2437); err != nil {
		t.Fatal(err)
	}
	a, err := fleetstore.OpenChannels(ctx, s, seed, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := fleetstore.OpenChannels(ctx, s, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Get("02:00:00:00:00:10") != 2437 || b.Get("02:00:00:00:00:10") != 2437 {
		t.Fatalf("seeded selection: A %d, B %d", a.Get("02:00:00:00:00:10"), b.Get("02:00:00:00:00:10"))
	}
	if err := a.Set("02:00:00:00:00:20", 5180); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "B to find A's selection", func() bool { return b.Get("02:00:00:00:00:20") == 5180 })
	if err := b.Set("02:00:00:00:00:10", 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "A to forget what B forgot", func() bool { return a.Get("02:00:00:00:00:10") == 0 })
}

// TestOffersShared: an upgrade offered by one manager is known to another.
func TestOffersShared(t *testing.T) {
	c := fleetstoretest.Start(t, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := fleetstore.Open(ctx, c.Config("up"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, err := fleetstore.OpenOffers(ctx, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := fleetstore.OpenOffers(ctx, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 5, 1, 0, 0, 0, time.UTC)
	a.Offer("02:00:00:00:00:01", "1.2.3", at)
	waitFor(t, "b to know a's offer", func() bool {
		v, when, ok := b.Offered("02:00:00:00:00:01")
		return ok && v == "1.2.3" && when.Equal(at)
	})
}

// TestUsersShared: an administrator added on one manager logs in on
// another; a change on a stale revision is refused.
func TestUsersShared(t *testing.T) {
	c := fleetstoretest.Start(t, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := fleetstore.Open(ctx, c.Config("users"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, err := fleetstore.OpenUsers(ctx, s, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := fleetstore.OpenUsers(ctx, s, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Add("alice", admin.Full, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "alice on b", func() bool { _, ok := b.Verify("alice", "correct horse battery"); return ok })
	if _, ok := b.Verify("alice", "wrong password!"); ok {
		t.Fatal("a wrong password verified")
	}
	bctx, bcancel := context.WithCancel(ctx)
	stale, err := fleetstore.OpenUsers(bctx, s, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	bcancel()
	if err := a.Add("bob", admin.Read, "another long password"); err != nil {
		t.Fatal(err)
	}
	var ce *fleetstore.ConflictError
	if err := stale.Add("carol", admin.Read, "yet another password"); !errors.As(err, &ce) {
		t.Fatalf("a change on a stale revision: %v", err)
	}
}
