package pki

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// Formats of exported and imported certificates.
const (
	FormatPEM    = "pem"
	FormatPKCS12 = "pkcs12"
)

// CertInfo describes one certificate of the store for print.
type CertInfo struct {
	Name       string    `json:"name"`
	Kind       string    `json:"kind"` // ca, manager, scep-ra, cap, imported
	CommonName string    `json:"common_name"`
	Issuer     string    `json:"issuer"`
	Serial     string    `json:"serial"`
	NotBefore  time.Time `json:"not_before"`
	NotAfter   time.Time `json:"not_after"`
	Status     string    `json:"status"` // valid, expired, revoked, superseded, trusted
	// Detail says more about the status: "superseded by serial …, accepted
	// until …" or "refused since …".
	Detail      string `json:"detail,omitempty"`
	Fingerprint string `json:"fingerprint"`
	PrivateKey  bool   `json:"private_key"`
	Via         string `json:"via,omitempty"`
}

// Certificates lists the named certificates, then the issued ones.
func (a *Authority) Certificates() ([]CertInfo, error) {
	now := a.cfg.Now()
	entries, err := os.ReadDir(filepath.Join(a.cfg.Dir, "certs"))
	if err != nil {
		return nil, err
	}
	var out []CertInfo
	named := map[string]bool{}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".pem")
		if !ok {
			continue
		}
		chain, err := ReadCertsFile(a.certPath(name))
		if err != nil {
			return nil, err
		}
		c := chain[0]
		kind := "imported"
		switch name {
		case a.caName:
			kind = "ca"
		case a.mgrName:
			kind = "manager"
		case "capstan-SCEP-RA-" + a.cfg.BaseMAC:
			kind = "scep-ra"
		}
		_, keyErr := os.Stat(a.keyPath(name))
		st := status(c.NotAfter, nil, now)
		if c.IsCA && slices.ContainsFunc(a.trusted, c.Equal) {
			st = "trusted"
		}
		named[SerialString(c.SerialNumber)] = true
		out = append(out, CertInfo{Name: name, Kind: kind, CommonName: c.Subject.CommonName, Issuer: c.Issuer.CommonName,
			Serial: SerialString(c.SerialNumber), NotBefore: c.NotBefore, NotAfter: c.NotAfter,
			Status: st, Fingerprint: Fingerprint(c), PrivateKey: keyErr == nil})
	}
	for _, r := range a.IssuedCertificates() {
		if named[r.Serial] {
			continue
		}
		st, detail := status(r.NotAfter, r.RevokedAt, now), ""
		if st == "valid" && r.SupersededAt != nil {
			until := r.SupersededAt.Add(a.cfg.SupersedeGrace)
			st, detail = "superseded", fmt.Sprintf("superseded by serial %s, accepted until %s", r.SupersededBy, until.UTC().Format(time.RFC3339))
			if now.After(until) {
				detail = fmt.Sprintf("superseded by serial %s, refused since %s", r.SupersededBy, until.UTC().Format(time.RFC3339))
			}
		}
		kind := r.Role
		if r.IsCAP() {
			kind = RoleCAP
		}
		out = append(out, CertInfo{Name: r.CommonName, Kind: kind, CommonName: r.CommonName, Issuer: a.ca.Cert.Subject.CommonName,
			Serial: r.Serial, NotBefore: r.NotBefore, NotAfter: r.NotAfter, Status: st, Detail: detail, Fingerprint: r.Fingerprint, Via: r.Via})
	}
	for _, r := range a.revocations() {
		out = append(out, CertInfo{Name: r.Serial, Kind: "unrecorded", Issuer: r.Issuer, Serial: r.Serial, Status: "revoked",
			Detail: "revoked at " + r.RevokedAt.UTC().Format(time.RFC3339)})
	}
	return out, nil
}

// revocations lists the revocations of certificates without a record.
func (a *Authority) revocations() []Revocation {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.issued.Revoked)
}

func status(notAfter time.Time, revoked *time.Time, now time.Time) string {
	switch {
	case revoked != nil:
		return "revoked"
	case now.After(notAfter):
		return "expired"
	}
	return "valid"
}

// lookup finds a certificate by store name, serial or CommonName (the
// latest issued), with its key when the store has it.
func (a *Authority) lookup(ref string) ([]*x509.Certificate, crypto.Signer, error) {
	if CheckName(ref) == nil {
		if chain, err := ReadCertsFile(a.certPath(ref)); err == nil {
			key, err := ReadKeyFile(a.keyPath(ref))
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, nil, err
			}
			return chain, key, nil
		}
	}
	issued := a.IssuedCertificates()
	for _, r := range slices.Backward(issued) {
		if strings.EqualFold(r.Serial, strings.TrimPrefix(ref, "0x")) || r.CommonName == ref {
			certs, err := ParseCertsPEM([]byte(r.PEM))
			if err != nil {
				return nil, nil, err
			}
			return []*x509.Certificate{certs[0], a.ca.Cert}, nil, nil
		}
	}
	return nil, nil, fmt.Errorf("certificate %q: no such name, serial or CommonName", ref)
}

// Export encodes a certificate with its chain, and its private key when
// withKey is set (the store must hold it). PKCS#12 needs a passphrase when
// it carries a key.
func (a *Authority) Export(ref, format, passphrase string, withKey bool) ([]byte, error) {
	chain, key, err := a.lookup(ref)
	if err != nil {
		return nil, err
	}
	if withKey && key == nil {
		return nil, fmt.Errorf("certificate %q: the manager does not hold its private key", ref)
	}
	switch format {
	case FormatPEM, "":
		out := EncodeCertsPEM(chain...)
		if withKey {
			k, err := EncodeKeyPEM(key)
			if err != nil {
				return nil, err
			}
			out = append(k, out...)
		}
		return out, nil
	case FormatPKCS12:
		if !withKey {
			return pkcs12.Modern.EncodeTrustStore(chain, passphrase)
		}
		if passphrase == "" {
			return nil, errors.New("export: a PKCS#12 file with a private key needs a passphrase")
		}
		return pkcs12.Modern.Encode(key, chain[0], chain[1:], passphrase)
	}
	return nil, fmt.Errorf("export format %q: want pem or pkcs12", format)
}

// Import stores a certificate (chain) and optional key under name, from PEM
// or PKCS#12 (passphrase) data. It never overwrites.
func (a *Authority) Import(name string, data []byte, passphrase string) (CertInfo, error) {
	if err := CheckName(name); err != nil {
		return CertInfo{}, err
	}
	if _, err := os.Stat(a.certPath(name)); err == nil {
		return CertInfo{}, fmt.Errorf("certificate %q already exists", name)
	}
	var chain []*x509.Certificate
	var key crypto.Signer
	if bytes.Contains(data, []byte("-----BEGIN")) {
		var err error
		if chain, err = ParseCertsPEM(data); err != nil {
			return CertInfo{}, err
		}
		if bytes.Contains(data, []byte("PRIVATE KEY-----")) {
			if key, err = ParseKeyPEM(data); err != nil {
				return CertInfo{}, err
			}
		}
	} else {
		k, c, cas, err := pkcs12.DecodeChain(data, passphrase)
		if err != nil {
			if certs, terr := pkcs12.DecodeTrustStore(data, passphrase); terr == nil && len(certs) > 0 {
				chain = certs
			} else {
				return CertInfo{}, fmt.Errorf("PKCS#12: %w", err)
			}
		} else {
			s, ok := k.(crypto.Signer)
			if !ok {
				return CertInfo{}, fmt.Errorf("PKCS#12: unsupported key type %T", k)
			}
			key, chain = s, append([]*x509.Certificate{c}, cas...)
		}
	}
	if key != nil && !SamePublicKey(chain[0], key) {
		return CertInfo{}, errors.New("import: the private key does not match the certificate")
	}
	if err := a.storeNamed(name, chain, key); err != nil {
		return CertInfo{}, err
	}
	c := chain[0]
	return CertInfo{Name: name, Kind: "imported", CommonName: c.Subject.CommonName, Issuer: c.Issuer.CommonName,
		Serial: SerialString(c.SerialNumber), NotBefore: c.NotBefore, NotAfter: c.NotAfter,
		Status: status(c.NotAfter, nil, a.cfg.Now()), Fingerprint: Fingerprint(c), PrivateKey: key != nil}, nil
}
