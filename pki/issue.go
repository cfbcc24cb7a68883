package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net"
	"slices"
	"strings"
	"time"
)

// Default lifetimes. A CAP certificate renews after 2/3 of its lifetime
// in-band (3/4 through SCEP), so a year leaves months of margin for a CAP
// that is offline when renewal comes due.
const (
	CALifetime      = 10 * 365 * 24 * time.Hour
	ManagerLifetime = 2 * 365 * 24 * time.Hour
	CAPLifetime     = 365 * 24 * time.Hour
	// clockSkew back-dates NotBefore so an AP whose clock is a little behind
	// (no RTC, NTP not yet synced) accepts a certificate issued just now; at
	// most a tenth of the lifetime, so renewal points stay meaningful.
	clockSkew = 5 * time.Minute
)

// Usage is what an issued certificate is for.
type Usage int

// Usages.
const (
	UsageCAP     Usage = iota // DTLS client of a CAP: clientAuth and the CAP role, never serverAuth
	UsageManager              // DTLS server of a manager: serverAuth and the manager role
	UsageRA                   // SCEP registration authority: signs and decrypts, no TLS role
	UsageWeb                  // HTTPS of the web console: serverAuth and its names, no capstan role
	// UsageFleetManager is UsageManager of a manager that shares its fleet
	// (CA, configuration, CAPs) with others: a CAP locked to one manager of
	// the fleet accepts the others.
	UsageFleetManager
)

// Role markers, extended key usages under capstan's enterprise number
// (wire.EnterpriseNumber, RFC 5612's 32473 until one is registered). A CAP
// accepts as its manager only a certificate with OIDManagerRole; the
// manager accepts as a CAP only one with clientAuth and without it.
var (
	OIDManagerRole = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 32473, 1, 1}
	OIDCAPRole     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 32473, 1, 2}
	OIDFleetRole   = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 32473, 1, 3}
)

// CA is an issuing certificate authority: its certificate and key.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// NewSerial returns a random positive 127-bit serial number (RFC 5280
// §4.1.2.2 allows up to 20 octets; randomness defeats collision attacks).
func NewSerial() (*big.Int, error) {
	s, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("serial: %w", err)
	}
	return s.Add(s, big.NewInt(1)), nil
}

// SerialString is the canonical text of a serial number: lower-case hex.
func SerialString(s *big.Int) string { return s.Text(16) }

// Fingerprint is the SHA-256 of a certificate's DER, in hex.
func Fingerprint(c *x509.Certificate) string {
	h := sha256.Sum256(c.Raw)
	return hex.EncodeToString(h[:])
}

// ParseFingerprint reads a SHA-256 fingerprint as openssl prints it
// (AB:CD:…) or as capstan does (abcd…), returning capstan's form.
func ParseFingerprint(s string) (string, error) {
	h := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), ":", ""))
	if b, err := hex.DecodeString(h); err != nil || len(b) != sha256.Size {
		return "", fmt.Errorf("%q is not a SHA-256 fingerprint (64 hex digits, colons allowed)", s)
	}
	return h, nil
}

// KeyFingerprint is the SHA-256 of a public key's SubjectPublicKeyInfo.
func KeyFingerprint(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(der)
	return hex.EncodeToString(h[:]), nil
}

// NewCA makes a self-signed CA certificate for cn with key.
func NewCA(cn string, key crypto.Signer, lifetime time.Duration, now time.Time) (*CA, error) {
	serial, err := NewSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              now.Add(lifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: c, Key: key}, nil
}

// IssueOptions are the variable parts of an issued certificate.
type IssueOptions struct {
	CommonName string
	Lifetime   time.Duration
	Usage      Usage
	Now        time.Time
	CRLURL     string // CRL distribution point, when the manager serves one
	// DNSNames and IPAddresses are the subject alternative names a browser
	// checks (UsageWeb).
	DNSNames    []string
	IPAddresses []net.IP
}

// Issue signs a certificate for pub.
func (ca *CA) Issue(pub crypto.PublicKey, o IssueOptions) (*x509.Certificate, error) {
	if o.CommonName == "" {
		return nil, errors.New("issue: empty CommonName")
	}
	if err := CheckPublicKey(pub); err != nil {
		return nil, err
	}
	serial, err := NewSerial()
	if err != nil {
		return nil, err
	}
	notAfter := o.Now.Add(o.Lifetime)
	if notAfter.After(ca.Cert.NotAfter) {
		notAfter = ca.Cert.NotAfter // never outlive the issuer
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: o.CommonName},
		NotBefore:    o.Now.Add(-min(clockSkew, o.Lifetime/10)),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	if _, ok := pub.(*rsa.PublicKey); ok {
		tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
	}
	switch o.Usage {
	case UsageCAP:
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		tmpl.UnknownExtKeyUsage = []asn1.ObjectIdentifier{OIDCAPRole}
	case UsageManager:
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.UnknownExtKeyUsage = []asn1.ObjectIdentifier{OIDManagerRole}
	case UsageFleetManager:
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.UnknownExtKeyUsage = []asn1.ObjectIdentifier{OIDManagerRole, OIDFleetRole}
	case UsageRA:
		tmpl.KeyUsage |= x509.KeyUsageDataEncipherment
	case UsageWeb:
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.DNSNames, tmpl.IPAddresses = o.DNSNames, o.IPAddresses
	}
	if o.CRLURL != "" {
		tmpl.CRLDistributionPoints = []string{o.CRLURL}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, pub, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("issue %s: %w", o.CommonName, err)
	}
	return x509.ParseCertificate(der)
}

// CheckPublicKey accepts the keys a CAP may hold: ECDSA P-256/P-384,
// RSA of 2048 bits or more, Ed25519.
func CheckPublicKey(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if n := k.Curve.Params().BitSize; n != 256 && n != 384 {
			return fmt.Errorf("ECDSA curve of %d bits: want P-256 or P-384", n)
		}
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return fmt.Errorf("RSA key of %d bits: want 2048 or more", k.N.BitLen())
		}
	case ed25519.PublicKey:
	default:
		return fmt.Errorf("unsupported public key type %T", pub)
	}
	return nil
}

// ErrBadCSR is a certificate request that does not parse or whose
// self-signature does not verify.
var ErrBadCSR = errors.New("malformed certificate request")

// ParseCSR parses a DER PKCS#10 request and checks its self-signature and key.
func ParseCSR(der []byte) (*x509.CertificateRequest, error) {
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCSR, err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("%w: signature: %v", ErrBadCSR, err)
	}
	if csr.Subject.CommonName == "" {
		return nil, errors.New("certificate request has no CommonName")
	}
	if err := CheckPublicKey(csr.PublicKey); err != nil {
		return nil, fmt.Errorf("certificate request: %w", err)
	}
	return csr, nil
}

// NewCSR makes a DER PKCS#10 request for cn signed by key.
func NewCSR(key crypto.Signer, cn string) ([]byte, error) {
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn}}, key)
	if err != nil {
		return nil, fmt.Errorf("certificate request: %w", err)
	}
	return der, nil
}

// validCAPName is the only CommonName capstan issues to a CAP: CAP- and a
// 48- or 64-bit base MAC in upper-case hex, ^CAP-([0-9A-F]{12}|[0-9A-F]{16})$.
func validCAPName(cn string) bool {
	hex, ok := strings.CutPrefix(cn, "CAP-")
	if !ok || len(hex) != 12 && len(hex) != 16 {
		return false
	}
	for i := 0; i < len(hex); i++ {
		if c := hex[i]; !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// CheckCAPName accepts CAP-<base MAC> names and nothing else, so no
// enrollment path can issue a manager's, the RA's, the CA's or any other
// name, nor an unbounded one.
func CheckCAPName(cn string) error {
	if !validCAPName(cn) {
		if len(cn) > 40 {
			cn = cn[:40] + "…"
		}
		return fmt.Errorf("CommonName %q: capstan issues only CAP-<base MAC> (12 or 16 upper-case hex digits)", cn)
	}
	return nil
}

// HasManagerRole reports whether c is marked for a manager: serverAuth
// and OIDManagerRole.
func HasManagerRole(c *x509.Certificate) bool {
	return slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageServerAuth) &&
		slices.ContainsFunc(c.UnknownExtKeyUsage, OIDManagerRole.Equal)
}

// HasFleetRole reports whether c is the manager certificate of a manager
// that shares its fleet with others.
func HasFleetRole(c *x509.Certificate) bool {
	return HasManagerRole(c) && slices.ContainsFunc(c.UnknownExtKeyUsage, OIDFleetRole.Equal)
}

// CheckCAPRole refuses a certificate that is not a CAP's: a CA, one
// without clientAuth (the RA's), one with the manager role.
func CheckCAPRole(c *x509.Certificate) error {
	switch {
	case c.IsCA:
		return fmt.Errorf("%w: %q is a CA certificate", ErrWrongRole, c.Subject.CommonName)
	case slices.ContainsFunc(c.UnknownExtKeyUsage, OIDManagerRole.Equal):
		return fmt.Errorf("%w: %q is a manager certificate", ErrWrongRole, c.Subject.CommonName)
	case !slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageClientAuth):
		return fmt.Errorf("%w: %q is not for TLS clients (no clientAuth)", ErrWrongRole, c.Subject.CommonName)
	}
	return nil
}

// CAPCommonName is the CommonName of a CAP with this base MAC:
// CAP-<base MAC in upper-case hex> (CAPsMAN's naming).
func CAPCommonName(mac net.HardwareAddr) string {
	return "CAP-" + strings.ToUpper(hex.EncodeToString(mac))
}
