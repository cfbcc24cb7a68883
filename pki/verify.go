package pki

import (
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// Verification failures a caller can branch on with errors.Is.
var (
	ErrExpired     = errors.New("certificate expired")
	ErrNotYetValid = errors.New("certificate not yet valid")
	ErrRevoked     = errors.New("certificate revoked")
	ErrUntrusted   = errors.New("certificate not issued by a trusted CA")
	ErrNoCert      = errors.New("no certificate presented")
)

// VerifyChain checks a DER chain (leaf first) against roots at now:
// validity first, so an expired certificate says so instead of a generic
// chain error.
func VerifyChain(raw [][]byte, roots []*x509.Certificate, now time.Time) (*x509.Certificate, error) {
	if len(raw) == 0 {
		return nil, ErrNoCert
	}
	certs := make([]*x509.Certificate, len(raw))
	for i, der := range raw {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("certificate %d of the chain: %w", i+1, err)
		}
		certs[i] = c
	}
	leaf := certs[0]
	if now.After(leaf.NotAfter) {
		return leaf, fmt.Errorf("%w: %q (serial %s) expired at %s", ErrExpired, leaf.Subject.CommonName,
			SerialString(leaf.SerialNumber), leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if now.Before(leaf.NotBefore) {
		return leaf, fmt.Errorf("%w: %q is valid from %s (is this clock right?)", ErrNotYetValid,
			leaf.Subject.CommonName, leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	opts := x509.VerifyOptions{Roots: x509.NewCertPool(), Intermediates: x509.NewCertPool(),
		CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
	for _, r := range roots {
		opts.Roots.AddCert(r)
	}
	for _, c := range certs[1:] {
		opts.Intermediates.AddCert(c)
	}
	if _, err := leaf.Verify(opts); err != nil {
		return leaf, fmt.Errorf("%w: %q issued by %q: %v", ErrUntrusted, leaf.Subject.CommonName, leaf.Issuer.CommonName, err)
	}
	return leaf, nil
}

// VerifyCAP checks a CAP's DTLS certificate chain: issued by the CA, valid
// now, not revoked.
func (a *Authority) VerifyCAP(raw [][]byte) (*x509.Certificate, error) {
	leaf, err := VerifyChain(raw, []*x509.Certificate{a.ca.Cert}, a.cfg.Now())
	if err != nil {
		return leaf, err
	}
	if a.IsRevoked(leaf.SerialNumber) {
		return leaf, fmt.Errorf("%w: %q (serial %s)", ErrRevoked, leaf.Subject.CommonName, SerialString(leaf.SerialNumber))
	}
	return leaf, nil
}
