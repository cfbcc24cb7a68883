package fleetstore

import (
	"context"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Event is one change of a key under a followed directory.
type Event struct {
	Name    string // the key without the store's prefix
	Value   []byte // nil when Deleted
	Rev     int64
	Deleted bool
}

// Follower receives a followed directory: Load with everything in it
// (first, and again after every resynchronisation), then Apply with each
// change in revision order. Both run on one goroutine.
type Follower interface {
	Load(entries []Entry, rev int64)
	Apply(Event)
}

// Follow lists dir and hands it to f before returning, then watches it
// until ctx ends. When the watch breaks (etcd compacted past it, the member
// lost its leader, the connection dropped) it lists again, retrying with
// back-off, and keeps the cached state meanwhile: managers serve on what
// they have while the store is away.
func (s *Store) Follow(ctx context.Context, dir string, f Follower) error {
	entries, rev, err := s.List(ctx, dir)
	if err != nil {
		return err
	}
	f.Load(entries, rev)
	go s.follow(ctx, dir, rev, f)
	return nil
}

func (s *Store) follow(ctx context.Context, dir string, rev int64, f Follower) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		if rev == 0 {
			entries, r, err := s.List(ctx, dir)
			if err != nil {
				select {
				case <-ctx.Done():
				case <-time.After(backoff):
				}
				backoff = min(backoff*2, 2*time.Second)
				continue
			}
			f.Load(entries, r)
			rev = r
		}
		backoff = 100 * time.Millisecond
		s.watch(ctx, dir, rev, f)
		rev = 0 // list again: the watch broke
	}
}

// watch applies changes after rev until the watch breaks.
func (s *Store) watch(ctx context.Context, dir string, rev int64, f Follower) {
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	for wr := range s.cli.Watch(wctx, s.Key(dir), clientv3.WithPrefix(), clientv3.WithRev(rev+1)) {
		if wr.CompactRevision != 0 || wr.Err() != nil {
			return
		}
		for _, ev := range wr.Events {
			e := Event{Name: strings.TrimPrefix(string(ev.Kv.Key), s.prefix), Rev: ev.Kv.ModRevision}
			if ev.Type == mvccpb.DELETE {
				e.Deleted = true
			} else {
				e.Value = ev.Kv.Value
			}
			f.Apply(e)
		}
	}
}
