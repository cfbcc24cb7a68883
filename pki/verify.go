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
	ErrWrongRole   = errors.New("certificate of the wrong role")
	ErrSuperseded  = errors.New("certificate superseded by a renewal")
	ErrUnknownCert = errors.New("certificate not issued to a CAP by this CA")
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

// VerifyCAP checks a CAP's DTLS certificate chain: issued by the CA (or a
// trusted outside CA), valid now, a CAP's role and name, and, for the
// CA's own certificates, recorded as issued to a CAP, not revoked and not
// superseded for longer than the grace. The CA's, the RA's and any
// manager's certificate are refused.
func (a *Authority) VerifyCAP(raw [][]byte) (*x509.Certificate, error) {
	leaf, err := VerifyChain(raw, a.roots(), a.cfg.Now())
	if err != nil {
		return leaf, err
	}
	if err := CheckCAPRole(leaf); err != nil {
		return leaf, err
	}
	if err := CheckCAPName(leaf.Subject.CommonName); err != nil {
		return leaf, fmt.Errorf("%w: %v", ErrWrongRole, err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if leaf.CheckSignatureFrom(a.ca.Cert) == nil {
		_, err := a.capRecordLocked(leaf)
		return leaf, err
	}
	if a.revokedOutsideLocked(leaf) {
		return leaf, fmt.Errorf("%w: %q (issuer %q, serial %s)", ErrRevoked, leaf.Subject.CommonName,
			leaf.Issuer.CommonName, SerialString(leaf.SerialNumber))
	}
	return leaf, nil
}
