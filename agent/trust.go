package agent

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/capstan-wifi/capstan/capwap/transport"
	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/pki"
)

// Certificate modes (the CAP's `certificate` option).
const (
	CertificateNone    = "none"    // no client certificate
	CertificateRequest = "request" // ask the manager in-band during join
	CertificateSCEP    = "scep"    // enroll through SCEP at scep_url
)

// Renewal points: in-band after 2/3 of the lifetime, SCEP after 3/4.
const (
	renewNum, renewDen         = 2, 3
	scepRenewNum, scepRenewDen = 3, 4
	renewRetry                 = 30 * time.Second
)

// errEnrolled ends a session that delivered this CAP's first certificate:
// the agent reconnects at once, presenting it.
var errEnrolled = errors.New("certificate received; reconnecting with it")

// commonName is what this CAP asks to be called.
func (a *Agent) commonName() string { return pki.CAPCommonName(a.cfg.BaseMAC) }

// loadCredentials reads (or starts) the CAP's key and certificate.
func (a *Agent) loadCredentials() error {
	if a.cfg.Certificate == CertificateNone {
		return nil
	}
	if err := os.MkdirAll(a.cfg.StateDir, 0o700); err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	kt := pki.ECDSA
	if a.cfg.Certificate == CertificateSCEP {
		kt = pki.RSA // the SCEP CertRep is encrypted to the requester's key (RSA only)
	}
	creds, err := pki.LoadCredentials(a.cfg.StateDir, kt)
	if err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	a.setCreds(creds)
	return nil
}

func (a *Agent) setCreds(c *pki.Credentials) {
	a.mu.Lock()
	a.creds = c
	a.status.Certificate = certStatus(c)
	a.mu.Unlock()
}

func (a *Agent) credentials() *pki.Credentials {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.creds
}

// CertificateInfo is the CAP's certificate in its status.
type CertificateInfo struct {
	CommonName string    `json:"common_name"`
	Serial     string    `json:"serial"`
	Issuer     string    `json:"issuer"`
	NotAfter   time.Time `json:"not_after"`
}

func certStatus(c *pki.Credentials) *CertificateInfo {
	if c == nil || c.Cert == nil {
		return nil
	}
	return &CertificateInfo{CommonName: c.Cert.Subject.CommonName, Serial: pki.SerialString(c.Cert.SerialNumber),
		Issuer: c.Cert.Issuer.CommonName, NotAfter: c.Cert.NotAfter}
}

// clientCertificate returns the certificate to present, dropping one that
// has expired (with a clear log line) so the CAP enrolls again.
func (a *Agent) clientCertificate() *pki.Credentials {
	c := a.credentials()
	if c == nil || c.Cert == nil {
		return c
	}
	if time.Now().After(c.Cert.NotAfter) {
		a.warn("own certificate expired; enrolling again", "common_name", c.Cert.Subject.CommonName,
			"not_after", c.Cert.NotAfter.UTC().Format(time.RFC3339))
		c = &pki.Credentials{Key: c.Key}
		a.setCreds(c)
	}
	return c
}

// verifyManager checks the manager's certificate chain: the manager role
// (serverAuth and capstan's manager role, which no CAP certificate has),
// the chain against the CA this CAP was enrolled by or the pinned
// manager_ca_fingerprint, the lock (the manager's key and CA), the newest
// CRL this CAP was given, and the allowed CommonNames. It fills st.
func (a *Agent) verifyManager(raw [][]byte, st *sessionTrust) error {
	id, err := pki.ParseManagerChain(raw)
	if err != nil {
		return err
	}
	st.raw, st.id, st.cn = raw, id, id.Leaf.Subject.CommonName
	if !pki.HasManagerRole(id.Leaf) {
		return fmt.Errorf("manager certificate %q (issuer %q) is not a manager's: no serverAuth with capstan's manager role", st.cn, id.Leaf.Issuer.CommonName)
	}
	if c := a.credentials(); c != nil && len(c.CA) > 0 {
		if _, err := pki.VerifyChain(raw, c.CA, time.Now()); err != nil {
			return fmt.Errorf("manager certificate: %w", err)
		}
		st.ca = issuerIn(id.Leaf, c.CA)
	}
	if fp := a.cfg.ManagerCAFingerprint; fp != "" {
		if id.CA == nil || pki.Fingerprint(id.CA) != fp {
			return fmt.Errorf("manager %q: its chain has no CA with the pinned manager_ca_fingerprint %s", st.cn, fp)
		}
		if _, err := pki.VerifyChain(raw, []*x509.Certificate{id.CA}, time.Now()); err != nil {
			return fmt.Errorf("manager certificate: %w", err)
		}
		st.ca = id.CA
	}
	lock, locked, err := pki.ReadLock(a.cfg.StateDir)
	if err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	if locked {
		if err := lock.Check(id); err != nil {
			return err
		}
		if st.ca == nil && lock.CA != "" {
			st.ca = id.CA // Check proved it is the locked CA
		}
	}
	if st.ca != nil {
		crl, err := pki.ReadCRL(a.cfg.StateDir, st.ca)
		if err != nil {
			return fmt.Errorf("stored CRL: %w", err)
		}
		if err := pki.CheckNotRevoked(id.Leaf, crl); err != nil {
			return fmt.Errorf("manager certificate: %w", err)
		}
	}
	if allowed := a.cfg.ManagerCertificateCommonNames; len(allowed) > 0 && !slices.Contains(allowed, st.cn) {
		return fmt.Errorf("manager CommonName %q is not in manager_certificate_common_names", st.cn)
	}
	return nil
}

// issuerIn returns the certificate of cas that signed c.
func issuerIn(c *x509.Certificate, cas []*x509.Certificate) *x509.Certificate {
	for _, ca := range cas {
		if c.CheckSignatureFrom(ca) == nil {
			return ca
		}
	}
	return nil
}

// takeCRL stores the CRL a manager delivered in-band (a Certificate
// element of role CRL) when this session's trusted CA signed it and it is
// newer than the one kept, then refuses the manager if it lists it.
func (a *Agent) takeCRL(resp *wire.ControlMessage, st *sessionTrust) error {
	if st.ca == nil {
		return nil
	}
	for _, e := range resp.ElementsOf(wire.TypeVendorSpecificPayload) {
		c, ok := e.(*wire.Certificate)
		if !ok || c.Role != wire.CertificateCRL {
			continue
		}
		stored, err := pki.KeepNewestCRL(a.cfg.StateDir, c.DER, st.ca)
		if err != nil {
			a.warn("CRL from the manager refused", "err", err)
			continue
		}
		if stored {
			a.cfg.Logger.Debug("CRL stored", "ca", st.ca.Subject.CommonName)
		}
	}
	crl, err := pki.ReadCRL(a.cfg.StateDir, st.ca)
	if err != nil {
		return err
	}
	return pki.CheckNotRevoked(st.id.Leaf, crl)
}

// lockTo records the manager's key and CA after a verified connection
// when lock_to_manager is set and no lock exists yet, and completes a lock
// of an older capstan that named only the CommonName.
func (a *Agent) lockTo(st *sessionTrust) {
	if !a.cfg.LockToManager {
		return
	}
	old, locked, err := pki.ReadLock(a.cfg.StateDir)
	// A lock is completed (an older capstan's names only the CommonName)
	// or widened to the fleet when the locked manager itself now shows the
	// fleet role; it is never moved to another manager.
	widen := locked && !old.Fleet && old.ManagerKey == st.id.KeySHA256 && st.id.CA != nil && pki.HasFleetRole(st.id.Leaf)
	if err != nil || (locked && old.ManagerKey != "" && !widen) {
		return
	}
	if err := os.MkdirAll(a.cfg.StateDir, 0o700); err != nil {
		a.warn("cannot record the manager lock", "err", err)
		return
	}
	l := pki.Lock{CommonName: st.cn, ManagerKey: st.id.KeySHA256, LockedAt: time.Now().UTC()}
	if st.id.CA != nil {
		l.CA = pki.Fingerprint(st.id.CA)
		l.Fleet = pki.HasFleetRole(st.id.Leaf)
	}
	if err := pki.WriteLock(a.cfg.StateDir, l); err != nil {
		a.warn("cannot record the manager lock", "err", err)
		return
	}
	a.cfg.Logger.Info("locked to manager", "common_name", st.cn, "manager_key_sha256", l.ManagerKey, "ca_sha256", l.CA, "fleet", l.Fleet)
}

// certificateRequest is the element a CAP without a certificate adds to
// its Join Request under certificate=request.
func (a *Agent) certificateRequest() (*wire.CertificateRequest, error) {
	c := a.credentials()
	if a.cfg.Certificate != CertificateRequest || c == nil || c.Cert != nil {
		return nil, nil
	}
	csr, err := pki.NewCSR(c.Key, a.commonName())
	if err != nil {
		return nil, err
	}
	return &wire.CertificateRequest{CSR: csr, OneTimePassword: a.cfg.EnrollmentPassword}, nil
}

// enrolled stores the chain a Join Response to a CertificateRequest
// carried, after checking it against this session's manager.
func (a *Agent) enrolled(resp *wire.ControlMessage, st *sessionTrust) error {
	certs, err := issuedChain(resp)
	if err != nil {
		if rc, ok := resp.Element(wire.TypeResultCode).(*wire.ResultCodeElement); ok && !rc.Code.IsSuccess() && !hasEnrollment(resp) {
			return fmt.Errorf("join refused: result %d (%v)", uint32(rc.Code), rc.Code)
		}
		return err
	}
	if err := checkChain(certs, st.raw); err != nil {
		return err
	}
	creds, err := pki.SaveCredentials(a.cfg.StateDir, a.credentials().Key, certs)
	if err != nil {
		return fmt.Errorf("enrollment: %w", err)
	}
	a.setCreds(creds)
	a.cfg.Logger.Info("certificate received", "common_name", creds.Cert.Subject.CommonName,
		"serial", pki.SerialString(creds.Cert.SerialNumber), "issuer", creds.Cert.Issuer.CommonName, "not_after", creds.Cert.NotAfter)
	return errEnrolled
}

func hasEnrollment(m *wire.ControlMessage) bool {
	for _, e := range m.ElementsOf(wire.TypeVendorSpecificPayload) {
		if _, ok := e.(*wire.Enrollment); ok {
			return true
		}
	}
	return false
}

// checkChain verifies an issued chain (leaf, CA...): the leaf is from the
// CA, and so is the certificate of the manager that delivered it, so a CAP
// never stores a CA its manager could not prove it holds.
func checkChain(certs []*x509.Certificate, managerRaw [][]byte) error {
	if len(certs) < 2 {
		return errors.New("enrollment: the manager sent no CA with the certificate")
	}
	if _, err := pki.VerifyChain([][]byte{certs[0].Raw}, certs[1:], time.Now()); err != nil {
		return fmt.Errorf("enrollment: issued certificate: %w", err)
	}
	if _, err := pki.VerifyChain(managerRaw, certs[1:], time.Now()); err != nil {
		return fmt.Errorf("enrollment: the manager's own certificate is not from the CA it sent: %w", err)
	}
	return nil
}

// sessionTrust is what one session learned about the manager.
type sessionTrust struct {
	raw [][]byte // the manager's certificate chain
	cn  string
	id  pki.ManagerIdentity
	// ca is the manager's CA when this CAP trusts it by enrollment, pin or
	// lock (not on a first contact without them): CRLs must be its.
	ca *x509.Certificate
}

// dialConfig builds the DTLS client settings for one session.
func (a *Agent) dialConfig(st *sessionTrust) transport.ClientConfig {
	cc := transport.ClientConfig{VerifyPeer: func(raw [][]byte) error {
		return a.verifyManager(raw, st)
	}}
	if c := a.clientCertificate(); c != nil {
		cc.Certificate = c.TLS()
	}
	return cc
}

// renewal renews the certificate while the session runs: in-band after
// 2/3 of its lifetime, or through SCEP after 3/4, retrying until it
// succeeds or the session ends.
func (a *Agent) renewal(ctx context.Context, cc *transport.ControlConn, st *sessionTrust) {
	num, den := int64(renewNum), int64(renewDen)
	if a.cfg.Certificate == CertificateSCEP {
		num, den = scepRenewNum, scepRenewDen
	}
	for {
		c := a.credentials()
		if a.cfg.Certificate == CertificateNone || c == nil || c.Cert == nil {
			return
		}
		life := c.Cert.NotAfter.Sub(c.Cert.NotBefore)
		wait := time.Until(c.Cert.NotBefore.Add(life * time.Duration(num) / time.Duration(den)))
		select {
		case <-time.After(max(wait, 0)):
		case <-ctx.Done():
			return
		}
		var err error
		if a.cfg.Certificate == CertificateSCEP {
			err = a.enrollSCEP(ctx)
		} else {
			err = a.renewOnce(ctx, cc, st)
		}
		if err != nil {
			a.warn("certificate renewal failed", "err", err)
			select {
			case <-time.After(min(renewRetry, max(life/100, time.Second))):
			case <-ctx.Done():
				return
			}
		}
	}
}

func (a *Agent) renewOnce(ctx context.Context, cc *transport.ControlConn, st *sessionTrust) error {
	next, err := pki.NextKey(a.cfg.StateDir, pki.ECDSA)
	if err != nil {
		return err
	}
	csr, err := pki.NewCSR(next, a.commonName())
	if err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	resp, err := cc.Request(rctx, &wire.ControlMessage{Type: wire.WTPEventRequest, Elements: []wire.Element{
		&wire.CertificateRequest{CSR: csr}}})
	if err != nil {
		return err
	}
	certs, err := issuedChain(resp)
	if err != nil {
		return err
	}
	if err := checkChain(certs, st.raw); err != nil {
		return err
	}
	creds, err := pki.SaveCredentials(a.cfg.StateDir, next, certs)
	if err != nil {
		return err
	}
	a.setCreds(creds)
	a.cfg.Logger.Info("certificate renewed", "serial", pki.SerialString(creds.Cert.SerialNumber), "not_after", creds.Cert.NotAfter)
	return nil
}

// issuedChain reads the Enrollment and Certificate elements of a response.
func issuedChain(resp *wire.ControlMessage) ([]*x509.Certificate, error) {
	var en *wire.Enrollment
	var certs []*x509.Certificate
	for _, e := range resp.ElementsOf(wire.TypeVendorSpecificPayload) {
		switch v := e.(type) {
		case *wire.Enrollment:
			en = v
		case *wire.Certificate:
			if v.Role == wire.CertificateCRL {
				continue
			}
			c, err := x509.ParseCertificate(v.DER)
			if err != nil {
				return nil, fmt.Errorf("certificate from the manager: %w", err)
			}
			certs = append(certs, c)
		}
	}
	switch {
	case en == nil:
		return nil, errors.New("the manager answered without an Enrollment element")
	case en.State == wire.EnrollmentPending:
		return nil, fmt.Errorf("enrollment pending: %s", en.Message)
	case en.State != wire.EnrollmentIssued:
		return nil, fmt.Errorf("enrollment refused: %s", en.Message)
	}
	return certs, nil
}
