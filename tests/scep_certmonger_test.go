package tests

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/internal/testtool"
	"github.com/capstan-wifi/capstan/pki"
	"github.com/capstan-wifi/capstan/pki/scep/scepserver"
)

// TestSCEPInteropCertmonger runs Debian's certmonger (a private daemon on a
// private D-Bus session) against capstan's SCEP server with an ECDSA and an
// RSA CA: a wrong one-time password is refused, the right one enrolls, and
// `getcert resubmit` renews with a PKCSReq signed by the current
// certificate, which supersedes it.
func TestSCEPInteropCertmonger(t *testing.T) {
	for _, kt := range []pki.KeyType{pki.ECDSA, pki.RSA} {
		t.Run(string(kt), func(t *testing.T) { certmongerEnrolls(t, kt) })
	}
}

func certmongerEnrolls(t *testing.T, kt pki.KeyType) {
	certmonger := testtool.Find(t, "certmonger", "certmonger")
	getcert := testtool.Find(t, "getcert", "certmonger")
	session := testtool.Find(t, "dbus-run-session", "dbus")
	auth, err := pki.OpenAuthority(pki.AuthorityConfig{Dir: t.TempDir(), BaseMAC: "02AA000000C2", KeyType: kt, Policy: pki.PolicyOTP})
	if err != nil {
		t.Fatal(err)
	}
	log := &logBuffer{}
	srv, err := scepserver.New(auth, slogTo(log))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	_, secret, err := auth.AddPassword(time.Hour, "certmonger")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	env := os.Environ()
	for _, v := range []string{"CONFIG_DIR", "REQUESTS_DIR", "CAS_DIR", "LOCAL_CA_DIR", "TMPDIR"} {
		p := filepath.Join(dir, strings.ToLower(v))
		if err := os.MkdirAll(p, 0o700); err != nil {
			t.Fatal(err)
		}
		env = append(env, "CERTMONGER_"+v+"="+p)
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	// -w waits for each request to settle; the state lines are what the
	// test reads.
	script := fmt.Sprintf(`set -u
gc=%q
$gc add-scep-ca -s -c capstan -u %q
$gc request -s -c capstan -I wrong -f %q -k %q -N CN=CAP-02AA000000C3 -L not-the-password -w || true
echo "WRONG: $($gc list -s -i wrong | sed -n 's/^[[:space:]]*status: //p')"
$gc request -s -c capstan -I right -f %q -k %q -N CN=CAP-02AA000000C2 -L %q -w
echo "RIGHT: $($gc list -s -i right | sed -n 's/^[[:space:]]*status: //p')"
echo "SERIAL1: $(openssl x509 -noout -serial -in %q)"
$gc resubmit -s -i right -w
echo "RENEWED: $($gc list -s -i right | sed -n 's/^[[:space:]]*status: //p')"
echo "SERIAL2: $(openssl x509 -noout -serial -in %q)"
`, getcert, ts.URL+"/scep", filepath.Join(dir, "wrong.pem"), filepath.Join(dir, "wrong.key"), certFile, keyFile, secret, certFile, certFile)
	scriptFile := filepath.Join(dir, "run.sh")
	if err := os.WriteFile(scriptFile, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, session, "--", certmonger, "-s", "-n", "-c", "sh "+scriptFile)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	field := func(name string) string {
		for _, l := range strings.Split(string(out), "\n") {
			if v, ok := strings.CutPrefix(l, name+": "); ok {
				return strings.TrimSpace(v)
			}
		}
		return ""
	}
	if err != nil || field("RIGHT") != "MONITORING" {
		t.Fatalf("certmonger: %v\n%s\nserver log:\n%s", err, out, log)
	}
	if st := field("WRONG"); st == "MONITORING" || st == "" {
		t.Errorf("a wrong password left the request %q, want it refused", st)
	}
	s1, s2 := strings.ToLower(strings.TrimPrefix(field("SERIAL1"), "serial=")), strings.ToLower(strings.TrimPrefix(field("SERIAL2"), "serial="))
	if field("RENEWED") != "MONITORING" || s1 == "" || s1 == s2 {
		t.Fatalf("renewal: status %q, serial %s → %s\n%s\nserver log:\n%s", field("RENEWED"), s1, s2, out, log)
	}
	var got []string
	for _, r := range capCerts(auth) {
		got = append(got, fmt.Sprintf("%s/%s/superseded=%v", r.CommonName, r.Via, r.SupersededAt != nil))
	}
	if want := "CAP-02AA000000C2/scep/superseded=true CAP-02AA000000C2/renewal/superseded=false"; strings.Join(got, " ") != want {
		t.Errorf("issued %v, want %s", got, want)
	}
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pki.EncodeCertsPEM(auth.CA()), 0o644); err != nil {
		t.Fatal(err)
	}
	opensslVerify(t, ca, certFile)
	t.Logf("wrong password: %s; enrolled serial %s, renewed as %s", field("WRONG"), s1, s2)
}
