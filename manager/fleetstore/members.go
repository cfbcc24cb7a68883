package fleetstore

import (
	"context"
	"encoding/json"
	"log/slog"
	"sort"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// membersDir holds one key per running manager on its lease.
const membersDir = "managers/"

// Member is one manager of the fleet as it announced itself.
type Member struct {
	Name    string    `json:"name"`
	Control string    `json:"control"` // its CAPWAP control address
	Version string    `json:"version"`
	Since   time.Time `json:"since"`
	// Leader is set for the manager that leads the fleet now.
	Leader bool `json:"leader"`
	// CAPs is how many CAPs the directory lists it holding.
	CAPs int `json:"caps"`
}

// Members follows the fleet's managers.
type Members struct {
	s   *Store
	dir *Directory
	*jsonDir[Member]
}

// OpenMembers announces me on a lease of its own (renewed until ctx ends)
// and follows the other managers.
func OpenMembers(ctx context.Context, s *Store, me Member, dir *Directory, log *slog.Logger) (*Members, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ms := &Members{s: s, dir: dir, jsonDir: newJSONDir[Member](membersDir)}
	if err := s.Follow(ctx, membersDir, ms); err != nil {
		return nil, err
	}
	me.Since = me.Since.UTC()
	b, _ := json.Marshal(me)
	go func() {
		for ctx.Err() == nil {
			lease, err := s.cli.Grant(ctx, DirectoryTTL)
			if err == nil {
				_, err = s.Set(ctx, membersDir+me.Name, b, clientv3.WithLease(lease.ID))
			}
			if err != nil {
				sleepCtx(ctx, time.Second)
				continue
			}
			ka, err := s.cli.KeepAlive(ctx, lease.ID)
			if err != nil {
				continue
			}
			for range ka { // until the lease is lost or ctx ends
			}
			if ctx.Err() == nil {
				log.Warn("fleet membership lease lost; announcing again")
			}
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		_ = s.Delete(rctx, membersDir+me.Name, -1)
		cancel()
	}()
	return ms, nil
}

// List returns the managers by name, the leader marked and each one's CAPs
// counted from the directory.
func (ms *Members) List(ctx context.Context) []Member {
	leader := Leader(ctx, ms.s)
	counts := map[string]int{}
	if ms.dir != nil {
		ms.dir.mu.Lock()
		for _, e := range ms.dir.others {
			counts[e.CAP.Manager]++
		}
		ms.dir.mu.Unlock()
	}
	out := ms.values()
	for i := range out {
		out[i].Leader = out[i].Name == leader
		out[i].CAPs = counts[out[i].Name]
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
