package pki

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// LockFile holds a CAP's manager lock in its state directory.
const LockFile = "lock.json"

// Lock is the manager a CAP locked to after its first verified connection.
type Lock struct {
	CommonName string    `json:"common_name"`
	LockedAt   time.Time `json:"locked_at"`
}

// ReadLock returns the lock in dir; ok is false when there is none.
func ReadLock(dir string) (l Lock, ok bool, err error) {
	if _, err := os.Stat(filepath.Join(dir, LockFile)); errors.Is(err, os.ErrNotExist) {
		return Lock{}, false, nil
	}
	if err := readJSON(filepath.Join(dir, LockFile), &l); err != nil {
		return Lock{}, false, err
	}
	if l.CommonName == "" {
		return Lock{}, false, fmt.Errorf("%s: empty common_name", filepath.Join(dir, LockFile))
	}
	return l, true, nil
}

// WriteLock records a lock atomically.
func WriteLock(dir string, l Lock) error { return writeJSON(filepath.Join(dir, LockFile), l) }

// ClearLock removes the lock, returning what it was.
func ClearLock(dir string) (Lock, bool, error) {
	l, ok, err := ReadLock(dir)
	if err != nil || !ok {
		return l, ok, err
	}
	return l, true, os.Remove(filepath.Join(dir, LockFile))
}
