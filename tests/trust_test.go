package tests

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/agent"
	"github.com/capstan-wifi/capstan/capwap/transport"
	"github.com/capstan-wifi/capstan/internal/testtool"
	"github.com/capstan-wifi/capstan/manager/controlplane"
	"github.com/capstan-wifi/capstan/pki"
	"github.com/capstan-wifi/capstan/pki/scep/scepserver"
	"github.com/capstan-wifi/capstan/pki/scepenroll"
)

// logBuffer collects log lines for assertions about what was logged.
type logBuffer = testtool.Buffer

// pkiManager is a manager with a PKI in a temporary state directory.
type pkiManager struct {
	srv  *controlplane.Server
	addr string
	auth *pki.Authority
	dir  string
	log  *logBuffer
	stop context.CancelFunc
}

func startPKIManager(t testing.TB, baseMAC string, policy pki.Policy, require bool, lifetime time.Duration) *pkiManager {
	t.Helper()
	return startPKIManagerWith(t, pki.AuthorityConfig{Dir: t.TempDir(), BaseMAC: baseMAC, Policy: policy, CAPLifetime: lifetime}, require)
}

// startPKIManagerWith runs a manager on the Authority cfg opens.
func startPKIManagerWith(t testing.TB, cfg pki.AuthorityConfig, require bool) *pkiManager {
	t.Helper()
	dir, baseMAC := cfg.Dir, cfg.BaseMAC
	auth, err := pki.OpenAuthority(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := &pkiManager{auth: auth, dir: dir, log: &logBuffer{}}
	logger := slogTo(m.log)
	if l := testLogger(t); l != nil {
		logger = slog.New(multiHandler{logger.Handler(), l.Handler()})
	}
	m.srv, err = controlplane.New(controlplane.Config{
		Name: "pki-" + baseMAC, ListenAddress: "127.0.0.1:0", Certificate: auth.TLSCertificate(),
		Authority: auth, RequirePeerCertificate: require, Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.srv.Serve(ctx) }()
	select {
	case <-m.srv.Ready():
	case err := <-done:
		t.Fatalf("manager: %v", err)
	}
	var once sync.Once
	m.stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(m.stop)
	m.addr = m.srv.ControlAddr().String()
	return m
}

// slogTo logs text at debug level to w.
func slogTo(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// multiHandler sends records to several handlers.
type multiHandler []slog.Handler

func (h multiHandler) Enabled(ctx context.Context, l slog.Level) bool { return true }
func (h multiHandler) Handle(ctx context.Context, r slog.Record) error {
	for _, x := range h {
		_ = x.Handle(ctx, r.Clone())
	}
	return nil
}
func (h multiHandler) WithAttrs(a []slog.Attr) slog.Handler {
	out := multiHandler{}
	for _, x := range h {
		out = append(out, x.WithAttrs(a))
	}
	return out
}
func (h multiHandler) WithGroup(g string) slog.Handler {
	out := multiHandler{}
	for _, x := range h {
		out = append(out, x.WithGroup(g))
	}
	return out
}

func requestingAgent(t testing.TB, i int, addr, stateDir string, set func(*agent.Config)) (*agent.Agent, context.CancelFunc) {
	return startAgent(t, i, func(c *agent.Config) {
		c.ManagerAddresses = []string{addr}
		c.Certificate = agent.CertificateRequest
		c.StateDir = stateDir
		if set != nil {
			set(c)
		}
	})
}

func inRun(a *agent.Agent) func() bool { return func() bool { return a.Status().State == "run" } }

func TestTrustAutoEnrollAndReuse(t *testing.T) {
	m := startPKIManager(t, "02AA00000001", pki.PolicyAuto, true, 0)
	dir := t.TempDir()
	a, stop := requestingAgent(t, 1, m.addr, dir, nil)
	waitFor(t, 15*time.Second, "enrolled CAP in run", inRun(a))
	st := a.Status()
	if st.Certificate == nil || st.Certificate.CommonName != "CAP-02CA57000010" || st.Certificate.Issuer != "capstan-CA-02AA00000001" {
		t.Fatalf("agent certificate %+v", st.Certificate)
	}
	caps := m.srv.RemoteCaps()
	if len(caps) != 1 || caps[0].CommonName != "CAP-02CA57000010" || caps[0].CertificateSerial != st.Certificate.Serial {
		t.Fatalf("remote caps %+v", caps)
	}
	for name, want := range map[string]os.FileMode{pki.CAPKeyFile: 0o600, pki.CAPCertFile: 0o644, pki.CAPCAFile: 0o644} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s mode %v, want %v", name, fi.Mode().Perm(), want)
		}
	}
	serial := st.Certificate.Serial
	stop()
	// A restarted CAP presents the stored certificate: nothing new is issued.
	b, _ := requestingAgent(t, 1, m.addr, dir, nil)
	waitFor(t, 15*time.Second, "restarted CAP in run", inRun(b))
	if got := b.Status().Certificate.Serial; got != serial {
		t.Errorf("restarted CAP uses serial %s, want %s", got, serial)
	}
	if n := len(capCerts(m.auth)); n != 1 {
		t.Errorf("%d certificates issued, want 1", n)
	}
	// A CAP without certificate=request is refused, and told why.
	c, _ := startAgent(t, 2, func(c *agent.Config) { c.ManagerAddresses = []string{m.addr} })
	waitFor(t, 10*time.Second, "refusal of a CAP without certificate", func() bool {
		return strings.Contains(c.Status().LastError, "requires a CAP certificate")
	})
}

func TestTrustOneTimePassword(t *testing.T) {
	m := startPKIManager(t, "02AA00000002", pki.PolicyOTP, true, 0)
	_, secret, err := m.auth.AddPassword(time.Hour, "test")
	if err != nil {
		t.Fatal(err)
	}
	wrong, _ := requestingAgent(t, 1, m.addr, t.TempDir(), func(c *agent.Config) { c.EnrollmentPassword = "not-" + secret })
	waitFor(t, 10*time.Second, "wrong password refused", func() bool {
		return strings.Contains(wrong.Status().LastError, pki.ErrWrongPassword.Error())
	})
	none, _ := requestingAgent(t, 2, m.addr, t.TempDir(), nil)
	waitFor(t, 10*time.Second, "missing password refused", func() bool {
		return strings.Contains(none.Status().LastError, pki.ErrPasswordRequired.Error())
	})
	right, _ := requestingAgent(t, 3, m.addr, t.TempDir(), func(c *agent.Config) { c.EnrollmentPassword = secret })
	waitFor(t, 15*time.Second, "CAP with the password in run", inRun(right))
	// The password was single use.
	again, _ := requestingAgent(t, 4, m.addr, t.TempDir(), func(c *agent.Config) { c.EnrollmentPassword = secret })
	waitFor(t, 10*time.Second, "reused password refused", func() bool {
		return strings.Contains(again.Status().LastError, pki.ErrWrongPassword.Error())
	})
	if s := wrong.Status().State; s == "run" {
		t.Errorf("CAP with a wrong password reached %s", s)
	}
	if n := len(capCerts(m.auth)); n != 1 {
		t.Errorf("%d certificates issued, want 1", n)
	}
}

func TestTrustApprovalKeepsOthersConnected(t *testing.T) {
	m := startPKIManager(t, "02AA00000003", pki.PolicyApproval, true, 0)
	_, secret, _ := m.auth.AddPassword(time.Hour, "first CAP")
	first, _ := requestingAgent(t, 1, m.addr, t.TempDir(), func(c *agent.Config) { c.EnrollmentPassword = secret })
	waitFor(t, 15*time.Second, "first CAP in run", inRun(first))
	second, _ := requestingAgent(t, 2, m.addr, t.TempDir(), nil)
	waitFor(t, 10*time.Second, "second CAP pending", func() bool {
		return strings.Contains(second.Status().LastError, "pending") && len(m.auth.Requests()) == 1
	})
	q := m.auth.Requests()[0]
	if q.CommonName != "CAP-02CA57000020" || q.State != pki.RequestPending || !strings.HasPrefix(q.Address, "127.0.0.1:") {
		t.Fatalf("request %+v", q)
	}
	if _, err := m.auth.Decide(q.ID, pki.RequestApproved); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "approved CAP in run", inRun(second))
	if st := first.Status(); st.Joins != 1 || st.State != "run" {
		t.Errorf("first CAP after the approval: joins %d, state %s; want 1, run", st.Joins, st.State)
	}
	third, _ := requestingAgent(t, 3, m.addr, t.TempDir(), nil)
	waitFor(t, 10*time.Second, "third CAP pending", func() bool { return len(m.auth.Requests()) == 1 })
	if _, err := m.auth.Decide(m.auth.Requests()[0].ID, pki.RequestRejected); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "rejected CAP told so", func() bool {
		return strings.Contains(third.Status().LastError, pki.ErrRejected.Error())
	})
}

func TestTrustLockToManager(t *testing.T) {
	home := startPKIManager(t, "02AA00000004", pki.PolicyAuto, false, 0)
	rogue := startPKIManager(t, "02AA00000005", pki.PolicyAuto, false, 0)
	// Before locking, a CAP accepts any manager: here the rogue one.
	fresh, stopFresh := startAgent(t, 1, func(c *agent.Config) {
		c.ManagerAddresses = []string{rogue.addr}
		c.LockToManager = false
	})
	waitFor(t, 10*time.Second, "unlocked CAP accepts the other manager", inRun(fresh))
	stopFresh()
	dir := t.TempDir()
	a, stop := startAgent(t, 2, func(c *agent.Config) {
		c.ManagerAddresses = []string{home.addr}
		c.LockToManager = true
		c.StateDir = dir
	})
	waitFor(t, 10*time.Second, "CAP in run on its manager", inRun(a))
	if got := a.Status().LockedTo; got != "capstan-02AA00000004" {
		t.Fatalf("locked to %q, want capstan-02AA00000004", got)
	}
	stop()
	home.stop()
	b, stopB := startAgent(t, 2, func(c *agent.Config) {
		c.ManagerAddresses = []string{rogue.addr}
		c.LockToManager = true
		c.StateDir = dir
	})
	waitFor(t, 10*time.Second, "locked CAP refuses the rogue manager", func() bool {
		return strings.Contains(b.Status().LastError, `locked to the manager with key SHA-256`)
	})
	if n := len(rogue.srv.RemoteCaps()); n != 0 {
		t.Errorf("rogue manager has %d CAPs", n)
	}
	stopB()
	if l, ok, err := pki.ClearLock(dir); err != nil || !ok || l.CommonName != "capstan-02AA00000004" {
		t.Fatalf("unlock: %+v %v %v", l, ok, err)
	}
	c, _ := startAgent(t, 2, func(c *agent.Config) {
		c.ManagerAddresses = []string{rogue.addr}
		c.StateDir = dir
	})
	waitFor(t, 10*time.Second, "unlocked CAP joins the other manager", inRun(c))
}

func TestTrustRevocation(t *testing.T) {
	m := startPKIManager(t, "02AA00000006", pki.PolicyAuto, true, 0)
	a, _ := requestingAgent(t, 1, m.addr, t.TempDir(), nil)
	waitFor(t, 15*time.Second, "CAP in run", inRun(a))
	serials, err := m.auth.Revoke("CAP-02CA57000010")
	if err != nil {
		t.Fatal(err)
	}
	if n := m.srv.Disconnect(serials); n != 1 {
		t.Fatalf("disconnected %d CAPs, want 1", n)
	}
	waitFor(t, 5*time.Second, "revoked CAP gone from the table", func() bool { return len(m.srv.RemoteCaps()) == 0 })
	waitFor(t, 10*time.Second, "revoked CAP refused", func() bool {
		return a.Status().State != "run" && strings.Contains(m.log.String(), "certificate revoked")
	})
	time.Sleep(2 * time.Second) // several reconnection attempts
	if n := len(m.srv.RemoteCaps()); n != 0 {
		t.Errorf("revoked CAP back in the table (%d)", n)
	}
	crl, err := m.auth.CRL()
	if err != nil {
		t.Fatal(err)
	}
	rl, err := x509.ParseRevocationList(crl)
	if err != nil || len(rl.RevokedCertificateEntries) != 1 || pki.SerialString(rl.RevokedCertificateEntries[0].SerialNumber) != serials[0] {
		t.Errorf("CRL: %v %+v", err, rl)
	}
}

func TestTrustExpiredCertificate(t *testing.T) {
	m := startPKIManager(t, "02AA00000007", pki.PolicyAuto, true, 0)
	// A certificate from the manager's CA that expired an hour ago.
	dir := t.TempDir()
	creds, err := pki.LoadCredentials(dir, pki.ECDSA)
	if err != nil {
		t.Fatal(err)
	}
	ca := &pki.CA{Cert: m.auth.CA(), Key: caKey(t, m)}
	old, err := ca.Issue(creds.Key.Public(), pki.IssueOptions{CommonName: "CAP-02CA57000010", Lifetime: time.Hour, Now: time.Now().Add(-2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pki.SaveCredentials(dir, creds.Key, []*x509.Certificate{old, m.auth.CA()}); err != nil {
		t.Fatal(err)
	}
	// Presented as it is, it is refused in the handshake with a clear reason.
	mux := transport.NewMux(mustUDP(t), transport.MuxConfig{})
	defer mux.Close()
	addr, _ := net.ResolveUDPAddr("udp4", m.addr)
	peer := mux.Dial(addr)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	loaded, _ := pki.LoadCredentials(dir, pki.ECDSA)
	_, err = transport.Dial(ctx, peer, transport.ClientConfig{Certificate: loaded.TLS(), VerifyPeer: func([][]byte) error { return nil }})
	peer.Close()
	if err == nil {
		t.Fatal("handshake with an expired certificate succeeded")
	}
	waitFor(t, 5*time.Second, "manager logs the expiry", func() bool {
		return strings.Contains(m.log.String(), "certificate expired") && strings.Contains(m.log.String(), "expired at "+old.NotAfter.UTC().Format(time.RFC3339))
	})
	// The agent notices its certificate expired and enrolls again.
	a, _ := requestingAgent(t, 1, m.addr, dir, nil)
	waitFor(t, 15*time.Second, "re-enrolled CAP in run", inRun(a))
	if st := a.Status(); st.Certificate == nil || st.Certificate.Serial == pki.SerialString(old.SerialNumber) {
		t.Errorf("CAP runs with %+v, want a new certificate", st.Certificate)
	}
}

func TestTrustRenewalBeforeExpiry(t *testing.T) {
	const lifetime = 6 * time.Second
	m := startPKIManager(t, "02AA00000008", pki.PolicyAuto, true, lifetime)
	dir := t.TempDir()
	a, _ := requestingAgent(t, 1, m.addr, dir, nil)
	waitFor(t, 15*time.Second, "CAP in run", inRun(a))
	first := *a.Status().Certificate
	waitFor(t, lifetime, "renewed certificate", func() bool {
		c := a.Status().Certificate
		return c != nil && c.Serial != first.Serial
	})
	renewed := a.Status().Certificate
	if !renewed.NotAfter.After(first.NotAfter) {
		t.Errorf("renewed certificate ends %v, not after %v", renewed.NotAfter, first.NotAfter)
	}
	if time.Now().After(first.NotAfter) {
		t.Errorf("renewed only after the old certificate expired at %v", first.NotAfter)
	}
	if st := a.Status(); st.Joins != 1 || st.State != "run" {
		t.Errorf("renewal disturbed the session: joins %d, state %s", st.Joins, st.State)
	}
	issued := capCerts(m.auth)
	if len(issued) < 2 || issued[1].Via != "renewal" {
		t.Errorf("issued %+v, want an in-band issue then a renewal", issued)
	}
	creds, err := pki.LoadCredentials(dir, pki.ECDSA)
	if err != nil || creds.Cert == nil {
		t.Fatalf("stored credentials: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, pki.CAPNextKeyFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("renewal key not promoted: %v", err)
	}
}

func mustUDP(t testing.TB) net.PacketConn {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// caKey reads the manager CA's private key from its store.
func caKey(t testing.TB, m *pkiManager) crypto.Signer {
	t.Helper()
	k, err := pki.ReadKeyFile(filepath.Join(m.dir, "private", m.auth.CAName()+".key"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestTrustSCEPEnrollAndJoin: a CAP with certificate=scep enrolls through
// the manager's SCEP server with a one-time password, then joins a manager
// that requires certificates.
func TestTrustSCEPEnrollAndJoin(t *testing.T) {
	m := startPKIManager(t, "02AA00000009", pki.PolicyOTP, true, 0)
	srv, err := scepserver.New(m.auth, slogTo(m.log))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	_, secret, _ := m.auth.AddPassword(time.Hour, "scep")
	a, _ := startAgent(t, 1, func(c *agent.Config) {
		c.ManagerAddresses = []string{m.addr}
		c.Certificate = agent.CertificateSCEP
		c.ScepURL = ts.URL + "/scep"
		c.EnrollmentPassword = secret
		c.SCEP = scepenroll.Exec(filepath.Join(binaries(t), scepenroll.HelperName)) // the helper the package ships
	})
	waitFor(t, 15*time.Second, "SCEP-enrolled CAP in run", inRun(a))
	caps := m.srv.RemoteCaps()
	if len(caps) != 1 || caps[0].CommonName != "CAP-02CA57000010" {
		t.Fatalf("remote caps %+v", caps)
	}
	if issued := capCerts(m.auth); len(issued) != 1 || issued[0].Via != "scep" {
		t.Errorf("issued %+v", issued)
	}
	if !strings.Contains(m.log.String(), "cipher=AES-256-CBC") || !strings.Contains(m.log.String(), "digest=SHA-256") {
		t.Errorf("our client should negotiate AES-256/SHA-256; log:\n%s", m.log)
	}
}

// capCerts is the issue records of CAP certificates (the manager's and the
// RA's own are recorded too).
func capCerts(a *pki.Authority) []pki.Issued {
	var out []pki.Issued
	for _, r := range a.IssuedCertificates() {
		if r.IsCAP() {
			out = append(out, r)
		}
	}
	return out
}
