package pki

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Files of a CAP's credentials in its state directory. The key is 0600 and
// never leaves the AP.
const (
	CAPKeyFile     = "cap-key.pem"
	CAPNextKeyFile = "cap-key.next.pem" // renewal key until its certificate arrives
	CAPCertFile    = "cap-cert.pem"
	CAPCAFile      = "ca-cert.pem"
)

// Credentials are a CAP's key with, once enrolled, its certificate and the
// CA that issued it.
type Credentials struct {
	Key  crypto.Signer
	Cert *x509.Certificate   // nil until enrolled
	CA   []*x509.Certificate // the issuing chain above Cert
}

// TLS returns the DTLS client certificate, nil before enrollment.
func (c *Credentials) TLS() *tls.Certificate {
	if c == nil || c.Cert == nil {
		return nil
	}
	t := &tls.Certificate{Certificate: [][]byte{c.Cert.Raw}, PrivateKey: c.Key, Leaf: c.Cert}
	for _, ca := range c.CA {
		if ca.CheckSignatureFrom(ca) != nil {
			t.Certificate = append(t.Certificate, ca.Raw) // intermediates only; the peer has the root
		}
	}
	return t
}

// LoadCredentials reads the credentials in dir, creating a key of type kt
// when there is none. A renewal interrupted between writing the new
// certificate and promoting its key is finished here.
func LoadCredentials(dir string, kt KeyType) (*Credentials, error) {
	keyPath := filepath.Join(dir, CAPKeyFile)
	nextPath := filepath.Join(dir, CAPNextKeyFile)
	cert, certErr := readOne(filepath.Join(dir, CAPCertFile))
	if certErr != nil && !errors.Is(certErr, os.ErrNotExist) {
		return nil, certErr
	}
	if next, err := ReadKeyFile(nextPath); err == nil && cert != nil && SamePublicKey(cert, next) {
		if err := os.Rename(nextPath, keyPath); err != nil {
			return nil, fmt.Errorf("promote renewed key: %w", err)
		}
	}
	key, err := ReadKeyFile(keyPath)
	if errors.Is(err, os.ErrNotExist) {
		if key, err = GenerateKey(kt); err != nil {
			return nil, err
		}
		if err := WriteKeyFile(keyPath, key); err != nil {
			return nil, err
		}
		cert = nil
	} else if err != nil {
		return nil, err
	}
	c := &Credentials{Key: key}
	if cert != nil && SamePublicKey(cert, key) {
		ca, err := ReadCertsFile(filepath.Join(dir, CAPCAFile))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		c.Cert, c.CA = cert, ca
	}
	return c, nil
}

func readOne(path string) (*x509.Certificate, error) {
	certs, err := ReadCertsFile(path)
	if err != nil {
		return nil, err
	}
	return certs[0], nil
}

// NextKey returns the renewal key in dir, creating it (0600) if needed.
func NextKey(dir string, kt KeyType) (crypto.Signer, error) {
	path := filepath.Join(dir, CAPNextKeyFile)
	k, err := ReadKeyFile(path)
	if err == nil {
		return k, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if k, err = GenerateKey(kt); err != nil {
		return nil, err
	}
	return k, WriteKeyFile(path, k)
}

// SaveCredentials stores a newly issued chain (leaf first) for key: the CA
// first, then the certificate, then (for a renewal key) the key is
// promoted. A crash in between is repaired by LoadCredentials.
func SaveCredentials(dir string, key crypto.Signer, chain []*x509.Certificate) (*Credentials, error) {
	if len(chain) == 0 || !SamePublicKey(chain[0], key) {
		return nil, errors.New("issued certificate does not match this CAP's key")
	}
	if len(chain) > 1 {
		if err := WriteFileAtomic(filepath.Join(dir, CAPCAFile), EncodeCertsPEM(chain[1:]...), 0o644); err != nil {
			return nil, err
		}
	}
	if err := WriteFileAtomic(filepath.Join(dir, CAPCertFile), EncodeCertsPEM(chain[0]), 0o644); err != nil {
		return nil, err
	}
	nextPath := filepath.Join(dir, CAPNextKeyFile)
	if next, err := ReadKeyFile(nextPath); err == nil && SamePublicKey(chain[0], next) {
		if err := os.Rename(nextPath, filepath.Join(dir, CAPKeyFile)); err != nil {
			return nil, err
		}
	}
	return &Credentials{Key: key, Cert: chain[0], CA: chain[1:]}, nil
}
