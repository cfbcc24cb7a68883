package pki

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"sync"
	"time"
)

// WebLifetime is how long the web console's certificate is valid; it is
// made again after two thirds of it, or at once when its names change.
const WebLifetime = 397 * 24 * time.Hour

// WebCertificate returns the web console's HTTPS certificate for hosts
// (DNS names and IP addresses a browser will use), issued by the
// manager's CA: the one in the store if it names every host, is the CA's,
// unrevoked and not due for renewal, else a new one with a fresh key. It
// carries serverAuth and no capstan role, so that it can never stand in
// for the manager towards a CAP.
func (a *Authority) WebCertificate(hosts []string) (tls.Certificate, error) {
	webMu.Lock()
	defer webMu.Unlock()
	name := "capstan-web-" + a.cfg.BaseMAC
	chain, key, err := a.loadNamed(name)
	if err == nil && chain[0].CheckSignatureFrom(a.ca.Cert) == nil && !a.IsRevoked(chain[0].SerialNumber) &&
		!DueForRenewal(chain[0], 2, 3, a.cfg.Now()) && coversAll(chain[0], hosts) {
		return tlsPair(chain, key), nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return tls.Certificate{}, fmt.Errorf("certificate %s: %w", name, err)
	}
	if key, err = GenerateKey(a.cfg.KeyType); err != nil {
		return tls.Certificate{}, err
	}
	o := IssueOptions{CommonName: name, Lifetime: WebLifetime, Usage: UsageWeb, Now: a.cfg.Now()}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			o.IPAddresses = append(o.IPAddresses, ip)
		} else {
			o.DNSNames = append(o.DNSNames, h)
		}
	}
	c, err := a.ca.Issue(key.Public(), o)
	if err != nil {
		return tls.Certificate{}, err
	}
	a.mu.Lock()
	err = a.recordLocked(c, RoleWeb, RoleWeb)
	a.mu.Unlock()
	if err != nil {
		return tls.Certificate{}, err
	}
	chain = []*x509.Certificate{c, a.ca.Cert}
	if err := a.storeNamed(name, chain, key); err != nil {
		return tls.Certificate{}, err
	}
	return tlsPair(chain, key), nil
}

// webMu makes one web certificate at a time.
var webMu sync.Mutex

func coversAll(c *x509.Certificate, hosts []string) bool {
	for _, h := range hosts {
		if c.VerifyHostname(h) != nil {
			return false
		}
	}
	return true
}

func tlsPair(chain []*x509.Certificate, key crypto.Signer) tls.Certificate {
	t := tls.Certificate{PrivateKey: key, Leaf: chain[0]}
	for _, x := range chain {
		t.Certificate = append(t.Certificate, x.Raw)
	}
	return t
}

// NamedTLSCertificate returns a certificate of the store (imported with
// its key) for an HTTPS server: it must have its key, be valid now and
// allow serverAuth.
func (a *Authority) NamedTLSCertificate(name string) (tls.Certificate, error) {
	chain, key, err := a.loadNamed(name)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("certificate %s: %w", name, err)
	}
	if key == nil {
		return tls.Certificate{}, fmt.Errorf("certificate %s: no private key in the store", name)
	}
	leaf, now := chain[0], a.cfg.Now()
	if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		return tls.Certificate{}, fmt.Errorf("certificate %s: not valid now (%s to %s)", name, leaf.NotBefore.Format(time.RFC3339), leaf.NotAfter.Format(time.RFC3339))
	}
	if len(leaf.ExtKeyUsage) > 0 && !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageServerAuth) && !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageAny) {
		return tls.Certificate{}, fmt.Errorf("certificate %s: not for a server (no serverAuth)", name)
	}
	return tlsPair(chain, key), nil
}
