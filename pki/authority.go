package pki

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// AuthorityConfig configures a manager's Authority.
type AuthorityConfig struct {
	// Dir holds the named certificates (certs/NAME.pem, private/NAME.key,
	// 0600), issued.json with its journal issued.log, and enrollment.json.
	Dir string
	// BaseMAC names the automatic certificates: capstan-CA-<BaseMAC> and
	// capstan-<BaseMAC>.
	BaseMAC string
	// KeyType of generated CA and manager keys (default ECDSA P-256).
	KeyType KeyType
	// CA and Certificate are "auto" (generated on first start) or the name
	// of an imported certificate.
	CA, Certificate string
	// CAPLifetime of certificates issued to CAPs (default one year).
	CAPLifetime time.Duration
	// Policy decides enrollment of CAPs without a certificate (default
	// approval: a new CAP is pending until an administrator adopts it).
	Policy Policy
	// PreApproved are base MACs or shell patterns (path.Match: 02:00:00:*)
	// of CAPs adopted without asking.
	PreApproved []string
	// Trusted names imported CA certificates (no key needed) whose CAP
	// certificates are accepted besides the CA's own.
	Trusted []string
	// SupersedeGrace is how long a renewed certificate's predecessor stays
	// valid (default DefaultSupersedeGrace).
	SupersedeGrace time.Duration
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
	// Fleet, when set, holds the CA (with CA "auto") and the records that
	// every manager of the fleet shares; nil keeps them in Dir.
	Fleet Fleet
}

// Auto names the automatically generated certificates.
const Auto = "auto"

// validName is ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$, written out so that
// the agent, which links this package, carries no regexp engine.
func validName(name string) bool {
	if len(name) == 0 || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '_' && c != '-') {
			return false
		}
	}
	return true
}

// CheckName accepts certificate names usable as file names.
func CheckName(name string) error {
	if !validName(name) || name == Auto {
		return fmt.Errorf("certificate name %q: want 1-64 letters, digits, '.', '_' or '-', not %q", name, Auto)
	}
	return nil
}

// Authority is the manager's PKI: its CA, its own certificate, the
// certificates it issued with their revocations, and CAP enrollment. It is
// safe for concurrent use; every change is written to Dir atomically
// before it takes effect.
type Authority struct {
	cfg     AuthorityConfig
	ca      *CA
	caName  string
	manager *x509.Certificate
	mgrKey  crypto.Signer
	mgrName string

	trusted []*x509.Certificate // outside CAs, for verification only

	mu       sync.Mutex
	issued   issuedFile
	bySerial map[string]int   // index of issued.Issued
	byCN     map[string][]int // the same by CommonName, oldest first
	// journalLines is how many lines issued.log holds.
	journalLines int
	enroll       enrollmentFile
	enrollRev    int64 // the fleet's revision of enroll
	crlURL       string
	crl          []byte
	crlTime      time.Time
	fleetCRL     *fleetCRL // the fleet leader's CRL
	leading      bool      // this manager signs the fleet's CRL
	ra           *CA       // SCEP registration authority (RSA), made on first use
}

// OpenAuthority loads the PKI from cfg.Dir, generating the CA and the
// manager certificate on first start when they are "auto".
func OpenAuthority(cfg AuthorityConfig) (*Authority, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CAPLifetime <= 0 {
		cfg.CAPLifetime = CAPLifetime
	}
	if cfg.CA == "" {
		cfg.CA = Auto
	}
	if cfg.Certificate == "" {
		cfg.Certificate = Auto
	}
	if cfg.Policy == "" {
		cfg.Policy = PolicyApproval
	}
	if cfg.SupersedeGrace <= 0 {
		cfg.SupersedeGrace = DefaultSupersedeGrace
	}
	for _, p := range cfg.PreApproved {
		if err := CheckMACPattern(p); err != nil {
			return nil, err
		}
	}
	for _, d := range []string{cfg.Dir, filepath.Join(cfg.Dir, "certs"), filepath.Join(cfg.Dir, "private")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("pki: %w", err)
		}
	}
	a := &Authority{cfg: cfg}
	if err := a.loadIssuedLocked(); err != nil {
		return nil, err
	}
	if err := readJSON(a.path(enrollmentName), &a.enroll); err != nil {
		return nil, err
	}
	if err := a.loadCA(); err != nil {
		return nil, err
	}
	if err := a.loadManager(); err != nil {
		return nil, err
	}
	for _, name := range cfg.Trusted {
		chain, err := ReadCertsFile(a.certPath(name))
		if err != nil {
			return nil, fmt.Errorf("trusted CA %s: %w", name, err)
		}
		if !chain[0].IsCA {
			return nil, fmt.Errorf("trusted CA %s: %q is not a CA certificate", name, chain[0].Subject.CommonName)
		}
		a.trusted = append(a.trusted, chain[0])
	}
	return a, nil
}

// ErrNoCAKey refuses to sign with a CA whose key the manager does not hold.
var ErrNoCAKey = errors.New("the CA's private key is not in this manager's store: it can verify but not sign (import the CA with its key, or trust it with --trust-ca and keep --ca-certificate auto)")

// roots are the CAs whose CAP certificates the manager accepts.
func (a *Authority) roots() []*x509.Certificate {
	return append([]*x509.Certificate{a.ca.Cert}, a.trusted...)
}

// knowsIssuerLocked reports whether cn names this CA or a trusted one.
func (a *Authority) knowsIssuerLocked(cn string) bool {
	return slices.ContainsFunc(a.roots(), func(c *x509.Certificate) bool { return c.Subject.CommonName == cn })
}

func (a *Authority) path(name string) string { return filepath.Join(a.cfg.Dir, name) }

func (a *Authority) certPath(name string) string {
	return filepath.Join(a.cfg.Dir, "certs", name+".pem")
}

func (a *Authority) keyPath(name string) string {
	return filepath.Join(a.cfg.Dir, "private", name+".key")
}

// loadNamed reads a named certificate chain and its key.
func (a *Authority) loadNamed(name string) ([]*x509.Certificate, crypto.Signer, error) {
	chain, err := ReadCertsFile(a.certPath(name))
	if err != nil {
		return nil, nil, err
	}
	key, err := ReadKeyFile(a.keyPath(name))
	if err != nil {
		return nil, nil, err
	}
	if !SamePublicKey(chain[0], key) {
		return nil, nil, fmt.Errorf("certificate %s: key does not match the certificate", name)
	}
	return chain, key, nil
}

// storeNamed writes a named certificate chain and its key (0600).
func (a *Authority) storeNamed(name string, chain []*x509.Certificate, key crypto.Signer) error {
	if key != nil {
		if err := WriteKeyFile(a.keyPath(name), key); err != nil {
			return err
		}
	}
	return WriteFileAtomic(a.certPath(name), EncodeCertsPEM(chain...), 0o644)
}

func (a *Authority) loadCA() error {
	name := a.cfg.CA
	if name == Auto {
		name = "capstan-CA-" + a.cfg.BaseMAC
	}
	if a.cfg.Fleet != nil && a.cfg.CA == Auto {
		return a.joinFleet(func() (*CA, error) {
			key, err := GenerateKey(a.cfg.KeyType)
			if err != nil {
				return nil, err
			}
			return NewCA(name, key, CALifetime, a.cfg.Now())
		})
	}
	a.caName = name
	chain, key, err := a.loadNamed(name)
	if err == nil {
		if !chain[0].IsCA {
			return fmt.Errorf("ca-certificate %s is not a CA certificate", name)
		}
		a.ca = &CA{Cert: chain[0], Key: key}
		return nil
	}
	if errors.Is(err, os.ErrNotExist) && a.cfg.CA != Auto {
		if _, cerr := ReadCertsFile(a.certPath(name)); cerr == nil {
			return fmt.Errorf("ca-certificate %s: %w", name, ErrNoCAKey)
		}
	}
	if !errors.Is(err, os.ErrNotExist) || a.cfg.CA != Auto {
		return fmt.Errorf("ca-certificate %s: %w", name, err)
	}
	key, err = GenerateKey(a.cfg.KeyType)
	if err != nil {
		return err
	}
	ca, err := NewCA(name, key, CALifetime, a.cfg.Now())
	if err != nil {
		return err
	}
	if err := a.storeNamed(name, []*x509.Certificate{ca.Cert}, key); err != nil {
		return err
	}
	a.ca = ca
	return nil
}

// loadManager loads the manager certificate, (re)issuing the automatic one
// when it is missing, not from the current CA, or past 2/3 of its life.
func (a *Authority) loadManager() error {
	name := a.cfg.Certificate
	if name == Auto {
		name = "capstan-" + a.cfg.BaseMAC
	}
	a.mgrName = name
	chain, key, err := a.loadNamed(name)
	usage := UsageManager
	if a.cfg.Fleet != nil {
		usage = UsageFleetManager
	}
	if err == nil && (a.cfg.Certificate != Auto || (chain[0].CheckSignatureFrom(a.ca.Cert) == nil && HasManagerRole(chain[0]) &&
		HasFleetRole(chain[0]) == (usage == UsageFleetManager) &&
		!a.IsRevoked(chain[0].SerialNumber) && !DueForRenewal(chain[0], 2, 3, a.cfg.Now()))) {
		a.manager, a.mgrKey = chain[0], key
		return nil
	}
	if err != nil && (!errors.Is(err, os.ErrNotExist) || a.cfg.Certificate != Auto) {
		return fmt.Errorf("certificate %s: %w", name, err)
	}
	if key == nil {
		if key, err = GenerateKey(a.cfg.KeyType); err != nil {
			return err
		}
	}
	c, err := a.ca.Issue(key.Public(), IssueOptions{CommonName: name, Lifetime: ManagerLifetime, Usage: usage, Now: a.cfg.Now()})
	if err != nil {
		return err
	}
	if err := a.recordLocked(c, RoleManager, RoleManager); err != nil {
		return err
	}
	if err := a.storeNamed(name, []*x509.Certificate{c, a.ca.Cert}, key); err != nil {
		return err
	}
	a.manager, a.mgrKey = c, key
	return nil
}

// DueForRenewal reports whether now is past num/den of c's lifetime.
func DueForRenewal(c *x509.Certificate, num, den int64, now time.Time) bool {
	life := c.NotAfter.Sub(c.NotBefore)
	return !now.Before(c.NotBefore.Add(life * time.Duration(num) / time.Duration(den)))
}

// CA returns the issuing CA certificate.
func (a *Authority) CA() *x509.Certificate { return a.ca.Cert }

// CAName returns the CA certificate's name in the store.
func (a *Authority) CAName() string { return a.caName }

// ManagerCertificate returns the manager's certificate chain and key, for
// its DTLS server.
func (a *Authority) ManagerCertificate() ([]*x509.Certificate, crypto.Signer) {
	chain := []*x509.Certificate{a.manager}
	if a.manager.CheckSignatureFrom(a.ca.Cert) == nil {
		chain = append(chain, a.ca.Cert)
	}
	return chain, a.mgrKey
}

// TLSCertificate returns ManagerCertificate for a DTLS server.
func (a *Authority) TLSCertificate() tls.Certificate {
	chain, key := a.ManagerCertificate()
	c := tls.Certificate{PrivateKey: key, Leaf: chain[0]}
	for _, x := range chain {
		c.Certificate = append(c.Certificate, x.Raw)
	}
	return c
}

// Policy returns the enrollment policy.
func (a *Authority) Policy() Policy { return a.cfg.Policy }

// SetCRLURL sets the CRL distribution point written into certificates
// issued from now on (the manager's HTTP listener is known after start).
func (a *Authority) SetCRLURL(u string) {
	a.mu.Lock()
	a.crlURL = u
	a.mu.Unlock()
}

// SCEPRA returns the RSA registration authority SCEP clients encrypt to
// and that signs SCEP responses (SCEP needs RSA; the CA may be ECDSA). It
// is issued by the CA on first use and kept as capstan-SCEP-RA-<base MAC>.
func (a *Authority) SCEPRA() (*CA, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ra != nil {
		return a.ra, nil
	}
	name := "capstan-SCEP-RA-" + a.cfg.BaseMAC
	chain, key, err := a.loadNamed(name)
	if err == nil && chain[0].CheckSignatureFrom(a.ca.Cert) == nil && !DueForRenewal(chain[0], 2, 3, a.cfg.Now()) {
		a.ra = &CA{Cert: chain[0], Key: key}
		return a.ra, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("SCEP RA: %w", err)
	}
	if key, err = GenerateKey(RSA); err != nil {
		return nil, err
	}
	c, err := a.ca.Issue(key.Public(), IssueOptions{CommonName: name, Lifetime: ManagerLifetime, Usage: UsageRA, Now: a.cfg.Now()})
	if err != nil {
		return nil, err
	}
	if err := a.recordLocked(c, RoleRA, RoleRA); err != nil {
		return nil, err
	}
	if err := a.storeNamed(name, []*x509.Certificate{c, a.ca.Cert}, key); err != nil {
		return nil, err
	}
	a.ra = &CA{Cert: c, Key: key}
	return a.ra, nil
}
