package fleetstore

import (
	"context"
	"encoding/json"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/capstan-wifi/capstan/manager/controlplane"
)

// capsDir holds one key per CAP held by some manager, by base MAC, on the
// holder's lease: a manager that dies takes its keys with it after
// DirectoryTTL, and a manager that takes a CAP over simply overwrites it.
const capsDir = "caps/"

// DirectoryTTL is the lease of a manager's directory keys, in seconds.
const DirectoryTTL = 5

// Directory is the fleet's record of which manager holds which CAP. It
// implements controlplane.Directory: Held and Released only queue the
// change (a session never waits on etcd), one goroutine writes the newest
// state of each CAP, and everything held is written again on a new lease
// when etcd loses the old one.
type Directory struct {
	s    *Store
	name string
	log  *slog.Logger

	mu     sync.Mutex
	held   map[string]dirEntry // what this manager holds, by key
	dirty  map[string]bool     // keys to write or delete
	wake   chan struct{}
	others map[string]dirEntry // the whole directory, from the watch
	kick   func(context.Context, string) error
	ctx    context.Context
}

// OpenDirectory follows the directory and starts writing this manager's
// entries (named name) until ctx ends.
func OpenDirectory(ctx context.Context, s *Store, name string, log *slog.Logger) (*Directory, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Directory{s: s, name: name, log: log, held: map[string]dirEntry{}, dirty: map[string]bool{},
		wake: make(chan struct{}, 1), others: map[string]dirEntry{}, ctx: ctx}
	if err := s.Follow(ctx, capsDir, dirFollower{d}); err != nil {
		return nil, err
	}
	if err := s.Follow(ctx, kicksDir, kickFollower{d}); err != nil {
		return nil, err
	}
	go d.write(ctx)
	return d, nil
}

func key(baseMAC string) string { return capsDir + strings.ToUpper(baseMAC) }

// dirEntry is one CAP's value in the directory.
type dirEntry struct {
	CAP           controlplane.RemoteCap      `json:"cap"`
	Registrations []controlplane.Registration `json:"registrations,omitempty"`
}

// Held records that this manager runs the CAP's session, with its clients.
func (d *Directory) Held(c controlplane.RemoteCap, regs []controlplane.Registration) {
	c.Manager = d.name
	for i := range regs {
		regs[i].Manager = d.name
	}
	d.mu.Lock()
	d.held[key(c.BaseMAC)] = dirEntry{CAP: c, Registrations: regs}
	d.dirty[key(c.BaseMAC)] = true
	d.mu.Unlock()
	d.poke()
}

// Released records that this manager no longer runs the session: the
// entry goes unless a newer session of the same CAP replaced it here.
func (d *Directory) Released(c controlplane.RemoteCap) {
	d.mu.Lock()
	k := key(c.BaseMAC)
	if cur, ok := d.held[k]; ok && cur.CAP.JoinedAt.Equal(c.JoinedAt) && cur.CAP.Address == c.Address {
		delete(d.held, k)
		d.dirty[k] = true
	}
	d.mu.Unlock()
	d.poke()
}

// Others lists the CAPs other managers hold, by base MAC.
func (d *Directory) Others() []controlplane.RemoteCap {
	d.mu.Lock()
	out := make([]controlplane.RemoteCap, 0, len(d.others))
	for _, e := range d.others {
		if e.CAP.Manager != d.name {
			out = append(out, e.CAP)
		}
	}
	d.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].BaseMAC < out[j].BaseMAC })
	return out
}

// OtherRegistrations lists the clients of the CAPs other managers hold.
func (d *Directory) OtherRegistrations() []controlplane.Registration {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []controlplane.Registration
	for _, e := range d.others {
		if e.CAP.Manager != d.name {
			out = append(out, e.Registrations...)
		}
	}
	return out
}

func (d *Directory) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// write keeps a lease and writes queued changes on it.
func (d *Directory) write(ctx context.Context) {
	for ctx.Err() == nil {
		sess, err := concurrency.NewSession(d.s.Client(), concurrency.WithTTL(DirectoryTTL), concurrency.WithContext(ctx))
		if err != nil {
			d.wait(ctx, time.Second)
			continue
		}
		d.mu.Lock()
		for k := range d.held {
			d.dirty[k] = true // a new lease: write everything again
		}
		d.mu.Unlock()
		d.flushUntilLost(ctx, sess)
		if ctx.Err() != nil {
			// A manager that stops cleanly gives its CAPs up at once
			// rather than when the lease runs out.
			rctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_, _ = d.s.cli.Revoke(rctx, sess.Lease())
			cancel()
		}
		sess.Close()
	}
}

func (d *Directory) flushUntilLost(ctx context.Context, sess *concurrency.Session) {
	for {
		d.mu.Lock()
		work := d.dirty
		d.dirty = map[string]bool{}
		d.mu.Unlock()
		for k := range work {
			if err := d.flushOne(ctx, sess, k); err != nil {
				d.mu.Lock()
				d.dirty[k] = true
				d.mu.Unlock()
				d.log.Warn("fleet directory not updated; retrying", "key", k, "err", err)
				d.wait(ctx, time.Second)
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-sess.Done():
			d.log.Warn("fleet directory lease lost; writing this manager's CAPs again on a new one")
			return
		case <-d.wake:
		}
	}
}

func (d *Directory) flushOne(ctx context.Context, sess *concurrency.Session, k string) error {
	d.mu.Lock()
	c, held := d.held[k]
	d.mu.Unlock()
	full := d.s.Key(k)
	if !held {
		// Delete only our own entry: another manager may hold the CAP now.
		return d.s.do(ctx, func(ctx context.Context) error {
			_, err := d.s.cli.Txn(ctx).If(clientv3.Compare(clientv3.LeaseValue(full), "=", sess.Lease())).Then(clientv3.OpDelete(full)).Commit()
			return err
		})
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return d.s.do(ctx, func(ctx context.Context) error {
		_, err := d.s.cli.Put(ctx, full, string(b), clientv3.WithLease(sess.Lease()))
		return err
	})
}

func (d *Directory) wait(ctx context.Context, t time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(t):
	}
}

type dirFollower struct{ d *Directory }

func (f dirFollower) Load(es []Entry, _ int64) {
	m := make(map[string]dirEntry, len(es))
	for _, e := range es {
		var c dirEntry
		if json.Unmarshal(e.Value, &c) == nil {
			m[e.Name] = c
		}
	}
	f.d.mu.Lock()
	f.d.others = m
	f.d.mu.Unlock()
}

func (f dirFollower) Apply(e Event) {
	var c dirEntry
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	if e.Deleted || json.Unmarshal(e.Value, &c) != nil {
		delete(f.d.others, e.Name)
		return
	}
	f.d.others[e.Name] = c
}
