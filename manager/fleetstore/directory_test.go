package fleetstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/manager/controlplane"
	"github.com/capstan-wifi/capstan/manager/fleetstore"
	"github.com/capstan-wifi/capstan/manager/fleetstore/fleetstoretest"
)

// TestDirectory: what one manager holds, with its clients, the other
// lists; a release by an older session of the CAP does not remove the
// newer one's entry; a CAP taken over by another manager is listed once,
// with its new holder; a manager that goes away takes its entries with it.
func TestDirectory(t *testing.T) {
	c := fleetstoretest.Start(t, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	open := func(ctx context.Context, name string) *fleetstore.Directory {
		s, err := fleetstore.Open(ctx, c.Config("dir"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		d, err := fleetstore.OpenDirectory(ctx, s, name, nil)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	ctxA, stopA := context.WithCancel(ctx)
	a, b := open(ctxA, "a"), open(ctx, "b")
	old := controlplane.RemoteCap{Identity: "cap1", BaseMAC: "02:00:00:00:00:01", Address: "10.0.0.1:5246", JoinedAt: time.Unix(100, 0)}
	a.Held(old, nil)
	fresh := old
	fresh.JoinedAt = time.Unix(200, 0)
	a.Held(fresh, []controlplane.Registration{{MAC: "02:99:00:00:00:01", CAP: "cap1"}})
	a.Released(old) // the replaced session ends after the new one registered
	waitFor(t, "b listing cap1 held by a with its client", func() bool {
		o, r := b.Others(), b.OtherRegistrations()
		return len(o) == 1 && o[0].Manager == "a" && o[0].JoinedAt.Equal(fresh.JoinedAt) && len(r) == 1 && r[0].Manager == "a"
	})
	if len(a.Others()) != 0 {
		t.Fatalf("a lists its own CAP among the others: %+v", a.Others())
	}

	// b takes cap1 over (a's session has not ended yet): one entry, b's.
	b.Held(fresh, nil)
	waitFor(t, "a seeing cap1 held by b", func() bool {
		o := a.Others()
		return len(o) == 1 && o[0].Manager == "b"
	})
	// a's late release must not delete b's entry. Two sentinels written
	// by a after it: once b sees the second, a's writer has finished the
	// round that held the release.
	a.Released(fresh)
	for _, n := range []string{"3", "4"} {
		a.Held(controlplane.RemoteCap{Identity: "cap" + n, BaseMAC: "02:00:00:00:00:0" + n, JoinedAt: time.Unix(400, 0)}, nil)
		waitFor(t, "b listing a's cap"+n, func() bool {
			for _, o := range b.Others() {
				if o.Identity == "cap"+n {
					return true
				}
			}
			return false
		})
	}
	if o := a.Others(); len(o) != 1 || o[0].Manager != "b" {
		t.Fatalf("after a's late release: %+v", o)
	}

	// a goes away holding cap2: its lease goes, and cap2 with it.
	a.Held(controlplane.RemoteCap{Identity: "cap2", BaseMAC: "02:00:00:00:00:02", JoinedAt: time.Unix(300, 0)}, nil)
	waitFor(t, "b listing cap2", func() bool {
		for _, o := range b.Others() {
			if o.Identity == "cap2" {
				return true
			}
		}
		return false
	})
	stopped := time.Now()
	stopA()
	waitFor(t, "a's CAPs gone with it", func() bool { return len(b.Others()) == 0 })
	t.Logf("a stopped: its CAPs left the directory after %v", time.Since(stopped).Round(time.Millisecond))
}
