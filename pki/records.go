package pki

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"slices"
	"strings"
	"time"
)

const (
	issuedName     = "issued.json"
	enrollmentName = "enrollment.json"
	// crlLifetime is the NextUpdate distance of a served CRL; it is rebuilt
	// after half of it or at once when a certificate is revoked.
	crlLifetime = 24 * time.Hour
)

// Issued is one certificate the Authority signed for a CAP.
type Issued struct {
	Serial      string     `json:"serial"`
	CommonName  string     `json:"common_name"`
	NotBefore   time.Time  `json:"not_before"`
	NotAfter    time.Time  `json:"not_after"`
	Via         string     `json:"via"` // in-band, renewal, scep
	Fingerprint string     `json:"fingerprint"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	PEM         string     `json:"pem"`
}

type issuedFile struct {
	CRLNumber int64    `json:"crl_number"`
	Issued    []Issued `json:"issued"`
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, append(b, '\n'), 0o600)
}

// issueLocked signs a CAP certificate and records it; a.mu is held.
func (a *Authority) issueLocked(csr *x509.CertificateRequest, via string) ([]*x509.Certificate, error) {
	c, err := a.ca.Issue(csr.PublicKey, IssueOptions{
		CommonName: csr.Subject.CommonName, Lifetime: a.cfg.CAPLifetime, Usage: UsageCAP,
		Now: a.cfg.Now(), CRLURL: a.crlURL,
	})
	if err != nil {
		return nil, err
	}
	next := a.issued
	next.Issued = append(slices.Clip(next.Issued), Issued{
		Serial: SerialString(c.SerialNumber), CommonName: c.Subject.CommonName,
		NotBefore: c.NotBefore, NotAfter: c.NotAfter, Via: via, Fingerprint: Fingerprint(c),
		PEM: string(EncodeCertsPEM(c)),
	})
	if err := writeJSON(a.path(issuedName), next); err != nil {
		return nil, fmt.Errorf("record issued certificate: %w", err)
	}
	a.issued = next
	return []*x509.Certificate{c, a.ca.Cert}, nil
}

// IssuedCertificates returns a copy of the issue records, oldest first.
func (a *Authority) IssuedCertificates() []Issued {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.issued.Issued)
}

// Revoke revokes the certificates ref names: a serial number (hex) or a
// CommonName (every unrevoked certificate with it). It returns the revoked
// serials; revoking nothing is an error.
func (a *Authority) Revoke(ref string) ([]string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.cfg.Now().UTC().Truncate(time.Second)
	next := issuedFile{CRLNumber: a.issued.CRLNumber, Issued: slices.Clone(a.issued.Issued)}
	var serials []string
	for i, r := range next.Issued {
		if r.RevokedAt != nil || (!strings.EqualFold(r.Serial, strings.TrimPrefix(ref, "0x")) && r.CommonName != ref) {
			continue
		}
		next.Issued[i].RevokedAt = &now
		serials = append(serials, r.Serial)
	}
	if len(serials) == 0 {
		return nil, fmt.Errorf("revoke %q: no unrevoked certificate with that serial number or CommonName", ref)
	}
	if err := writeJSON(a.path(issuedName), next); err != nil {
		return nil, fmt.Errorf("revoke: %w", err)
	}
	a.issued = next
	a.crl = nil
	return serials, nil
}

// IsRevoked reports whether a certificate with this serial was revoked.
func (a *Authority) IsRevoked(serial *big.Int) bool {
	s := SerialString(serial)
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range a.issued.Issued {
		if r.Serial == s {
			return r.RevokedAt != nil
		}
	}
	return false
}

// revokedCN reports whether cn's most recent certificate is revoked.
func (a *Authority) revokedCN(cn string) bool {
	for _, r := range slices.Backward(a.issued.Issued) {
		if r.CommonName == cn {
			return r.RevokedAt != nil
		}
	}
	return false
}

// CRL returns the current DER certificate revocation list (RFC 5280 §5)
// signed by the CA, rebuilt after a revocation or half its lifetime.
func (a *Authority) CRL() ([]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.cfg.Now()
	if a.crl != nil && now.Sub(a.crlTime) < crlLifetime/2 {
		return a.crl, nil
	}
	next := a.issued
	next.CRLNumber++
	tmpl := &x509.RevocationList{
		Number:     big.NewInt(next.CRLNumber),
		ThisUpdate: now.Add(-clockSkew),
		NextUpdate: now.Add(crlLifetime),
	}
	for _, r := range a.issued.Issued {
		if r.RevokedAt == nil {
			continue
		}
		serial, ok := new(big.Int).SetString(r.Serial, 16)
		if !ok {
			return nil, fmt.Errorf("issued.json: bad serial %q", r.Serial)
		}
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: serial, RevocationTime: *r.RevokedAt})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, a.ca.Cert, a.ca.Key)
	if err != nil {
		return nil, fmt.Errorf("CRL: %w", err)
	}
	if err := writeJSON(a.path(issuedName), next); err != nil {
		return nil, fmt.Errorf("CRL number: %w", err)
	}
	a.issued, a.crl, a.crlTime = next, der, now
	return der, nil
}
