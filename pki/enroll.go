package pki

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"
)

// Policy decides how a CAP without a certificate gets one.
type Policy string

// Enrollment policies. A valid one-time password issues at once under
// every policy; a wrong one is refused under every policy; a pre-approved
// base MAC issues under every policy.
const (
	PolicyAuto     Policy = "auto"     // issue to any CAP that asks (demos and labs)
	PolicyOTP      Policy = "otp"      // issue only with a one-time password
	PolicyApproval Policy = "approval" // adoption: park the request until an administrator approves it (the default)
)

// ParsePolicy accepts auto, otp and approval; "" is approval.
func ParsePolicy(s string) (Policy, error) {
	switch p := Policy(s); p {
	case PolicyAuto, PolicyOTP, PolicyApproval:
		return p, nil
	case "":
		return PolicyApproval, nil
	}
	return "", fmt.Errorf("enrollment policy %q: want auto, otp or approval", s)
}

// Enrollment refusals, for errors.Is; their messages go back to the CAP.
var (
	ErrBadName          = errors.New("name not allowed")
	ErrTooManyPending   = errors.New("too many enrollment requests pending")
	ErrPending          = errors.New("waiting for an administrator's approval")
	ErrWrongPassword    = errors.New("wrong, used or expired one-time password")
	ErrPasswordRequired = errors.New("enrollment requires a one-time password")
	ErrRejected         = errors.New("enrollment rejected by an administrator")
)

// Password is a one-time enrollment password. Only its SHA-256 is stored.
type Password struct {
	ID      string     `json:"id"`
	Hash    string     `json:"hash"`
	Comment string     `json:"comment,omitempty"`
	Created time.Time  `json:"created"`
	Expires time.Time  `json:"expires"`
	UsedAt  *time.Time `json:"used_at,omitempty"`
	UsedBy  string     `json:"used_by,omitempty"`
}

// Request states.
const (
	RequestPending  = "pending"
	RequestApproved = "approved"
	RequestRejected = "rejected"
)

// Request is an enrollment waiting for, or decided by, an administrator.
// It is keyed by the requester's public key, so a CAP asking again with
// the same key finds its decision.
type Request struct {
	ID          string    `json:"id"`
	CommonName  string    `json:"common_name"`
	Address     string    `json:"address"`
	Via         string    `json:"via"`
	State       string    `json:"state"`
	RequestedAt time.Time `json:"requested_at"`
	KeyHash     string    `json:"key_sha256"`
	Transaction string    `json:"transaction,omitempty"` // SCEP transactionID
	// Replaces names the valid certificate of the same CommonName and
	// another key that issuing this request would supersede.
	Replaces string `json:"replaces,omitempty"`
	CSR      []byte `json:"csr"`
}

type enrollmentFile struct {
	Passwords   []Password `json:"passwords"`
	Requests    []Request  `json:"requests"`
	PreApproved []string   `json:"preapproved,omitempty"`
}

// maxPending bounds the requests waiting for approval, so a flood of
// strangers cannot grow enrollment.json without end.
const maxPending = 1000

// EnrollRequest is one CAP's request for a certificate.
type EnrollRequest struct {
	CSR         []byte // DER PKCS#10
	Password    string // one-time password, "" for none
	Address     string // where it came from, for the pending list
	Via         string // in-band or scep
	CommonName  string // when set, the CSR must carry exactly this CommonName
	Transaction string // SCEP transactionID
}

func hashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// Enroll decides a request by the policy and issues the certificate when
// allowed, returning the chain (leaf, CA). A CommonName whose latest
// certificate was revoked needs approval (or a password) whatever the
// policy, so revocation sticks.
func (a *Authority) Enroll(r EnrollRequest) ([]*x509.Certificate, error) {
	csr, err := ParseCSR(r.CSR)
	if err != nil {
		return nil, err
	}
	cn := csr.Subject.CommonName
	if err := CheckCAPName(cn); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadName, err)
	}
	if r.CommonName != "" && cn != r.CommonName {
		return nil, fmt.Errorf("%w: certificate request for %q: this CAP may only ask for %q", ErrBadName, cn, r.CommonName)
	}
	keyHash, err := KeyFingerprint(csr.PublicKey)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ca.Key == nil {
		return nil, ErrNoCAKey
	}
	if r.Password != "" {
		if err := a.usePasswordLocked(r.Password, csr.Subject.CommonName); err != nil {
			return nil, err
		}
		return a.issueLocked(csr, r.Via)
	}
	i := slices.IndexFunc(a.enroll.Requests, func(q Request) bool { return q.KeyHash == keyHash })
	if i >= 0 {
		switch a.enroll.Requests[i].State {
		case RequestApproved:
			chain, err := a.issueLocked(csr, r.Via)
			if err != nil {
				return nil, err
			}
			next := a.enroll
			next.Requests = slices.Delete(slices.Clone(next.Requests), i, i+1)
			if err := a.saveEnrollLocked(next); err != nil {
				return nil, err
			}
			a.enroll = next
			return chain, nil
		case RequestRejected:
			return nil, ErrRejected
		}
		return nil, fmt.Errorf("%w (request %s)", ErrPending, a.enroll.Requests[i].ID)
	}
	replaces := a.holderLocked(cn, keyHash)
	preApproved := replaces == "" && !a.revokedCN(cn) && a.preApprovedLocked(cn)
	needApproval := !preApproved && (a.cfg.Policy == PolicyApproval || a.revokedCN(cn) || replaces != "")
	switch {
	case needApproval:
		if j := slices.IndexFunc(a.enroll.Requests, func(q Request) bool { return q.State == RequestPending && q.CommonName == cn }); j >= 0 {
			// One pending request per name: a flood with fresh keys for one
			// MAC cannot bury the others; the administrator who rejects
			// the wrong one lets the next key ask.
			q := a.enroll.Requests[j]
			return nil, fmt.Errorf("%w: request %s for %s from %s waits for approval already (another key)", ErrTooManyPending, q.ID, cn, q.Address)
		}
		if a.pendingLocked() >= maxPending {
			return nil, fmt.Errorf("%w: %d requests already wait for approval", ErrTooManyPending, maxPending)
		}
		q := Request{ID: keyHash[:8], CommonName: cn, Address: r.Address, Via: r.Via, Replaces: replaces,
			State: RequestPending, RequestedAt: a.cfg.Now().UTC(), KeyHash: keyHash, Transaction: r.Transaction, CSR: csr.Raw}
		next := a.enroll
		next.Requests = append(slices.Clip(next.Requests), q)
		if err := a.saveEnrollLocked(next); err != nil {
			return nil, err
		}
		a.enroll = next
		return nil, fmt.Errorf("%w (request %s)", ErrPending, q.ID)
	case a.cfg.Policy == PolicyOTP && !preApproved:
		return nil, ErrPasswordRequired
	}
	return a.issueLocked(csr, r.Via)
}

// holderLocked names the valid CAP certificate of cn held by another key
// than keyHash ("CAP-… serial …"), "" if there is none; a.mu is held.
func (a *Authority) holderLocked(cn, keyHash string) string {
	now := a.cfg.Now()
	for _, i := range slices.Backward(a.byCN[cn]) {
		r := a.issued.Issued[i]
		if !r.IsCAP() || r.CommonName != cn || r.RevokedAt != nil || r.SupersededAt != nil || now.After(r.NotAfter) {
			continue
		}
		k := r.KeySHA256
		if k == "" {
			if certs, err := ParseCertsPEM([]byte(r.PEM)); err == nil {
				k, _ = KeyFingerprint(certs[0].PublicKey)
			}
		}
		if k != keyHash {
			return fmt.Sprintf("%s serial %s", cn, r.Serial)
		}
	}
	return ""
}

func (a *Authority) pendingLocked() int {
	n := 0
	for _, q := range a.enroll.Requests {
		if q.State == RequestPending {
			n++
		}
	}
	return n
}

// usePasswordLocked marks a matching unused, unexpired password used.
func (a *Authority) usePasswordLocked(secret, by string) error {
	h := hashSecret(strings.TrimSpace(secret))
	now := a.cfg.Now()
	for i, p := range a.enroll.Passwords {
		if subtle.ConstantTimeCompare([]byte(p.Hash), []byte(h)) != 1 || p.UsedAt != nil || now.After(p.Expires) {
			continue
		}
		next := a.enroll
		next.Passwords = slices.Clone(next.Passwords)
		t := now.UTC()
		next.Passwords[i].UsedAt, next.Passwords[i].UsedBy = &t, by
		if err := a.saveEnrollLocked(next); err != nil {
			return err
		}
		a.enroll = next
		return nil
	}
	return ErrWrongPassword
}

// Renew issues a new certificate to a CAP that proved it holds a valid one
// for cn (an authenticated DTLS session): no policy applies.
func (a *Authority) Renew(csrDER []byte, cn string) ([]*x509.Certificate, error) {
	csr, err := ParseCSR(csrDER)
	if err != nil {
		return nil, err
	}
	if csr.Subject.CommonName != cn {
		return nil, fmt.Errorf("%w: renewal for %q from a CAP authenticated as %q", ErrBadName, csr.Subject.CommonName, cn)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.issueLocked(csr, "renewal")
}

// AddPassword makes a one-time password valid for valid; the secret is
// returned once and only its hash is kept.
func (a *Authority) AddPassword(valid time.Duration, comment string) (Password, string, error) {
	if valid <= 0 {
		return Password{}, "", fmt.Errorf("one-time password validity %s: must be positive", valid)
	}
	raw := make([]byte, 10)
	if _, err := rand.Read(raw); err != nil {
		return Password{}, "", err
	}
	secret := strings.ToLower(base32.StdEncoding.EncodeToString(raw))
	id := make([]byte, 4)
	if _, err := rand.Read(id); err != nil {
		return Password{}, "", err
	}
	now := a.cfg.Now().UTC()
	p := Password{ID: hex.EncodeToString(id), Hash: hashSecret(secret), Comment: comment, Created: now, Expires: now.Add(valid)}
	a.mu.Lock()
	defer a.mu.Unlock()
	next := a.enroll
	next.Passwords = append(slices.Clip(next.Passwords), p)
	if err := a.saveEnrollLocked(next); err != nil {
		return Password{}, "", err
	}
	a.enroll = next
	return p, secret, nil
}

// Passwords lists the one-time passwords (hashes only).
func (a *Authority) Passwords() []Password {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.enroll.Passwords)
}

// Requests lists enrollment requests waiting for or decided by an administrator.
func (a *Authority) Requests() []Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.enroll.Requests)
}

// Decide sets a request's state to approved or rejected, or removes it.
func (a *Authority) Decide(id, state string) (Request, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	i := slices.IndexFunc(a.enroll.Requests, func(q Request) bool { return q.ID == id })
	if i < 0 {
		return Request{}, fmt.Errorf("enrollment request %q: no such request", id)
	}
	next := a.enroll
	next.Requests = slices.Clone(next.Requests)
	q := next.Requests[i]
	switch state {
	case RequestApproved, RequestRejected:
		next.Requests[i].State = state
		q.State = state
	case "removed":
		next.Requests = slices.Delete(next.Requests, i, i+1)
	default:
		return Request{}, fmt.Errorf("enrollment request state %q: want approved, rejected or removed", state)
	}
	if err := a.saveEnrollLocked(next); err != nil {
		return Request{}, err
	}
	a.enroll = next
	return q, nil
}

// RequestByTransaction finds a SCEP request by its transactionID.
func (a *Authority) RequestByTransaction(tid string) (Request, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	i := slices.IndexFunc(a.enroll.Requests, func(q Request) bool { return tid != "" && q.Transaction == tid })
	if i < 0 {
		return Request{}, false
	}
	return a.enroll.Requests[i], true
}

// CheckMACPattern accepts a base MAC or a shell pattern over one
// (02:00:00:*, 02:00:00:00:0?:*), written as ParseMAC prints: lower-case
// hex with colons.
func CheckMACPattern(p string) error {
	if p == "" || len(p) > 64 || strings.Trim(p, "0123456789abcdefABCDEF:*?[]-") != "" {
		return fmt.Errorf("pre-approved MAC %q: want a MAC address or a pattern such as 02:00:00:*", p)
	}
	if _, err := path.Match(p, ""); err != nil {
		return fmt.Errorf("pre-approved MAC %q: %v", p, err)
	}
	return nil
}

// macOfCAPName is the lower-case, colon-separated MAC of CAP-<hex>.
func macOfCAPName(cn string) string {
	h := strings.ToLower(strings.TrimPrefix(cn, "CAP-"))
	var b strings.Builder
	for i := 0; i+1 < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// preApprovedLocked reports whether cn's base MAC matches a pre-approved
// pattern of the configuration or the store; a.mu is held.
func (a *Authority) preApprovedLocked(cn string) bool {
	mac := macOfCAPName(cn)
	for _, p := range slices.Concat(a.cfg.PreApproved, a.enroll.PreApproved) {
		if ok, _ := path.Match(strings.ToLower(p), mac); ok {
			return true
		}
	}
	return false
}

// PreApprove adds (or, with remove, takes away) a base MAC or pattern of
// CAPs adopted without asking.
func (a *Authority) PreApprove(pattern string, remove bool) error {
	if err := CheckMACPattern(pattern); err != nil {
		return err
	}
	pattern = strings.ToLower(pattern)
	a.mu.Lock()
	defer a.mu.Unlock()
	next := a.enroll
	i := slices.Index(next.PreApproved, pattern)
	switch {
	case remove && i < 0:
		return fmt.Errorf("pre-approved MAC %q: not in the list", pattern)
	case remove:
		next.PreApproved = slices.Delete(slices.Clone(next.PreApproved), i, i+1)
	case i >= 0:
		return nil
	default:
		next.PreApproved = append(slices.Clip(next.PreApproved), pattern)
	}
	if err := a.saveEnrollLocked(next); err != nil {
		return err
	}
	a.enroll = next
	return nil
}

// PreApproved lists the base MACs and patterns adopted without asking:
// those of the configuration first, then the stored ones.
func (a *Authority) PreApproved() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Concat(a.cfg.PreApproved, a.enroll.PreApproved)
}

// ApproveAll approves every pending request and returns them.
func (a *Authority) ApproveAll() ([]Request, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	next := a.enroll
	next.Requests = slices.Clone(next.Requests)
	var out []Request
	for i, q := range next.Requests {
		if q.State == RequestPending {
			next.Requests[i].State = RequestApproved
			out = append(out, next.Requests[i])
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	if err := a.saveEnrollLocked(next); err != nil {
		return nil, err
	}
	a.enroll = next
	return out, nil
}
