package fleetstore

import (
	"context"
	"log/slog"
	"strconv"
	"strings"

	"github.com/capstan-wifi/capstan/manager/channel"
)

// channelsDir holds one key per radio MAC with its saved channel (MHz):
// only the manager holding the CAP writes it.
const channelsDir = "channels/"

type channelBackend struct {
	ctx context.Context
	s   *Store
}

func (b channelBackend) Save(mac string, mhz int) error {
	if mhz == 0 {
		return b.s.Delete(b.ctx, channelsDir+mac, -1)
	}
	_, err := b.s.Set(b.ctx, channelsDir+mac, []byte(strconv.Itoa(mhz)))
	return err
}

type channelFollower struct {
	saved *channel.Saved
	log   *slog.Logger
}

func (f channelFollower) Load(es []Entry, _ int64) {
	seen := map[string]bool{}
	for _, e := range es {
		f.Apply(Event{Name: e.Name, Value: e.Value, Rev: e.Rev})
		seen[strings.TrimPrefix(e.Name, channelsDir)] = true
	}
	for mac := range f.saved.All() {
		if !seen[mac] {
			f.saved.Merge(mac, 0)
		}
	}
}

func (f channelFollower) Apply(e Event) {
	mac := strings.TrimPrefix(e.Name, channelsDir)
	if e.Deleted {
		f.saved.Merge(mac, 0)
		return
	}
	mhz, err := strconv.Atoi(string(e.Value))
	if err != nil || mhz <= 0 {
		f.log.Warn("unreadable saved channel in the fleet store", "key", e.Name)
		return
	}
	f.saved.Merge(mac, mhz)
}

// OpenChannels returns the fleet's saved channel selections, following
// them until ctx ends; the selections of seed (this manager's file) that the
// fleet has none for are added first.
func OpenChannels(ctx context.Context, s *Store, seed *channel.Saved, log *slog.Logger) (*channel.Saved, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if seed != nil {
		for mac, mhz := range seed.All() {
			if _, err := s.Put(ctx, channelsDir+mac, []byte(strconv.Itoa(mhz)), 0); err != nil && !isConflict(err) {
				return nil, err
			}
		}
	}
	saved := channel.Shared(channelBackend{ctx: ctx, s: s}, nil)
	if err := s.Follow(ctx, channelsDir, channelFollower{saved: saved, log: log}); err != nil {
		return nil, err
	}
	return saved, nil
}
