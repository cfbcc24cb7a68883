package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/capstan-wifi/capstan/pki"
	"github.com/capstan-wifi/capstan/pki/scepenroll"
)

// enrollSCEP gets (or renews, past 3/4 of the lifetime) this CAP's
// certificate from the SCEP server at scep_url, through capstan-agent-scep
// (Config.SCEP), which stores it in the state directory; the agent then
// loads it. It does nothing when the certificate is fine.
func (a *Agent) enrollSCEP(ctx context.Context) error {
	c := a.clientCertificate()
	if c.Cert != nil && !pki.DueForRenewal(c.Cert, scepRenewNum, scepRenewDen, time.Now()) {
		return nil
	}
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	res, err := a.cfg.SCEP(sctx, scepenroll.Request{URL: a.cfg.ScepURL, CAFingerprint: a.cfg.ManagerCAFingerprint,
		CommonName: a.commonName(), Challenge: a.cfg.EnrollmentPassword, StateDir: a.cfg.StateDir})
	if errors.Is(err, scepenroll.ErrPending) {
		return fmt.Errorf("enrollment pending: %w", err)
	}
	if err != nil {
		return err
	}
	creds, err := pki.LoadCredentials(a.cfg.StateDir, pki.RSA)
	if err != nil {
		return fmt.Errorf("credentials after SCEP: %w", err)
	}
	if creds.Cert == nil || pki.SerialString(creds.Cert.SerialNumber) != res.Serial {
		return fmt.Errorf("SCEP: %s reported serial %s, but the state directory holds another certificate", scepenroll.HelperName, res.Serial)
	}
	a.setCreds(creds)
	a.cfg.Logger.Info("certificate received by SCEP", "common_name", res.CommonName, "serial", res.Serial,
		"issuer", res.Issuer, "cipher", res.Cipher, "digest", res.Digest, "renewal", res.Renewal)
	return nil
}
