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

// Roles of issue records. Records written before roles existed have none
// and were all CAP certificates.
const (
	RoleCAP     = "cap"
	RoleManager = "manager"
	RoleRA      = "scep-ra"
	RoleWeb     = "web"
)

// DefaultSupersedeGrace is how long a CAP certificate stays valid after a
// renewal replaced it: long enough for a session that renewed to end and
// for a SCEP client (certmonger) to hand the new one to its user.
const DefaultSupersedeGrace = 24 * time.Hour

// Issued is one certificate the Authority signed.
type Issued struct {
	Serial      string     `json:"serial"`
	CommonName  string     `json:"common_name"`
	Role        string     `json:"role,omitempty"` // cap ("" in old records), manager, scep-ra
	NotBefore   time.Time  `json:"not_before"`
	NotAfter    time.Time  `json:"not_after"`
	Via         string     `json:"via"` // in-band, renewal, scep, manager, scep-ra
	Fingerprint string     `json:"fingerprint"`
	KeySHA256   string     `json:"key_sha256,omitempty"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	// SupersededAt is when a newer certificate for the same CommonName
	// was issued (SupersededBy); the certificate is refused Grace later.
	SupersededAt *time.Time `json:"superseded_at,omitempty"`
	SupersededBy string     `json:"superseded_by,omitempty"`
	PEM          string     `json:"pem"`
}

// IsCAP reports whether the record is a CAP certificate.
func (r Issued) IsCAP() bool { return r.Role == "" || r.Role == RoleCAP }

// Revocation is a revoked certificate the Authority has no issue record
// of: one from an outside CA it trusts, or one of its own CA's that it did
// not record (an older manager certificate). Issuer is the issuer's
// CommonName, Serial lower-case hex.
type Revocation struct {
	Issuer    string    `json:"issuer"`
	Serial    string    `json:"serial"`
	RevokedAt time.Time `json:"revoked_at"`
}

type issuedFile struct {
	CRLNumber int64        `json:"crl_number"`
	Issued    []Issued     `json:"issued"`
	Revoked   []Revocation `json:"revoked,omitempty"`
}

// setIssuedLocked installs a new issue file and its serial index; a.mu is held.
func (a *Authority) setIssuedLocked(f issuedFile) {
	a.issued = f
	a.bySerial = make(map[string]int, len(f.Issued))
	a.byCN = make(map[string][]int, len(f.Issued))
	for i := range f.Issued {
		a.indexLocked(i)
	}
}

// indexLocked adds record i to the indexes; a.mu is held.
func (a *Authority) indexLocked(i int) {
	r := a.issued.Issued[i]
	a.bySerial[r.Serial] = i
	a.byCN[r.CommonName] = append(a.byCN[r.CommonName], i)
}

// recordLocked appends an issue record, durable before it counts, and
// marks the earlier certificates of a CAP's CommonName superseded; a.mu
// is held. Its cost does not grow with the number of records.
func (a *Authority) recordLocked(c *x509.Certificate, role, via string) error {
	now := a.cfg.Now().UTC().Truncate(time.Second)
	keyHash, _ := KeyFingerprint(c.PublicKey)
	serial := SerialString(c.SerialNumber)
	var entries []journalEntry
	if role == RoleCAP {
		for _, i := range a.byCN[c.Subject.CommonName] {
			if r := a.issued.Issued[i]; r.IsCAP() && r.RevokedAt == nil && r.SupersededAt == nil {
				entries = append(entries, journalEntry{Supersede: &superseded{Serial: r.Serial, At: now, By: serial}})
			}
		}
	}
	entries = append(entries, journalEntry{Issue: &Issued{
		Serial: serial, CommonName: c.Subject.CommonName, Role: role,
		NotBefore: c.NotBefore, NotAfter: c.NotAfter, Via: via, Fingerprint: Fingerprint(c), KeySHA256: keyHash,
		PEM: string(EncodeCertsPEM(c)),
	}})
	if err := a.appendJournalLocked(entries); err != nil {
		return fmt.Errorf("record issued certificate: %w", err)
	}
	return nil
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

// issueLocked signs a CAP certificate and records it, superseding the
// earlier certificates of its CommonName; a.mu is held.
func (a *Authority) issueLocked(csr *x509.CertificateRequest, via string) ([]*x509.Certificate, error) {
	if err := CheckCAPName(csr.Subject.CommonName); err != nil {
		return nil, err
	}
	if a.ca.Key == nil {
		return nil, ErrNoCAKey
	}
	c, err := a.ca.Issue(csr.PublicKey, IssueOptions{
		CommonName: csr.Subject.CommonName, Lifetime: a.cfg.CAPLifetime, Usage: UsageCAP,
		Now: a.cfg.Now(), CRLURL: a.crlURL,
	})
	if err != nil {
		return nil, err
	}
	if err := a.recordLocked(c, RoleCAP, via); err != nil {
		return nil, err
	}
	return []*x509.Certificate{c, a.ca.Cert}, nil
}

// capRecordLocked finds the issue record of a certificate of this CA and
// checks it is a CAP's, unrevoked and not superseded for longer than the
// grace; a.mu is held.
func (a *Authority) capRecordLocked(c *x509.Certificate) (Issued, error) {
	i, ok := a.bySerial[SerialString(c.SerialNumber)]
	if !ok || a.issued.Issued[i].Fingerprint != Fingerprint(c) {
		return Issued{}, fmt.Errorf("%w: %q (serial %s)", ErrUnknownCert, c.Subject.CommonName, SerialString(c.SerialNumber))
	}
	r := a.issued.Issued[i]
	switch {
	case !r.IsCAP():
		return r, fmt.Errorf("%w: %q (serial %s) is a %s certificate", ErrWrongRole, r.CommonName, r.Serial, r.Role)
	case r.RevokedAt != nil:
		return r, fmt.Errorf("%w: %q (serial %s)", ErrRevoked, r.CommonName, r.Serial)
	case r.SupersededAt != nil && a.cfg.Now().After(r.SupersededAt.Add(a.cfg.SupersedeGrace)):
		return r, fmt.Errorf("%w: %q (serial %s) was replaced by serial %s at %s", ErrSuperseded, r.CommonName, r.Serial,
			r.SupersededBy, r.SupersededAt.Format(time.RFC3339))
	}
	return r, nil
}

// IssuedCertificates returns a copy of the issue records, oldest first.
func (a *Authority) IssuedCertificates() []Issued {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.issued.Issued)
}

// Revoke revokes the certificates ref names: a serial number (hex) or a
// CommonName (every unrevoked certificate with it) of this CA's records,
// or "ISSUER:SERIAL" for any certificate of this CA or of a trusted outside
// CA, recorded or not. It returns the revoked serials; revoking nothing is
// an error, and so is revoking the certificate this manager serves with.
func (a *Authority) Revoke(ref string) ([]string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.cfg.Now().UTC().Truncate(time.Second)
	next := issuedFile{CRLNumber: a.issued.CRLNumber, Issued: slices.Clone(a.issued.Issued), Revoked: slices.Clone(a.issued.Revoked)}
	issuer, serialRef, byIssuer := strings.Cut(ref, ":")
	if !byIssuer {
		issuer, serialRef = a.ca.Cert.Subject.CommonName, ref
	}
	serialRef = strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(serialRef, "0x"), "0X"))
	own := issuer == a.ca.Cert.Subject.CommonName
	if own && strings.EqualFold(serialRef, SerialString(a.manager.SerialNumber)) || (!byIssuer && ref == a.manager.Subject.CommonName) {
		return nil, fmt.Errorf("revoke %q: that is this manager's own certificate; serve with another (--certificate) first", ref)
	}
	var serials []string
	for i, r := range next.Issued {
		if !own || r.RevokedAt != nil || (r.Serial != serialRef && (byIssuer || r.CommonName != ref)) {
			continue
		}
		next.Issued[i].RevokedAt = &now
		serials = append(serials, r.Serial)
	}
	if len(serials) == 0 && byIssuer {
		if _, ok := new(big.Int).SetString(serialRef, 16); !ok || !a.knowsIssuerLocked(issuer) {
			return nil, fmt.Errorf("revoke %q: want ISSUER:SERIAL with the CommonName of this CA or a trusted CA and a hex serial", ref)
		}
		if !slices.ContainsFunc(next.Revoked, func(r Revocation) bool { return r.Issuer == issuer && r.Serial == serialRef }) {
			next.Revoked = append(next.Revoked, Revocation{Issuer: issuer, Serial: serialRef, RevokedAt: now})
			serials = append(serials, serialRef)
		}
	}
	if len(serials) == 0 {
		return nil, fmt.Errorf("revoke %q: no unrevoked certificate with that serial number or CommonName (ISSUER:SERIAL revokes one without a record)", ref)
	}
	if a.cfg.Fleet != nil {
		var recs []Issued
		for _, r := range next.Issued {
			if slices.Contains(serials, r.Serial) {
				recs = append(recs, r)
			}
		}
		if err := a.cfg.Fleet.Commit(recs, next.Revoked[len(a.issued.Revoked):]); err != nil {
			return nil, fmt.Errorf("revoke: %w", err)
		}
		a.setIssuedLocked(next)
	} else if err := a.saveIssuedLocked(next); err != nil {
		return nil, fmt.Errorf("revoke: %w", err)
	}
	a.crl = nil
	if a.fleetCRL != nil {
		a.fleetCRL.current = false // until the leader publishes again
	}
	return serials, nil
}

// revokedOutsideLocked reports whether c is in the list of revocations
// without a record; a.mu is held.
func (a *Authority) revokedOutsideLocked(c *x509.Certificate) bool {
	s := SerialString(c.SerialNumber)
	return slices.ContainsFunc(a.issued.Revoked, func(r Revocation) bool {
		return r.Serial == s && r.Issuer == c.Issuer.CommonName
	})
}

// IsRevoked reports whether a certificate of this CA with this serial was
// revoked.
func (a *Authority) IsRevoked(serial *big.Int) bool {
	s := SerialString(serial)
	a.mu.Lock()
	defer a.mu.Unlock()
	if i, ok := a.bySerial[s]; ok {
		return a.issued.Issued[i].RevokedAt != nil
	}
	issuer := a.ca.Cert.Subject.CommonName
	return slices.ContainsFunc(a.issued.Revoked, func(r Revocation) bool { return r.Serial == s && r.Issuer == issuer })
}

// revokedCN reports whether cn's most recent CAP certificate is revoked.
func (a *Authority) revokedCN(cn string) bool {
	if idx := a.byCN[cn]; len(idx) > 0 {
		return a.issued.Issued[idx[len(idx)-1]].RevokedAt != nil
	}
	return false
}

// CRL returns the current DER certificate revocation list (RFC 5280 §5)
// signed by the CA, rebuilt after a revocation or half its lifetime.
// In a fleet, a manager that is not the fleet's leader serves the CRL the
// leader published (SetFleetCRL) while it has one that is fresh and as new
// as its own records; it signs one itself otherwise.
func (a *Authority) CRL() ([]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.cfg.Now()
	if f := a.fleetCRL; f != nil && !a.leading && f.current && now.Before(f.next) {
		return f.der, nil
	}
	if a.crl != nil && now.Sub(a.crlTime) < crlLifetime/2 {
		return a.crl, nil
	}
	next := a.issued
	next.CRLNumber++
	if a.cfg.Fleet != nil {
		n, err := a.cfg.Fleet.NextCRLNumber(next.CRLNumber)
		if err != nil {
			return nil, fmt.Errorf("CRL number: %w", err)
		}
		next.CRLNumber = n
	}
	tmpl := &x509.RevocationList{
		Number:     big.NewInt(next.CRLNumber),
		ThisUpdate: now.Add(-clockSkew),
		NextUpdate: now.Add(crlLifetime),
	}
	add := func(s string, at time.Time, reason int) error {
		serial, ok := new(big.Int).SetString(s, 16)
		if !ok {
			return fmt.Errorf("issued.json: bad serial %q", s)
		}
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: serial, RevocationTime: at, ReasonCode: reason})
		return nil
	}
	for _, r := range a.issued.Issued {
		var err error
		switch {
		case r.RevokedAt != nil:
			err = add(r.Serial, *r.RevokedAt, 0)
		case r.SupersededAt != nil && now.After(r.SupersededAt.Add(a.cfg.SupersedeGrace)) && now.Before(r.NotAfter):
			err = add(r.Serial, r.SupersededAt.Add(a.cfg.SupersedeGrace), 4) // RFC 5280 §5.3.1 superseded
		}
		if err != nil {
			return nil, err
		}
	}
	for _, r := range a.issued.Revoked {
		if r.Issuer == a.ca.Cert.Subject.CommonName {
			if err := add(r.Serial, r.RevokedAt, 0); err != nil {
				return nil, err
			}
		}
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, a.ca.Cert, a.ca.Key)
	if err != nil {
		return nil, fmt.Errorf("CRL: %w", err)
	}
	if a.cfg.Fleet != nil {
		a.issued.CRLNumber = next.CRLNumber
	} else if err := a.saveIssuedLocked(next); err != nil {
		return nil, fmt.Errorf("CRL number: %w", err)
	}
	a.crl, a.crlTime = der, now
	return der, nil
}
