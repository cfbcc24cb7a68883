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
	path string

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
	if s.path != "" { // "" is a Memory store
		if err := pki.WriteFileAtomic(s.path, data, 0o600); err != nil {
			return nil, &SaveError{Path: s.path, Err: err}
		}
	}
	s.mu.Lock()
	s.cfg = next
	s.mu.Unlock()
	for _, fn := range s.subs {
		fn(next)
	}
	return next, nil
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
