package controlplane

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/pki"
)

func tableServer(t testing.TB) *Server {
	cert, err := pki.SelfSigned("capstan-test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{ListenAddress: "127.0.0.1:0", Certificate: cert})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func tableSession(srv *Server, i int, identity string) *session {
	mac := net.HardwareAddr{0x02, 0xca, 0x57, byte(i >> 16), byte(i >> 8), byte(i)}
	return &session{srv: srv, key: mac.String(), identity: identity, baseMAC: mac.String(), cn: "CAP-" + mac.String(),
		addr: fmt.Sprintf("127.1.%d.%d:40000", i>>8, i&255), transport: "udp", state: "run", joinedAt: time.Now(), closed: make(chan struct{}), log: slog.New(slog.DiscardHandler)}
}

// The table stays in order through joins, replacements and leaves, and a
// page of it is the same part of the whole table, filtered or not.
func TestRemoteCapsPageKeepsTheTableInOrder(t *testing.T) {
	srv := tableServer(t)
	rng := rand.New(rand.NewPCG(1, 2))
	var live []*session
	for i := range 500 {
		c := tableSession(srv, i, fmt.Sprintf("cap%d", rng.IntN(60))) // names repeat: the MAC orders them
		if i%7 == 0 {
			c.state = "join"
		}
		if err := srv.register(c); err != nil {
			t.Fatal(err)
		}
		live = append(live, c)
		if i%5 == 4 { // one leaves
			j := rng.IntN(len(live))
			srv.unregister(live[j])
			live = slices.Delete(live, j, j+1)
		}
		if i%11 == 0 { // one is replaced by a newer session of the same CAP
			j := rng.IntN(len(live))
			n := tableSession(srv, 0, live[j].identity)
			n.key, n.baseMAC, n.seq = live[j].key, live[j].baseMAC, live[j].seq+1
			live[j].closeOnce.Do(func() {}) // no connection to close here
			if err := srv.register(n); err != nil {
				t.Fatal(err)
			}
			live[j] = n
		}
	}
	all := srv.RemoteCaps()
	if len(all) != len(live) || len(srv.order) != len(live) {
		t.Fatalf("%d rows, %d in order, want %d", len(all), len(srv.order), len(live))
	}
	if !slices.IsSortedFunc(all, func(a, b RemoteCap) int {
		return compareSessions(&session{identity: a.Identity, baseMAC: a.BaseMAC}, &session{identity: b.Identity, baseMAC: b.BaseMAC})
	}) {
		t.Fatal("the table is not sorted by identity, then base MAC")
	}
	joining := func(r *RemoteCap) bool { return r.State == "join" }
	for _, q := range []struct {
		match         func(*RemoteCap) bool
		offset, limit int
	}{{nil, 0, 50}, {nil, 390, 50}, {nil, 10000, 5}, {joining, 0, 3}, {joining, 5, 10}, {nil, 0, 0}, {joining, 0, -1}} {
		page, total := srv.RemoteCapsPage(q.match, q.offset, q.limit)
		wantPage, wantTotal := PageRows(all, q.match, q.offset, q.limit)
		if total != wantTotal || len(page) != len(wantPage) {
			t.Fatalf("offset %d limit %d: %d rows of %d, want %d of %d", q.offset, q.limit, len(page), total, len(wantPage), wantTotal)
		}
		for i := range page {
			if page[i].BaseMAC != wantPage[i].BaseMAC {
				t.Fatalf("offset %d limit %d: row %d is %s, want %s", q.offset, q.limit, i, page[i].BaseMAC, wantPage[i].BaseMAC)
			}
		}
	}
}

// BenchmarkRemoteCaps: with 20,000 CAPs joined, the whole table (what
// metrics and interfaces read), a page of 50 as the console asks for it,
// and a filtered count (the dashboard's).
func BenchmarkRemoteCaps(b *testing.B) {
	srv := tableServer(b)
	for i := range 20000 {
		if err := srv.register(tableSession(srv, i, fmt.Sprintf("cap%d", i+1))); err != nil {
			b.Fatal(err)
		}
	}
	running := func(r *RemoteCap) bool { return r.State == "run" }
	b.Run("all", func(b *testing.B) {
		for b.Loop() {
			srv.RemoteCaps()
		}
	})
	b.Run("page", func(b *testing.B) {
		for b.Loop() {
			srv.RemoteCapsPage(nil, 10000, 50)
		}
	})
	b.Run("count-run", func(b *testing.B) {
		for b.Loop() {
			srv.RemoteCapsPage(running, 0, 0)
		}
	})
}
