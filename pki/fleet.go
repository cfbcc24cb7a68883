package pki

import (
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"time"
)

// Fleet keeps an Authority's CA and records where every manager of a
// fleet shares them (the fleet store). With a Fleet, a change is committed
// there before it takes effect here, and what other managers commit
// arrives through MergeFleet; the CA's key is never written to Dir.
type Fleet interface {
	// CA returns the fleet's CA, made with make by the first manager
	// that needs one (the others load it).
	CA(make func() (*CA, error)) (*CA, error)
	// Seed adds records this manager kept before it joined the fleet,
	// where the fleet has none of the same serial.
	Seed(records []Issued) error
	// Commit stores changed records (issued, superseded or revoked) and
	// revocations without a record; a revocation or a supersession the
	// fleet holds is never undone by an older copy.
	Commit(records []Issued, outside []Revocation) error
	// NextCRLNumber returns a CRL number no manager of the fleet has used,
	// at least atLeast: CRL numbers stay monotonic across the fleet
	// (RFC 5280 §5.2.3).
	NextCRLNumber(atLeast int64) (int64, error)
	// SaveEnrollment commits the enrollment document (one-time passwords,
	// requests and their decisions, pre-approved MACs) if the fleet's is
	// still revision base (0: it has none), returning the new revision.
	SaveEnrollment(data []byte, base int64) (int64, error)
}

// saveEnrollLocked makes next the enrollment state, in the fleet or in
// Dir; a.mu is held.
func (a *Authority) saveEnrollLocked(next enrollmentFile) error {
	if a.cfg.Fleet == nil {
		return writeJSON(a.path(enrollmentName), next)
	}
	b, err := json.Marshal(next)
	if err != nil {
		return err
	}
	rev, err := a.cfg.Fleet.SaveEnrollment(b, a.enrollRev)
	if err != nil {
		return err
	}
	a.enrollRev = max(a.enrollRev, rev)
	return nil
}

// MergeEnrollment installs the enrollment document another manager
// committed at rev; an older revision than the one held is ignored.
func (a *Authority) MergeEnrollment(data []byte, rev int64) error {
	var f enrollmentFile
	if err := json.Unmarshal(data, &f); err != nil {
		return fmt.Errorf("enrollment of revision %d: %w", rev, err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if rev > a.enrollRev {
		a.enroll, a.enrollRev = f, rev
	}
	return nil
}

// commitLocked stores entries' effect in the fleet; a.mu is held.
func (a *Authority) commitFleetLocked(entries []journalEntry) error {
	var recs []Issued
	for _, e := range entries {
		if s := e.Supersede; s != nil {
			if i, ok := a.bySerial[s.Serial]; ok {
				r := a.issued.Issued[i]
				at := s.At
				r.SupersededAt, r.SupersededBy = &at, s.By
				recs = append(recs, r)
			}
		}
		if e.Issue != nil {
			recs = append(recs, *e.Issue)
		}
	}
	return a.cfg.Fleet.Commit(recs, nil)
}

// MergeFleet installs records other managers committed: all of them
// (replace, after the fleet was listed again) or changed ones. It returns
// the serials that became revoked here, whose sessions must end.
func (a *Authority) MergeFleet(records []Issued, outside []Revocation, replace bool) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	wasRevoked := func(serial string) bool {
		i, ok := a.bySerial[serial]
		return ok && a.issued.Issued[i].RevokedAt != nil
	}
	var revoked []string
	for _, r := range records {
		if r.RevokedAt != nil && !wasRevoked(r.Serial) {
			revoked = append(revoked, r.Serial)
		}
	}
	for _, o := range outside {
		if !slices.ContainsFunc(a.issued.Revoked, func(x Revocation) bool { return x == o }) {
			revoked = append(revoked, o.Serial)
		}
	}
	if replace {
		a.setIssuedLocked(issuedFile{CRLNumber: a.issued.CRLNumber, Issued: slices.Clone(records), Revoked: slices.Clone(outside)})
	} else {
		for _, r := range records {
			if i, ok := a.bySerial[r.Serial]; ok {
				a.issued.Issued[i] = r
				continue
			}
			a.issued.Issued = append(a.issued.Issued, r)
			a.indexLocked(len(a.issued.Issued) - 1)
		}
		for _, o := range outside {
			if !slices.ContainsFunc(a.issued.Revoked, func(x Revocation) bool { return x == o }) {
				a.issued.Revoked = append(a.issued.Revoked, o)
			}
		}
	}
	if len(revoked) > 0 {
		a.crl = nil
		if a.fleetCRL != nil {
			a.fleetCRL.current = false // until the leader publishes again
		}
	}
	return revoked
}

// fleetCRL is the CRL the fleet's leader signed and published.
type fleetCRL struct {
	der     []byte
	number  *big.Int
	next    time.Time // its NextUpdate
	current bool      // no revocation arrived here since it was published
}

// SetFleetCRL takes the CRL the fleet's leader published, if the fleet's
// CA signed it and it is newer than the one held.
func (a *Authority) SetFleetCRL(der []byte) error {
	l, err := ParseCRLFrom(der, a.ca.Cert)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if f := a.fleetCRL; f != nil && l.Number.Cmp(f.number) <= 0 {
		return nil
	}
	a.fleetCRL = &fleetCRL{der: der, number: l.Number, next: l.NextUpdate, current: true}
	return nil
}

// SetLeading says whether this manager leads the fleet and so signs its
// CRL (the others serve the leader's).
func (a *Authority) SetLeading(on bool) {
	a.mu.Lock()
	a.leading = on
	a.mu.Unlock()
}

// joinFleet takes the CA from the fleet and hands it the records kept
// here before; a.mu need not be held (OpenAuthority).
func (a *Authority) joinFleet(generate func() (*CA, error)) error {
	ca, err := a.cfg.Fleet.CA(generate)
	if err != nil {
		return fmt.Errorf("fleet CA: %w", err)
	}
	if !ca.Cert.IsCA {
		return fmt.Errorf("fleet CA %q is not a CA certificate", ca.Cert.Subject.CommonName)
	}
	a.ca, a.caName = ca, ca.Cert.Subject.CommonName
	var mine []Issued
	for _, r := range a.issued.Issued {
		if c, err := ParseCertsPEM([]byte(r.PEM)); err == nil && c[0].CheckSignatureFrom(ca.Cert) == nil {
			mine = append(mine, r)
		}
	}
	if len(mine) > 0 {
		if err := a.cfg.Fleet.Seed(mine); err != nil {
			return fmt.Errorf("fleet records: %w", err)
		}
	}
	// This manager's enrollment state becomes the fleet's if the fleet has
	// none; otherwise the fleet's arrives with MergeEnrollment.
	b, err := json.Marshal(a.enroll)
	if err != nil {
		return err
	}
	if rev, err := a.cfg.Fleet.SaveEnrollment(b, 0); err == nil {
		a.enrollRev = rev
	}
	return nil
}
