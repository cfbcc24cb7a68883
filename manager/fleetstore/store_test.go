package fleetstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/manager/fleetstore"
	"github.com/capstan-wifi/capstan/manager/fleetstore/fleetstoretest"
)

func TestParseURL(t *testing.T) {
	cfg, tlsOn, err := fleetstore.ParseURL("etcd://m1:2379,m2:2379,10.0.0.3:2379/lab")
	if err != nil || tlsOn || len(cfg.Endpoints) != 3 || cfg.Endpoints[2] != "http://10.0.0.3:2379" || cfg.Prefix != "/lab/" {
		t.Fatalf("got %+v %v %v", cfg, tlsOn, err)
	}
	cfg, tlsOn, err = fleetstore.ParseURL("etcds://m1:2379")
	if err != nil || !tlsOn || cfg.Endpoints[0] != "https://m1:2379" || cfg.Prefix != "" {
		t.Fatalf("got %+v %v %v", cfg, tlsOn, err)
	}
	for _, bad := range []string{"", "m1:2379", "http://m1:2379", "etcd://", "etcd://m1", "etcd://user@m1:2379", "etcd://,"} {
		if _, _, err := fleetstore.ParseURL(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

type recorder struct {
	mu     sync.Mutex
	loads  int
	values map[string]string
	seen   chan struct{}
}

func (r *recorder) Load(es []fleetstore.Entry, _ int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.loads++
	r.values = map[string]string{}
	for _, e := range es {
		r.values[e.Name] = string(e.Value)
	}
}

func (r *recorder) Apply(e fleetstore.Event) {
	r.mu.Lock()
	if e.Deleted {
		delete(r.values, e.Name)
	} else {
		r.values[e.Name] = string(e.Value)
	}
	r.mu.Unlock()
	select {
	case r.seen <- struct{}{}:
	default:
	}
}

func (r *recorder) get(name string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.values[name]
	return v, ok
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTransactionsWatchAndQuorum runs against a real three-member etcd:
// conditional writes conflict instead of losing an update, a follower sees
// every change, and without quorum a write is refused with the reason
// within the store's timeout while the follower keeps its state.
func TestTransactionsWatchAndQuorum(t *testing.T) {
	c := fleetstoretest.Start(t, 3)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := fleetstore.Open(ctx, c.Config("t1"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	if _, err := s.Get(ctx, "config"); !errors.Is(err, fleetstore.ErrNotFound) {
		t.Fatalf("get of nothing: %v", err)
	}
	rev, err := s.Put(ctx, "config", []byte("v1"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "config", []byte("again"), 0); !isConflict(err) {
		t.Fatalf("create over an existing key: %v", err)
	}
	// Two writers on the same base: one wins, the other is told.
	rev2, err := s.Put(ctx, "config", []byte("v2 by A"), rev)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Put(ctx, "config", []byte("v2 by B"), rev)
	var ce *fleetstore.ConflictError
	if !errors.As(err, &ce) || ce.Base != rev || ce.Now != rev2 {
		t.Fatalf("second writer on revision %d: %v", rev, err)
	}
	if e, err := s.Get(ctx, "config"); err != nil || string(e.Value) != "v2 by A" || e.Rev != rev2 {
		t.Fatalf("after the conflict: %+v %v", e, err)
	}

	r := &recorder{seen: make(chan struct{}, 1)}
	if err := s.Follow(ctx, "caps/", r); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Set(ctx, "caps/a", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Set(ctx, "caps/b", []byte("2")); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "caps/a", -1); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the follower to see caps/b and not caps/a", func() bool {
		_, a := r.get("caps/a")
		b, _ := r.get("caps/b")
		return !a && b == "2"
	})
	if _, ok := r.get("config"); ok {
		t.Fatal("the follower of caps/ saw config")
	}

	// Quorum lost: two of three members down.
	ms := c.Members()
	c.Stop(ms[1])
	c.Stop(ms[2])
	start := time.Now()
	_, err = s.Set(ctx, "caps/c", []byte("3"))
	var ue *fleetstore.UnavailableError
	if !errors.As(err, &ue) {
		t.Fatalf("write without quorum: %v", err)
	}
	if took := time.Since(start); took > fleetstore.Timeout+time.Second {
		t.Errorf("write without quorum refused after %v, want about %v", took, fleetstore.Timeout)
	}
	t.Logf("without quorum: %v (after %v)", err, time.Since(start).Round(time.Millisecond))
	if b, _ := r.get("caps/b"); b != "2" {
		t.Fatal("the follower lost its state without quorum")
	}
	c.StartMember(ms[1])
	c.StartMember(ms[2])
	waitFor(t, "a write after quorum returned", func() bool {
		_, err := s.Set(ctx, "caps/c", []byte("3"))
		return err == nil
	})
	waitFor(t, "the follower to catch up after quorum returned", func() bool {
		v, _ := r.get("caps/c")
		return v == "3"
	})
}

func isConflict(err error) bool {
	var ce *fleetstore.ConflictError
	return errors.As(err, &ce)
}
