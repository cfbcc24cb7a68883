package fleetstore

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/capstan-wifi/capstan/manager/admin"
)

// UsersKey holds the web console's administrators (names, groups and
// Argon2id hashes), so that an administrator logs in to any manager.
const UsersKey = "admin/users"

type usersBackend struct {
	ctx context.Context
	s   *Store
}

func (b usersBackend) Save(data []byte, base int64) (int64, error) {
	return b.s.Put(b.ctx, UsersKey, data, base)
}

type usersFollower struct {
	u   *admin.Store
	log *slog.Logger
}

func (f usersFollower) Load(es []Entry, _ int64) {
	for _, e := range es {
		f.Apply(Event{Name: e.Name, Value: e.Value, Rev: e.Rev})
	}
}

func (f usersFollower) Apply(e Event) {
	if e.Name != UsersKey || e.Deleted {
		return
	}
	if err := f.u.Replace(e.Value, e.Rev); err != nil {
		f.log.Error("administrators from the fleet store refused; keeping the current ones", "err", err)
	}
}

// OpenUsers returns the fleet's administrators, following every change
// until ctx ends; seed (this manager's own users file) becomes the
// fleet's when it has none.
func OpenUsers(ctx context.Context, s *Store, seed *admin.Store, log *slog.Logger) (*admin.Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var marshal func() ([]byte, error)
	if seed != nil {
		marshal = seed.Marshal
	}
	value, rev, err := s.seeded(ctx, UsersKey, marshal)
	if err != nil {
		return nil, err
	}
	u, err := admin.Shared(usersBackend{ctx: context.WithoutCancel(ctx), s: s}, value, rev)
	if err != nil {
		return nil, err
	}
	if err := s.Follow(ctx, "admin/", usersFollower{u: u, log: log}); err != nil {
		return nil, fmt.Errorf("follow the administrators: %w", err)
	}
	return u, nil
}
