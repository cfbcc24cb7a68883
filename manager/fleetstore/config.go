package fleetstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/capstan-wifi/capstan/manager/model"
)

// ConfigKey holds the configuration model, the same JSON document as a
// manager's configuration.json.
const ConfigKey = "config/model"

// configBackend commits configurations to ConfigKey.
type configBackend struct{ s *Store }

func (b configBackend) Save(data []byte, base int64) (int64, error) {
	return b.s.Put(context.Background(), ConfigKey, data, base)
}

// configFollower installs what other managers commit.
type configFollower struct {
	m   *model.Store
	log *slog.Logger
}

func (f configFollower) Load(es []Entry, _ int64) {
	for _, e := range es {
		if e.Name == ConfigKey {
			f.Apply(Event{Name: e.Name, Value: e.Value, Rev: e.Rev})
		}
	}
}

func (f configFollower) Apply(e Event) {
	if e.Name != ConfigKey || e.Deleted {
		return
	}
	if ok, err := f.m.Replace(e.Value, e.Rev); err != nil {
		f.log.Error("configuration from the fleet store refused; keeping the current one", "revision", e.Rev, "err", err)
	} else if ok {
		f.log.Info("configuration changed in the fleet store", "revision", e.Rev)
	}
}

// OpenConfig returns a model store on the fleet's configuration that
// follows every change committed by any manager until ctx ends. When the
// store holds no configuration yet, seed (this manager's own configuration
// file) becomes the fleet's; when another manager seeds it first, its
// configuration wins.
func OpenConfig(ctx context.Context, s *Store, seed *model.Config, log *slog.Logger) (*model.Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var marshal func() ([]byte, error)
	if seed != nil {
		marshal = seed.MarshalText
	}
	value, rev, err := s.seeded(ctx, ConfigKey, marshal)
	if err != nil {
		return nil, err
	}
	m, err := model.Shared(configBackend{s}, value, rev)
	if err != nil {
		return nil, err
	}
	if err := s.Follow(ctx, "config/", configFollower{m: m, log: log}); err != nil {
		return nil, fmt.Errorf("follow the configuration: %w", err)
	}
	return m, nil
}

// seeded reads the document at key; when the store has none and seed is
// not nil, seed's document (this manager's own file) becomes the fleet's
// first, unless another manager's got there first. value is nil when the
// store holds none.
func (s *Store) seeded(ctx context.Context, key string, seed func() ([]byte, error)) (value []byte, rev int64, err error) {
	e, err := s.Get(ctx, key)
	if errors.Is(err, ErrNotFound) && seed != nil {
		data, err := seed()
		if err != nil {
			return nil, 0, err
		}
		if _, err := s.Put(ctx, key, data, 0); err != nil && !isConflict(err) {
			return nil, 0, err
		}
		e, err = s.Get(ctx, key)
		if err != nil {
			return nil, 0, err
		}
		return e.Value, e.Rev, nil
	}
	switch {
	case err == nil:
		return e.Value, e.Rev, nil
	case errors.Is(err, ErrNotFound):
		return nil, 0, nil
	}
	return nil, 0, err
}

func isConflict(err error) bool {
	var c *ConflictError
	return errors.As(err, &c)
}
