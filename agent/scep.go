package agent

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/capstan-wifi/capstan/pki"
	"github.com/capstan-wifi/capstan/pki/scep"
)

// enrollSCEP gets (or renews, past 3/4 of the lifetime) this CAP's
// certificate from the SCEP server at scep_url. It does nothing when the
// certificate is fine.
func (a *Agent) enrollSCEP(ctx context.Context) error {
	c := a.clientCertificate()
	if c.Cert != nil && !pki.DueForRenewal(c.Cert, scepRenewNum, scepRenewDen, time.Now()) {
		return nil
	}
	cl := &scep.Client{URL: a.cfg.ScepURL, CAFingerprint: a.cfg.ManagerCAFingerprint}
	req := scep.Request{Key: c.Key, CommonName: a.commonName(), Challenge: a.cfg.EnrollmentPassword}
	if c.Cert != nil {
		next, err := pki.NextKey(a.cfg.StateDir, pki.RSA)
		if err != nil {
			return err
		}
		req.Key, req.Current, req.CurrentKey = next, c.Cert, c.Key
	}
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	res, err := cl.Enroll(sctx, req)
	if errors.Is(err, scep.ErrPending) {
		return fmt.Errorf("enrollment pending: %w", err)
	}
	if err != nil {
		return err
	}
	creds, err := pki.SaveCredentials(a.cfg.StateDir, req.Key, append([]*x509.Certificate{res.Cert}, res.CA...))
	if err != nil {
		return err
	}
	a.setCreds(creds)
	a.cfg.Logger.Info("certificate received by SCEP", "common_name", res.Cert.Subject.CommonName,
		"serial", pki.SerialString(res.Cert.SerialNumber), "issuer", res.Cert.Issuer.CommonName,
		"cipher", scep.CipherName(res.Algorithms.Cipher), "digest", scep.DigestName(res.Algorithms.Digest), "renewal", req.Current != nil)
	return nil
}
