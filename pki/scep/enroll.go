package scep

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/capstan-wifi/capstan/pki"
	"github.com/capstan-wifi/capstan/pki/scepenroll"
)

// EnrollStateDir is the SCEP enrollment of capstan-agent-scep: it enrolls
// (or, when r.StateDir holds a certificate, renews with a new key) the CAP
// whose credentials are in r.StateDir and stores what is issued there, as
// the agent's own enrollment does.
func EnrollStateDir(ctx context.Context, r scepenroll.Request) (scepenroll.Result, error) {
	c, err := pki.LoadCredentials(r.StateDir, pki.RSA)
	if err != nil {
		return scepenroll.Result{}, err
	}
	cl := &Client{URL: r.URL, CAFingerprint: r.CAFingerprint}
	req := Request{Key: c.Key, CommonName: r.CommonName, Challenge: r.Challenge}
	if c.Cert != nil {
		next, err := pki.NextKey(r.StateDir, pki.RSA)
		if err != nil {
			return scepenroll.Result{}, err
		}
		req.Key, req.Current, req.CurrentKey = next, c.Cert, c.Key
	}
	res, err := cl.Enroll(ctx, req)
	if errors.Is(err, ErrPending) {
		return scepenroll.Result{}, fmt.Errorf("%w: %v", scepenroll.ErrPending, err)
	}
	if err != nil {
		return scepenroll.Result{}, err
	}
	if _, err := pki.SaveCredentials(r.StateDir, req.Key, append([]*x509.Certificate{res.Cert}, res.CA...)); err != nil {
		return scepenroll.Result{}, err
	}
	return scepenroll.Result{
		CommonName: res.Cert.Subject.CommonName, Serial: pki.SerialString(res.Cert.SerialNumber),
		Issuer: res.Cert.Issuer.CommonName, Cipher: CipherName(res.Algorithms.Cipher),
		Digest: DigestName(res.Algorithms.Digest), Renewal: req.Current != nil,
	}, nil
}
