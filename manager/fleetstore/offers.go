package fleetstore

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// offersDir holds the upgrade offered to each CAP (by its identity key),
// so that a CAP that comes back on its old version to another manager is
// not offered the failed package again.
const offersDir = "upgrades/"

// Offers implements controlplane.Offers on the fleet store: read from a
// followed cache, written through.
type Offers struct {
	ctx context.Context
	s   *Store
	log *slog.Logger
	mu  sync.Mutex
	m   map[string]offerValue
}

type offerValue struct {
	Version string    `json:"version"`
	At      time.Time `json:"at"`
}

// OpenOffers follows the fleet's upgrade offers until ctx ends.
func OpenOffers(ctx context.Context, s *Store, log *slog.Logger) (*Offers, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	o := &Offers{ctx: ctx, s: s, log: log, m: map[string]offerValue{}}
	if err := s.Follow(ctx, offersDir, o); err != nil {
		return nil, err
	}
	return o, nil
}

// Offered returns the package last offered to cap.
func (o *Offers) Offered(cap string) (string, time.Time, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	v, ok := o.m[cap]
	return v.Version, v.At, ok
}

// Offer records an offer here and in the fleet store.
func (o *Offers) Offer(cap, version string, at time.Time) {
	v := offerValue{Version: version, At: at.UTC()}
	o.mu.Lock()
	o.m[cap] = v
	o.mu.Unlock()
	b, _ := json.Marshal(v)
	if _, err := o.s.Set(o.ctx, offersDir+cap, b); err != nil {
		o.log.Warn("upgrade offer not recorded in the fleet store", "cap", cap, "err", err)
	}
}

// Load implements Follower.
func (o *Offers) Load(es []Entry, _ int64) {
	m := map[string]offerValue{}
	for _, e := range es {
		var v offerValue
		if json.Unmarshal(e.Value, &v) == nil {
			m[strings.TrimPrefix(e.Name, offersDir)] = v
		}
	}
	o.mu.Lock()
	o.m = m
	o.mu.Unlock()
}

// Apply implements Follower.
func (o *Offers) Apply(e Event) {
	k := strings.TrimPrefix(e.Name, offersDir)
	var v offerValue
	o.mu.Lock()
	defer o.mu.Unlock()
	if e.Deleted || json.Unmarshal(e.Value, &v) != nil {
		delete(o.m, k)
		return
	}
	o.m[k] = v
}
