package controlplane

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/pki"
)

// Authority is the PKI the control plane consults; *pki.Authority is one.
type Authority interface {
	// VerifyCAP checks a CAP's DTLS certificate chain.
	VerifyCAP(raw [][]byte) (*x509.Certificate, error)
	// Enroll decides a certificate request from a CAP without a certificate.
	Enroll(pki.EnrollRequest) ([]*x509.Certificate, error)
	// Renew issues a new certificate to a CAP authenticated as cn.
	Renew(csr []byte, cn string) ([]*x509.Certificate, error)
	// CRL is the CA's current revocation list (DER), given to every CAP
	// at Join so that it refuses revoked managers.
	CRL() ([]byte, error)
}

// maxInbandCRL bounds the CRL sent in a Join Response: one vendor element
// (its length field is 16 bits, less the element's own header).
const maxInbandCRL = 60000

// crlElement is the CA's CRL as a Certificate element of role CRL, nil if
// there is none to send.
func (c *session) crlElement() wire.Element {
	if c.srv.cfg.Authority == nil {
		return nil
	}
	der, err := c.srv.cfg.Authority.CRL()
	if err != nil || len(der) > maxInbandCRL {
		c.log.Warn("CRL not sent in-band", "err", err, "bytes", len(der))
		return nil
	}
	return &wire.Certificate{Role: wire.CertificateCRL, DER: der}
}

// checkIdentity refuses a CAP whose certificate names another base MAC
// than the one it joins with: a certificate is one CAP's, not a pass for
// any MAC.
func (c *session) checkIdentity(mac net.HardwareAddr) error {
	if c.cn == "" || !strings.HasPrefix(c.cn, "CAP-") {
		return nil
	}
	if want := pki.CAPCommonName(mac); c.cn != want {
		return fmt.Errorf("certificate %q joins with base MAC %s (%s)", c.cn, mac, want)
	}
	return nil
}

// errEnrolled ends an enrollment session once the certificate is delivered:
// the CAP comes back with it in a new DTLS session.
var errEnrolled = errors.New("certificate issued; the CAP reconnects with it")

// enroll answers a Join Request that carries a CertificateRequest from a
// CAP without a certificate.
func (c *session) enroll(req *wire.ControlMessage, mac net.HardwareAddr) error {
	csr := certificateRequest(req)
	if c.srv.cfg.Authority == nil {
		return c.refuseEnrollment(req, wire.EnrollmentRefused, "this manager does not issue certificates")
	}
	if !c.srv.enrollments.Allow(hostOf(c.addr)) {
		c.srv.metrics.limited.WithLabelValues("enrollment").Inc()
		c.warn.Warn("enroll-rate", "enrollment refused: too many requests from this address", "per_second", EnrollmentsPerSource)
		return c.refuseEnrollment(req, wire.EnrollmentRefused, "too many enrollment requests from this address; try again later")
	}
	chain, err := c.srv.cfg.Authority.Enroll(pki.EnrollRequest{
		CSR: csr.CSR, Password: csr.OneTimePassword, Address: c.addr, Via: "in-band", CommonName: pki.CAPCommonName(mac),
	})
	switch {
	case errors.Is(err, pki.ErrPending):
		c.log.Info("enrollment waiting for approval", "common_name", pki.CAPCommonName(mac), "detail", err)
		return c.refuseEnrollment(req, wire.EnrollmentPending, err.Error())
	case err != nil:
		c.log.Warn("enrollment refused", "common_name", pki.CAPCommonName(mac), "err", err)
		return c.refuseEnrollment(req, wire.EnrollmentRefused, err.Error())
	}
	resp := &wire.ControlMessage{Elements: []wire.Element{
		&wire.ResultCodeElement{Code: wire.ResultSuccess}, c.srv.acDescriptor(), &wire.ACName{Name: c.srv.cfg.Name},
		&wire.Enrollment{State: wire.EnrollmentIssued, Message: "certificate issued; reconnect with it"},
	}}
	resp.Elements = append(resp.Elements, certElements(chain)...)
	c.log.Info("certificate issued", "common_name", chain[0].Subject.CommonName,
		"serial", pki.SerialString(chain[0].SerialNumber), "not_after", chain[0].NotAfter)
	if err := c.cc.Respond(req, resp); err != nil {
		return err
	}
	return errEnrolled
}

func certElements(chain []*x509.Certificate) []wire.Element {
	var out []wire.Element
	for i, crt := range chain {
		role := uint8(wire.CertificateCA)
		if i == 0 {
			role = wire.CertificateLeaf
		}
		out = append(out, &wire.Certificate{Role: role, DER: crt.Raw})
	}
	return out
}

// refuseEnrollment answers a Join Request with the enrollment's outcome:
// Result Code 3 (unspecified) while pending, 5 (unknown source) otherwise.
func (c *session) refuseEnrollment(req *wire.ControlMessage, state uint8, msg string) error {
	code := wire.ResultJoinFailureUnknownSource
	if state == wire.EnrollmentPending {
		code = wire.ResultJoinFailureUnspecified
	}
	resp := resultOnly(code)
	resp.Elements = append(resp.Elements, c.srv.acDescriptor(), &wire.ACName{Name: c.srv.cfg.Name},
		&wire.Enrollment{State: state, Message: msg})
	_ = c.cc.Respond(req, resp)
	return fmt.Errorf("enrollment: %s", msg)
}

// renew answers a WTP Event Request carrying a CertificateRequest from a
// CAP authenticated by its certificate: in-band renewal, no policy.
func (c *session) renew(m *wire.ControlMessage, cr *wire.CertificateRequest) {
	resp := &wire.ControlMessage{}
	switch {
	case c.srv.cfg.Authority == nil || c.cn == "":
		resp.Elements = append(resp.Elements, &wire.Enrollment{State: wire.EnrollmentRefused, Message: "renewal needs a session authenticated by a certificate from this manager"})
	default:
		chain, err := c.srv.cfg.Authority.Renew(cr.CSR, c.cn)
		if err != nil {
			c.log.Warn("renewal refused", "err", err)
			resp.Elements = append(resp.Elements, &wire.Enrollment{State: wire.EnrollmentRefused, Message: err.Error()})
			break
		}
		c.log.Info("certificate renewed", "serial", pki.SerialString(chain[0].SerialNumber), "not_after", chain[0].NotAfter)
		resp.Elements = append(resp.Elements, &wire.Enrollment{State: wire.EnrollmentIssued, Message: "certificate renewed"})
		resp.Elements = append(resp.Elements, certElements(chain)...)
	}
	_ = c.cc.Respond(m, resp)
}

// certificateRequest returns the CertificateRequest element of m, if any.
func certificateRequest(m *wire.ControlMessage) *wire.CertificateRequest {
	for _, e := range m.ElementsOf(wire.TypeVendorSpecificPayload) {
		if r, ok := e.(*wire.CertificateRequest); ok {
			return r
		}
	}
	return nil
}

// Disconnect closes the sessions of CAPs whose certificate serial is in
// serials (after a revocation) and returns how many it closed.
func (s *Server) Disconnect(serials []string) int {
	s.mu.Lock()
	var victims []*session
	for _, c := range s.caps {
		if slices.Contains(serials, c.serial) {
			victims = append(victims, c)
		}
	}
	s.mu.Unlock()
	for _, c := range victims {
		c.log.Warn("disconnecting CAP: certificate revoked", "serial", c.serial)
		c.close()
	}
	return len(victims)
}

// EnrollmentsPerSource is how many enrollment requests a second one source
// address may make (bursts of 10 times that): each may write the PKI's
// records, and an honest CAP asks once, then polls every few seconds.
const EnrollmentsPerSource = 2

// hostOf is the address part of a "host:port" peer name.
func hostOf(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}
