package pki

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// LockFile holds a CAP's manager lock in its state directory.
const LockFile = "lock.json"

// Lock is the manager a CAP locked to after its first verified connection:
// the manager's public key and the CA that issued its certificate. A lock
// written by an older capstan names only a CommonName; it is completed at
// the next connection to a manager of that name that the CAP verifies.
type Lock struct {
	CommonName string `json:"common_name"`
	// ManagerKey is the SHA-256 of the manager's SubjectPublicKeyInfo.
	ManagerKey string `json:"manager_key_sha256,omitempty"`
	// CA is the SHA-256 of the issuing CA certificate (DER), "" when the
	// manager presented no CA.
	CA string `json:"ca_sha256,omitempty"`
	// Fleet is a lock to every manager of the locked manager's fleet: a
	// manager certificate of the fleet role (HasFleetRole) from the same CA.
	Fleet    bool      `json:"fleet,omitempty"`
	LockedAt time.Time `json:"locked_at"`
}

// ReadLock returns the lock in dir; ok is false when there is none.
func ReadLock(dir string) (l Lock, ok bool, err error) {
	if _, err := os.Stat(filepath.Join(dir, LockFile)); errors.Is(err, os.ErrNotExist) {
		return Lock{}, false, nil
	}
	if err := readJSON(filepath.Join(dir, LockFile), &l); err != nil {
		return Lock{}, false, err
	}
	if l.CommonName == "" && l.ManagerKey == "" {
		return Lock{}, false, fmt.Errorf("%s: names no manager", filepath.Join(dir, LockFile))
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

// ManagerIdentity is what a CAP learns of a manager from its DTLS chain.
type ManagerIdentity struct {
	Leaf *x509.Certificate
	// CA is the certificate of the chain that issued Leaf, nil if the chain
	// had none.
	CA        *x509.Certificate
	KeySHA256 string
}

// ParseManagerChain reads a manager's DER chain (leaf first) and finds the
// CA certificate in it that signed the leaf.
func ParseManagerChain(raw [][]byte) (ManagerIdentity, error) {
	if len(raw) == 0 {
		return ManagerIdentity{}, errors.New("manager presented no certificate")
	}
	var id ManagerIdentity
	for i, der := range raw {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return ManagerIdentity{}, fmt.Errorf("manager certificate %d of the chain: %w", i+1, err)
		}
		if i == 0 {
			id.Leaf = c
			continue
		}
		if id.CA == nil && c.IsCA && id.Leaf.CheckSignatureFrom(c) == nil {
			id.CA = c
		}
	}
	var err error
	id.KeySHA256, err = KeyFingerprint(id.Leaf.PublicKey)
	return id, err
}

// Check refuses a manager that is not the locked one: another key, or a
// certificate from another CA.
func (l Lock) Check(id ManagerIdentity) error {
	if l.ManagerKey == "" {
		if l.CommonName != id.Leaf.Subject.CommonName {
			return fmt.Errorf("locked to manager %q, refusing %q (capstan-agent unlock clears the lock)", l.CommonName, id.Leaf.Subject.CommonName)
		}
		return nil
	}
	if l.Fleet && l.CA != "" && id.CA != nil && Fingerprint(id.CA) == l.CA && HasFleetRole(id.Leaf) {
		return nil // another manager of the fleet
	}
	if l.ManagerKey != id.KeySHA256 {
		return fmt.Errorf("locked to the manager with key SHA-256 %s (%q), refusing key %s (%q) (capstan-agent unlock clears the lock)",
			l.ManagerKey, l.CommonName, id.KeySHA256, id.Leaf.Subject.CommonName)
	}
	if l.CA != "" && (id.CA == nil || Fingerprint(id.CA) != l.CA) {
		return fmt.Errorf("locked to a manager of the CA with SHA-256 %s; this one's certificate is from another CA (capstan-agent unlock clears the lock)", l.CA)
	}
	return nil
}
