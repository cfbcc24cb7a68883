package tests

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/agent"
	"github.com/capstan-wifi/capstan/internal/testtool"
	"github.com/capstan-wifi/capstan/pki"
	"github.com/capstan-wifi/capstan/pki/scep/scepserver"
	"github.com/capstan-wifi/capstan/pki/scepenroll"
)

// opensslVerify runs `openssl verify -CAfile ca cert` and fails the test
// unless openssl accepts the chain.
func opensslVerify(t *testing.T, caFile, certFile string) {
	t.Helper()
	out, err := exec.Command(testtool.Find(t, "openssl", "openssl"), "verify", "-CAfile", caFile, certFile).CombinedOutput()
	if err != nil || !strings.Contains(string(out), ": OK") {
		t.Fatalf("openssl verify %s: %v\n%s", certFile, err, out)
	}
}

// TestSCEPInteropMicromdmClient enrolls micromdm's scepclient (SHA-1, DES,
// POST) against our SCEP server with an ECDSA and an RSA CA, with a one-time
// password as challenge; a wrong one is refused; run again with its
// certificate it renews (a request signed by that certificate).
func TestSCEPInteropMicromdmClient(t *testing.T) {
	for _, kt := range []pki.KeyType{pki.ECDSA, pki.RSA} {
		t.Run(string(kt), func(t *testing.T) { micromdmClient(t, kt) })
	}
}

func micromdmClient(t *testing.T, kt pki.KeyType) {
	bin := testtool.Find(t, "scepclient", "scep")
	auth, err := pki.OpenAuthority(pki.AuthorityConfig{Dir: t.TempDir(), BaseMAC: "02AA000000A1", KeyType: kt, Policy: pki.PolicyOTP})
	if err != nil {
		t.Fatal(err)
	}
	log := &logBuffer{}
	srv, err := scepserver.New(auth, slogTo(log))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/scep", srv)
	ts := httptest.NewServer(mux)
	defer ts.Close()
	_, secret, err := auth.AddPassword(time.Hour, "micromdm")
	if err != nil {
		t.Fatal(err)
	}
	run := func(dir, challenge string) ([]byte, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		args := []string{"-server-url", ts.URL + "/scep", "-private-key", filepath.Join(dir, "key.pem"),
			"-certificate", filepath.Join(dir, "cert.pem"), "-cn", "CAP-02AA000000A2", "-challenge", challenge}
		if kt == pki.ECDSA {
			args = append(args, "-cacert-message", "ra") // it encrypts to every GetCACert certificate
		}
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Dir = dir // scepclient caches csr.pem and self.pem beside its key
		return cmd.CombinedOutput()
	}
	wrongDir := t.TempDir()
	if out, err := run(wrongDir, "not-the-password"); err == nil {
		if _, serr := os.Stat(filepath.Join(wrongDir, "cert.pem")); serr == nil {
			t.Fatalf("scepclient enrolled with a wrong challenge:\n%s", out)
		}
	}
	dir := t.TempDir()
	if out, err := run(dir, secret); err != nil {
		t.Fatalf("scepclient: %v\n%s\nserver log:\n%s", err, out, log)
	}
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pki.EncodeCertsPEM(auth.CA()), 0o644); err != nil {
		t.Fatal(err)
	}
	opensslVerify(t, ca, filepath.Join(dir, "cert.pem"))
	if !strings.Contains(log.String(), "cipher=DES-CBC") || !strings.Contains(log.String(), "digest=SHA-1") {
		t.Errorf("expected a DES/SHA-1 request from micromdm's client; log:\n%s", log)
	}
	issued := capCerts(auth)
	if len(issued) != 1 || issued[0].CommonName != "CAP-02AA000000A2" || issued[0].Via != "scep" {
		t.Fatalf("issued %+v", issued)
	}
	first := readCert(t, filepath.Join(dir, "cert.pem"))
	// Renewal: scepclient signs its request with the certificate cached as
	// self.pem beside its key (normally a throwaway self-signed one); with
	// the issued certificate there it sends a PKCSReq signed by it, as
	// sscep -K/-O does. The password is spent, so only that signature can
	// make this succeed.
	if err := os.Rename(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "old.pem")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "self.pem"), pki.EncodeCertsPEM(first), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(dir, "")
	if err != nil {
		t.Fatalf("renewal: %v\n%s\nserver log:\n%s", err, out, log)
	}
	renewed := readCert(t, filepath.Join(dir, "cert.pem"))
	if renewed.SerialNumber.Cmp(first.SerialNumber) == 0 || !strings.Contains(log.String(), "renewal=true") {
		t.Errorf("renewal gave serial %s after %s\n%s", pki.SerialString(renewed.SerialNumber), pki.SerialString(first.SerialNumber), log)
	}
}

// TestSCEPInteropMicromdmServer enrolls our agent (certificate=scep)
// against micromdm's scepserver.
func TestSCEPInteropMicromdmServer(t *testing.T) {
	bin := testtool.Find(t, "scepserver", "scep")
	depot := filepath.Join(t.TempDir(), "depot")
	if out, err := exec.Command(bin, "ca", "-init", "-depot", depot).CombinedOutput(); err != nil {
		t.Fatalf("scepserver ca -init: %v\n%s", err, out)
	}
	port := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := exec.CommandContext(ctx, bin, "-depot", depot, "-port", fmt.Sprint(port), "-challenge", "s3cret")
	srvLog := &logBuffer{}
	srv.Stdout, srv.Stderr = srvLog, srvLog
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Wait()
	defer cancel()
	url := fmt.Sprintf("http://127.0.0.1:%d/scep", port)
	waitFor(t, 10*time.Second, "scepserver listening", func() bool {
		resp, err := http.Get(url + "?operation=GetCACaps")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	dir := t.TempDir()
	a, _ := startAgent(t, 9, func(c *agent.Config) {
		c.ManagerAddresses = []string{"127.0.0.1:9"} // no manager needed to enroll
		c.Certificate = agent.CertificateSCEP
		c.ScepURL = url
		c.EnrollmentPassword = "s3cret"
		c.StateDir = dir
		c.SCEP = scepenroll.Exec(filepath.Join(binaries(t), scepenroll.HelperName)) // the helper the package ships
	})
	waitFor(t, 30*time.Second, "certificate from micromdm's scepserver", func() bool { return a.Status().Certificate != nil })
	st := a.Status().Certificate
	if st.CommonName != "CAP-02CA57000090" {
		t.Errorf("certificate %+v", st)
	}
	opensslVerify(t, filepath.Join(dir, pki.CAPCAFile), filepath.Join(dir, pki.CAPCertFile))
	if fi, err := os.Stat(filepath.Join(dir, pki.CAPKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v %v", fi, err)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
