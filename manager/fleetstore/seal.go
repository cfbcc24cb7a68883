package fleetstore

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// KEK is the key-encryption key every manager of a fleet is given
// (--store-key-file): the CA's private key is in etcd only sealed with it
// (AES-256-GCM, the key's name as additional data), so that etcd's data,
// backups and snapshots never hold it in clear.
type KEK struct {
	aead cipher.AEAD
	id   string
}

// ReadKEK reads a key file: 64 hex digits (openssl rand -hex 32). The file
// must not be readable by group or others.
func ReadKEK(path string) (*KEK, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("store key: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("store key %s: mode %04o lets others read it; chmod 600 it", path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("store key: %w", err)
	}
	return ParseKEK(strings.TrimSpace(string(b)))
}

// ParseKEK reads a key as 64 hex digits.
func ParseKEK(s string) (*KEK, error) {
	raw, err := hex.DecodeString(s)
	if err != nil || len(raw) != 32 {
		return nil, errors.New("store key: want 64 hex digits, 32 random bytes (openssl rand -hex 32)")
	}
	block, _ := aes.NewCipher(raw)
	aead, _ := cipher.NewGCM(block)
	sum := sha256.Sum256(append([]byte("capstan fleet key id\x00"), raw...))
	return &KEK{aead: aead, id: hex.EncodeToString(sum[:8])}, nil
}

// ID names the key without revealing it, so that a manager given another
// key says so instead of failing to decrypt.
func (k *KEK) ID() string { return k.id }

// Seal encrypts plain for the key named name.
func (k *KEK) Seal(name string, plain []byte) []byte {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err)
	}
	return k.aead.Seal(nonce, nonce, plain, []byte(name))
}

// Open decrypts what Seal made for name.
func (k *KEK) Open(name string, sealed []byte) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n+k.aead.Overhead() {
		return nil, errors.New("sealed key too short")
	}
	return k.aead.Open(nil, sealed[:n], sealed[n:], []byte(name))
}
