package tests

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/agent"
	"github.com/capstan-wifi/capstan/internal/testtool"
	"github.com/capstan-wifi/capstan/manager/api"
	"github.com/capstan-wifi/capstan/pki"
)

// managerProc is a capstan-manager serve process on loopback.
type managerProc struct {
	bin, state string
	log        *logBuffer
}

func (m *managerProc) file(name string) string {
	b, _ := os.ReadFile(filepath.Join(m.state, name))
	return strings.TrimSpace(string(b))
}

// cli runs one admin command and returns its stdout, failing on error.
func (m *managerProc) cli(t *testing.T, args ...string) string {
	t.Helper()
	out, err := m.try(args...)
	if err != nil {
		t.Fatalf("capstan-manager %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (m *managerProc) try(args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(m.bin, "capstan-manager"), append(args, "--state-dir", m.state)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func startManagerProc(t *testing.T, extra ...string) *managerProc {
	t.Helper()
	m := &managerProc{bin: binaries(t), state: t.TempDir(), log: &logBuffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	args := append([]string{"serve", "--state-dir", m.state, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--log-level", "debug"}, extra...)
	cmd := exec.CommandContext(ctx, filepath.Join(m.bin, "capstan-manager"), args...)
	cmd.Stdout, cmd.Stderr = m.log, m.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	waitFor(t, 10*time.Second, "manager API and HTTP up", func() bool {
		return m.file(api.AddressFile) != "" && m.file("http-address") != "" && strings.Contains(m.log.String(), "manager started")
	})
	return m
}

// controlAddr reads the manager's UDP control address from its log.
func (m *managerProc) controlAddr(t *testing.T) string {
	t.Helper()
	var addr string
	// The control plane logs its address when it starts serving, which can
	// come just after "manager started".
	waitFor(t, 10*time.Second, "control address in the manager log", func() bool {
		for _, line := range strings.Split(m.log.String(), "\n") {
			if i := strings.Index(line, "control=127.0.0.1:"); i >= 0 {
				addr = strings.Fields(line[i+len("control="):])[0]
				return true
			}
		}
		return false
	})
	return addr
}

func TestManagerPKICommands(t *testing.T) {
	m := startManagerProc(t, "--enrollment", "approval", "--require-peer-certificate")
	var certs []pki.CertInfo
	if err := json.Unmarshal([]byte(m.cli(t, "certificate", "print", "--json")), &certs); err != nil {
		t.Fatal(err)
	}
	var caName, mgrName string
	for _, c := range certs {
		switch c.Kind {
		case "ca":
			caName = c.Name
		case "manager":
			mgrName = c.Name
		}
	}
	if !strings.HasPrefix(caName, "capstan-CA-") || !strings.HasPrefix(mgrName, "capstan-") || len(certs) != 3 {
		t.Fatalf("certificates %+v", certs)
	}
	keys, _ := filepath.Glob(filepath.Join(m.state, "pki", "private", "*.key"))
	for _, k := range keys {
		if fi, _ := os.Stat(k); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v", k, fi.Mode().Perm())
		}
	}
	if len(keys) < 2 {
		t.Errorf("key files %v", keys)
	}
	addr := m.controlAddr(t)

	// A one-time password enrolls at once even under the approval policy.
	out := m.cli(t, "enrollment-password", "add", "valid=1h", "comment=first AP")
	secret := strings.Fields(out)[0]
	first, _ := requestingAgent(t, 1, addr, t.TempDir(), func(c *agent.Config) { c.EnrollmentPassword = secret })
	waitFor(t, 15*time.Second, "CAP with a password in run", inRun(first))
	// Without one, the CAP waits in the pending list until approved.
	capDir := t.TempDir()
	second, _ := requestingAgent(t, 2, addr, capDir, nil)
	var reqs []api.RequestInfo
	waitFor(t, 10*time.Second, "pending request", func() bool {
		out, err := m.try("enrollment", "print", "--json")
		return err == nil && json.Unmarshal([]byte(out), &reqs) == nil && len(reqs) == 1
	})
	if reqs[0].CommonName != "CAP-02CA57000020" || reqs[0].State != "pending" {
		t.Fatalf("request %+v", reqs[0])
	}
	m.cli(t, "enrollment", "approve", reqs[0].ID)
	waitFor(t, 15*time.Second, "approved CAP in run", inRun(second))
	if st := first.Status(); st.Joins != 1 {
		t.Errorf("first CAP rejoined %d times during the approval", st.Joins)
	}

	// Export: the CAP certificate verifies against the exported CA; the
	// manager certificate exports as PKCS#12 with its key (0600) and imports back.
	dir := t.TempDir()
	caFile, capFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "cap.pem")
	m.cli(t, "certificate", "export", caName, "file="+caFile)
	m.cli(t, "certificate", "export", "CAP-02CA57000020", "file="+capFile)
	passFile := filepath.Join(dir, "pass")
	os.WriteFile(passFile, []byte("correct horse\n"), 0o600)
	p12 := filepath.Join(dir, "manager.p12")
	m.cli(t, "certificate", "export", mgrName, "format=pkcs12", "private-key=yes", "passphrase-file="+passFile, "file="+p12)
	if fi, _ := os.Stat(p12); fi.Mode().Perm() != 0o600 {
		t.Errorf("PKCS#12 with a key written %v", fi.Mode().Perm())
	}
	if _, err := m.try("certificate", "export", mgrName, "format=pkcs12", "private-key=yes", "file="+p12+"2"); err == nil {
		t.Error("PKCS#12 export of a key without a passphrase succeeded")
	}
	if out, err := m.try("certificate", "import", "name=copy", "file="+p12, "passphrase=wrong"); err == nil {
		t.Errorf("import with a wrong passphrase succeeded: %s", out)
	}
	if out := m.cli(t, "certificate", "import", "name=copy", "file="+p12, "passphrase-file="+passFile); !strings.Contains(out, "private key: true") {
		t.Errorf("import: %s", out)
	}
	if testtool.Have(t, "openssl") {
		opensslVerify(t, caFile, capFile)
		if out, err := exec.Command("openssl", "pkcs12", "-in", p12, "-passin", "file:"+passFile, "-noout").CombinedOutput(); err != nil {
			t.Errorf("openssl pkcs12: %v\n%s", err, out)
		}
	}
	capCert := readCert(t, capFile)
	crlURL := "http://" + m.file("http-address") + "/crl"
	if len(capCert.CRLDistributionPoints) != 1 || capCert.CRLDistributionPoints[0] != crlURL {
		t.Errorf("CRL distribution points %v, want %s", capCert.CRLDistributionPoints, crlURL)
	}

	// Revocation disconnects the CAP; the CRL over HTTP lists it.
	if out := m.cli(t, "certificate", "revoke", "CAP-02CA57000020"); !strings.Contains(out, "disconnected 1 CAP") {
		t.Errorf("revoke: %s", out)
	}
	waitFor(t, 5*time.Second, "revoked CAP out of run", func() bool { return second.Status().State != "run" })
	resp, err := http.Get(crlURL)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	crl, err := x509.ParseRevocationList(der)
	if err != nil || len(crl.RevokedCertificateEntries) != 1 || crl.RevokedCertificateEntries[0].SerialNumber.Cmp(capCert.SerialNumber) != 0 {
		t.Fatalf("CRL: %v %+v", err, crl)
	}
	if testtool.Have(t, "openssl") {
		crlFile := filepath.Join(dir, "crl.pem")
		os.WriteFile(crlFile, pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}), 0o644)
		out, err := exec.Command("openssl", "verify", "-crl_check", "-CAfile", caFile, "-CRLfile", crlFile, capFile).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "revoked") {
			t.Errorf("openssl verify -crl_check accepted the revoked certificate: %v\n%s", err, out)
		}
	}
	time.Sleep(1500 * time.Millisecond)
	if st := second.Status().State; st == "run" {
		t.Error("revoked CAP back in run")
	}
	// Bad input gets a one-line error naming it.
	if out, err := m.try("certificate", "revoke", "nope"); err == nil || !strings.Contains(out, `"nope"`) {
		t.Errorf("revoke nope: %v %s", err, out)
	}
	if out, err := m.try("enrollment-password", "add", "valid=forever"); err == nil || !strings.Contains(out, "forever") {
		t.Errorf("bad validity: %v %s", err, out)
	}
	// Secrets never reach the log.
	if log := m.log.String(); strings.Contains(log, secret) || strings.Contains(log, "PRIVATE KEY") {
		t.Error("the manager logged a secret")
	}
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	c, err := pki.ReadCertsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return c[0]
}

// TestAgentBinaryEnrollsAndLocks runs the real capstan-agent with
// certificate=request and lock_to_manager against the real manager on its
// defaults: it waits for adoption, enrolls once approved, locks, reports both in `status --json`, and `unlock` clears the lock.
func TestAgentBinaryEnrollsAndLocks(t *testing.T) {
	m := startManagerProc(t, "--require-peer-certificate")
	state, run := t.TempDir(), t.TempDir()
	conf := filepath.Join(state, "capstan.uci")
	if err := os.WriteFile(conf, []byte("config agent 'main'\n\toption identity 'ap-bin'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, filepath.Join(m.bin, "capstan-agent"), "run", "--hal", "sim", "--config", conf,
		"--state-dir", state, "--run-dir", run, "--manager_addresses", m.controlAddr(t), "--base_mac", "02:00:00:00:0a:01",
		"--certificate", "request", "--lock_to_manager", "1", "--log-level", "debug")
	agentLog := &logBuffer{}
	cmd.Stdout, cmd.Stderr = agentLog, agentLog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	var st agent.Status
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("agent log:\n%s", agentLog)
		}
	})
	// Adoption: the CAP waits as pending until an administrator approves.
	waitFor(t, 15*time.Second, "the CAP pending adoption", func() bool {
		out, err := m.try("enrollment", "print")
		return err == nil && strings.Contains(out, "CAP-020000000A01") && strings.Contains(out, "pending")
	})
	if out := m.cli(t, "enrollment", "approve", "all"); !strings.Contains(out, "approved 1 pending request(s)") {
		t.Fatalf("enrollment approve all: %s", out)
	}
	waitFor(t, 15*time.Second, "agent binary in run", func() bool {
		out, err := exec.Command(filepath.Join(m.bin, "capstan-agent"), "status", "--json", "--run-dir", run).Output()
		return err == nil && json.Unmarshal(out, &st) == nil && st.State == "run"
	})
	if st.Certificate == nil || st.Certificate.CommonName != "CAP-020000000A01" || !strings.HasPrefix(st.LockedTo, "capstan-") {
		t.Fatalf("status: certificate %+v, locked to %q\n%s", st.Certificate, st.LockedTo, agentLog)
	}
	if fi, err := os.Stat(filepath.Join(state, pki.CAPKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("agent key: %v %v", fi, err)
	}
	out, err := exec.Command(filepath.Join(m.bin, "capstan-agent"), "unlock", "--state-dir", state).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "unlocked from manager "+st.LockedTo) {
		t.Fatalf("unlock: %v %s", err, out)
	}
	if _, ok, _ := pki.ReadLock(state); ok {
		t.Error("lock still there after unlock")
	}
	if strings.Contains(agentLog.String(), "PRIVATE KEY") {
		t.Error("the agent logged its key")
	}
}
