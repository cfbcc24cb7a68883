package model

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/capstan-wifi/capstan/pki"
)

// File is the configuration's file in the state directory.
const File = "configuration.json"

// Store keeps the configuration in a state directory. Every change is
// validated, written (temp file, fsync, rename, directory fsync) and only
// then made current and announced, so that what the API acknowledged is on
// disk and a crash at any moment leaves the old or the new file whole.
type Store struct {
	path    string
	backend Backend // a shared store; nil keeps the file at path
	rev     int64   // the backend's revision of cfg

	update sync.Mutex // one change at a time, announcements in order
	mu     sync.RWMutex
	cfg    *Config
	subs   []func(*Config)
}

// Open reads dir's configuration (an empty one if there is none) and
// removes temporary files a crash left behind.
func Open(dir string) (*Store, error) {
	s := &Store{path: filepath.Join(dir, File), cfg: New()}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "."+File+".tmp*"))
	for _, f := range leftovers {
		_ = os.Remove(f)
	}
	data, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	if s.cfg, err = Parse(data); err != nil {
		return nil, fmt.Errorf("%s: %w", s.path, err)
	}
	return s, nil
}

// Path is the configuration file's path.
func (s *Store) Path() string { return s.path }

// Config is the current configuration; treat it as read-only.
func (s *Store) Config() *Config {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.cfg
}

// Subscribe calls fn with every new configuration, in order, after it is
// saved. fn must not call Update.
func (s *Store) Subscribe(fn func(*Config)) {
	s.update.Lock()
	defer s.update.Unlock()
	s.subs = append(s.subs, fn)
}

// Update runs fn on a copy of the configuration; if fn succeeds and the
// result validates, the copy is saved and becomes current.
func (s *Store) Update(fn func(*Config) error) (*Config, error) {
	s.update.Lock()
	defer s.update.Unlock()
	next := s.Config().Clone()
	if err := fn(next); err != nil {
		return nil, err
	}
	if err := next.Validate(); err != nil {
		return nil, err
	}
	data, err := next.MarshalText()
	if err != nil {
		return nil, err
	}
	if s.backend != nil {
		rev, err := s.backend.Save(data, s.rev)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		s.cfg, s.rev = next, max(s.rev, rev)
		s.mu.Unlock()
		s.announce(next)
		return next, nil
	}
	if s.path != "" { // "" is a Memory store
		if err := pki.WriteFileAtomic(s.path, data, 0o600); err != nil {
			return nil, &SaveError{Path: s.path, Err: err}
		}
	}
	s.mu.Lock()
	s.cfg = next
	s.mu.Unlock()
	s.announce(next)
	return next, nil
}

func (s *Store) announce(cfg *Config) {
	for _, fn := range s.subs {
		fn(cfg)
	}
}

// Backend keeps the configuration where several managers share it (the
// fleet store). Save commits data only if the stored revision is still
// base, the revision this manager's configuration came from, and returns
// the new revision; a change committed by another manager in between is a
// conflict error, and nothing is written.
type Backend interface {
	Save(data []byte, base int64) (int64, error)
}

// Shared returns a store whose changes go to b; data is the configuration b
// holds at rev (nil when it holds none). Changes committed by other
// managers arrive through Replace.
func Shared(b Backend, data []byte, rev int64) (*Store, error) {
	s := &Store{backend: b, cfg: New(), rev: rev}
	if data != nil {
		cfg, err := Parse(data)
		if err != nil {
			return nil, fmt.Errorf("fleet store, revision %d: %w", rev, err)
		}
		s.cfg = cfg
	}
	return s, nil
}

// Revision is the shared store's revision of the current configuration (0
// for a file store).
func (s *Store) Revision() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.rev
}

// Replace installs the configuration another manager committed at rev and
// announces it. An older revision than the one held is ignored; one that
// does not parse or validate is refused and the current one kept.
func (s *Store) Replace(data []byte, rev int64) (bool, error) {
	s.update.Lock()
	defer s.update.Unlock()
	if rev <= s.Revision() {
		return false, nil
	}
	cfg, err := Parse(data)
	if err != nil {
		return false, fmt.Errorf("configuration of revision %d: %w", rev, err)
	}
	s.mu.Lock()
	s.cfg, s.rev = cfg, rev
	s.mu.Unlock()
	s.announce(cfg)
	return true, nil
}

// Memory returns a store that keeps cfg in memory only: for tests and
// benchmarks, never for a manager that must survive a restart.
func Memory(cfg *Config) *Store {
	if cfg == nil {
		cfg = New()
	}
	return &Store{cfg: cfg}
}

// SaveError is a configuration that could not be written; it did not take
// effect.
type SaveError struct {
	Path string
	Err  error
}

func (e *SaveError) Error() string { return fmt.Sprintf("save %s: %v", e.Path, e.Err) }
func (e *SaveError) Unwrap() error { return e.Err }
