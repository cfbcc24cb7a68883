package pki

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// CRLFile is where a CAP keeps the newest CRL of its manager's CA that it
// has been given in-band.
const CRLFile = "ca.crl"

// maxCRL bounds a CRL a CAP accepts and stores.
const maxCRL = 256 << 10

// ParseCRLFrom parses a DER CRL and checks that ca signed it.
func ParseCRLFrom(der []byte, ca *x509.Certificate) (*x509.RevocationList, error) {
	if len(der) > maxCRL {
		return nil, fmt.Errorf("CRL of %d bytes: at most %d", len(der), maxCRL)
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, fmt.Errorf("CRL: %w", err)
	}
	if err := crl.CheckSignatureFrom(ca); err != nil {
		return nil, fmt.Errorf("CRL not signed by %q: %w", ca.Subject.CommonName, err)
	}
	if crl.Number == nil {
		return nil, errors.New("CRL without a CRL number")
	}
	return crl, nil
}

// ReadCRL returns the CRL stored in dir, checked against ca; nil when
// there is none or it is another CA's.
func ReadCRL(dir string, ca *x509.Certificate) (*x509.RevocationList, error) {
	der, err := os.ReadFile(filepath.Join(dir, CRLFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	crl, err := ParseCRLFrom(der, ca)
	if err != nil {
		return nil, nil // another CA's (the CAP moved); the next manager sends its own
	}
	return crl, nil
}

// KeepNewestCRL stores der in dir when ca signed it and its CRL number is
// higher than the stored one's, so a manager cannot roll a CAP back to an
// older list. It reports whether it stored it.
func KeepNewestCRL(dir string, der []byte, ca *x509.Certificate) (bool, error) {
	crl, err := ParseCRLFrom(der, ca)
	if err != nil {
		return false, err
	}
	old, err := ReadCRL(dir, ca)
	if err != nil {
		return false, err
	}
	if old != nil && old.Number.Cmp(crl.Number) >= 0 {
		return false, nil
	}
	return true, WriteFileAtomic(filepath.Join(dir, CRLFile), der, 0o644)
}

// CheckNotRevoked refuses c when crl lists its serial.
func CheckNotRevoked(c *x509.Certificate, crl *x509.RevocationList) error {
	if crl == nil {
		return nil
	}
	for _, e := range crl.RevokedCertificateEntries {
		if e.SerialNumber.Cmp(c.SerialNumber) == 0 {
			return fmt.Errorf("%w: %q (serial %s) is in the CRL number %s of %q since %s", ErrRevoked, c.Subject.CommonName,
				SerialString(c.SerialNumber), crl.Number, crl.Issuer.CommonName, e.RevocationTime.UTC().Format(time.RFC3339))
		}
	}
	return nil
}
