package fleetstore

import (
	"context"
	"encoding/json"
	"log/slog"
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
	*jsonDir[offerValue]
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
	o := &Offers{ctx: ctx, s: s, log: log, jsonDir: newJSONDir[offerValue](offersDir)}
	if err := s.Follow(ctx, offersDir, o); err != nil {
		return nil, err
	}
	return o, nil
}

// Offered returns the package last offered to cap.
func (o *Offers) Offered(cap string) (string, time.Time, bool) {
	v, ok := o.get(cap)
	return v.Version, v.At, ok
}

// Offer records an offer here and in the fleet store.
func (o *Offers) Offer(cap, version string, at time.Time) {
	v := offerValue{Version: version, At: at.UTC()}
	o.set(cap, v)
	b, _ := json.Marshal(v)
	if _, err := o.s.Set(o.ctx, offersDir+cap, b); err != nil {
		o.log.Warn("upgrade offer not recorded in the fleet store", "cap", cap, "err", err)
	}
}
