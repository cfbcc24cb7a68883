package channel

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"sync"

	"github.com/capstan-wifi/capstan/pki"
)

// SavedFile is the name of the saved selections in the state directory.
const SavedFile = "selected-channels.json"

// Saved are the channels selected for radios whose channel profile has
// save-selected, by radio MAC, so that a CAP that reconnects (or a manager
// that restarts) keeps them. With a directory every change is written to
// SavedFile atomically; without, they live in memory.
type Saved struct {
	path    string
	backend Backend // a fleet store shared by several managers; nil: path
	mu      sync.Mutex
	byMAC   map[string]int // MHz
}

// Backend keeps selections where every manager of a fleet sees them, so
// that a CAP that moves to another manager keeps its channel.
type Backend interface {
	// Save stores mhz for radio mac (0 forgets it).
	Save(mac string, mhz int) error
}

// Shared returns selections kept in b, starting with all; changes other
// managers make arrive through Merge.
func Shared(b Backend, all map[string]int) *Saved {
	s := &Saved{backend: b, byMAC: map[string]int{}}
	maps.Copy(s.byMAC, all)
	return s
}

// Merge takes a selection another manager saved (0: it forgot it).
func (s *Saved) Merge(mac string, mhz int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if mhz == 0 {
		delete(s.byMAC, mac)
	} else {
		s.byMAC[mac] = mhz
	}
}

// All returns every saved selection.
func (s *Saved) All() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.byMAC)
}

// OpenSaved reads dir's saved selections; dir "" keeps them in memory.
func OpenSaved(dir string) (*Saved, error) {
	s := &Saved{byMAC: map[string]int{}}
	if dir == "" {
		return s, nil
	}
	s.path = filepath.Join(dir, SavedFile)
	b, err := os.ReadFile(s.path)
	if os.IsNotExist(err) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &s.byMAC); err != nil {
		return nil, fmt.Errorf("%s: %w", s.path, err)
	}
	return s, nil
}

// Get is the saved frequency of radio mac, 0 if none.
func (s *Saved) Get(mac string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byMAC[mac]
}

// Set saves mhz for radio mac (0 forgets it) and writes the file.
func (s *Saved) Set(mac string, mhz int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byMAC[mac] == mhz {
		return nil
	}
	next := maps.Clone(s.byMAC)
	if mhz == 0 {
		delete(next, mac)
	} else {
		next[mac] = mhz
	}
	if s.backend != nil {
		if err := s.backend.Save(mac, mhz); err != nil {
			return fmt.Errorf("save selected channel: %w", err)
		}
	} else if s.path != "" {
		b, err := json.MarshalIndent(next, "", "  ")
		if err != nil {
			return err
		}
		if err := pki.WriteFileAtomic(s.path, append(b, '\n'), 0o600); err != nil {
			return fmt.Errorf("save selected channel: %w", err)
		}
	}
	s.byMAC = next
	return nil
}
