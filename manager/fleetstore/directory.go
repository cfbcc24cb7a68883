package fleetstore

import (
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"slices"
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

// Directory writes go in transactions of at most dirBatchOps entries and
// dirBatchBytes of values (etcd's --max-txn-ops is 128 and its
// --max-request-bytes 1.5 MiB by default), so that a storm of joins costs
// a few round trips, not one per CAP.
const (
	dirBatchOps   = 100
	dirBatchBytes = 1 << 20
)

func (d *Directory) flushUntilLost(ctx context.Context, sess *concurrency.Session) {
	for {
		d.mu.Lock()
		work := d.dirty
		d.dirty = map[string]bool{}
		d.mu.Unlock()
		keys := slices.Sorted(maps.Keys(work))
		for len(keys) > 0 {
			n, err := d.flushBatch(ctx, sess, keys)
			if err != nil {
				d.mu.Lock()
				for _, k := range keys {
					d.dirty[k] = true
				}
				d.mu.Unlock()
				d.log.Warn("fleet directory not updated; retrying", "entries", len(keys), "err", err)
				d.wait(ctx, time.Second)
				d.poke()
				break
			}
			keys = keys[n:]
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

// flushBatch writes the first entries of keys in one transaction and
// returns how many it took: this manager's CAPs are put on its lease, and
// a CAP it released is deleted only if the entry is still on its lease
// (another manager may hold the CAP now).
func (d *Directory) flushBatch(ctx context.Context, sess *concurrency.Session, keys []string) (int, error) {
	var ops []clientv3.Op
	size := 0
	d.mu.Lock()
	for _, k := range keys {
		if len(ops) == dirBatchOps || size >= dirBatchBytes {
			break
		}
		full := d.s.Key(k)
		if c, held := d.held[k]; held {
			b, err := json.Marshal(c)
			if err != nil {
				d.mu.Unlock()
				return 0, err
			}
			size += len(b)
			ops = append(ops, clientv3.OpPut(full, string(b), clientv3.WithLease(sess.Lease())))
			continue
		}
		ops = append(ops, clientv3.OpTxn([]clientv3.Cmp{clientv3.Compare(clientv3.LeaseValue(full), "=", sess.Lease())},
			[]clientv3.Op{clientv3.OpDelete(full)}, nil))
	}
	d.mu.Unlock()
	err := d.s.do(ctx, func(ctx context.Context) error {
		_, err := d.s.cli.Txn(ctx).Then(ops...).Commit()
		return err
	})
	return len(ops), err
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
