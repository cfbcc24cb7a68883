package agent

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const sampleUCI = `
# /etc/config/capstan
config agent 'main'
	option enabled '1'
	list interfaces 'radio0'
	list interfaces "radio1"
	list discovery_interfaces 'br-lan'
	list manager_addresses '192.0.2.1'
	list manager_addresses 'core.example.net:5246'
	list manager_names 'core'
	list manager_certificate_common_names 'capstan-02AABBCCDDEE'
	option lock_to_manager '1'
	option certificate 'none'
	option manager_ca_fingerprint 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89'
	option bridge 'br-lan'
	option manager_timeout '1.5'

config other 'x'
	option identity 'ignored'
`

func TestReadUCI(t *testing.T) {
	c := DefaultConfig()
	if err := c.ReadUCI(strings.NewReader(sampleUCI)); err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig()
	want.Interfaces = []string{"radio0", "radio1"}
	want.DiscoveryInterfaces = []string{"br-lan"}
	want.ManagerAddresses = []string{"192.0.2.1", "core.example.net:5246"}
	want.ManagerNames = []string{"core"}
	want.ManagerCertificateCommonNames = []string{"capstan-02AABBCCDDEE"}
	want.LockToManager = true
	want.Certificate = CertificateNone
	want.ManagerCAFingerprint = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
	want.Bridge = "br-lan"
	want.ManagerTimeout = 1500 * time.Millisecond
	if diff := cmp.Diff(want, c, cmp.FilterPath(func(p cmp.Path) bool {
		return p.String() == "HAL" || p.String() == "Logger"
	}, cmp.Ignore())); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}

func TestReadUCIErrors(t *testing.T) {
	for _, tc := range []struct{ in, err string }{
		{"config agent 'main'\n\toption enabled 'maybe'\n", `enabled: "maybe" is not a boolean`},
		{"config agent 'main'\n\toption base_mac 'zz'\n", `base_mac: "zz" is not a MAC address`},
		{"config agent 'main'\n\toption manager_timeout '0.1'\n", "manager_timeout"},
		{"config agent 'main'\n\tlist discovery 'carrier-pigeon'\n", `unknown method "carrier-pigeon"`},
		{"config agent 'main'\n\toption certificate 'auto'\n", "want none, request or scep"},
		{"config agent 'main'\n\toption scep_url 'ftp://x/'\n", "not an http(s) URL"},
		{"config agent 'main'\n\toption manager_ca_fingerprint 'abcd'\n", "not a SHA-256 fingerprint"},
		{"config agent 'main'\n\toption frobnicate '1'\n", `unknown option "frobnicate"`},
		{"option enabled '1'\n", "line 1: option/list command found before the first section"},
		{"config agent 'main\n", "line 1: EOF with unterminated '"},
		{"config agent 'main'\n\tfrob x y\n", "line 2: invalid command"},
		{"config other 'x'\n", "no `config agent` section"},
		{"config agent 'main'\n\toption manager 'a' 'b'\n", "line 2: too many arguments"},
	} {
		c := DefaultConfig()
		err := c.ReadUCI(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ReadUCI(%q) = %v, want an error containing %q", tc.in, err, tc.err)
		}
	}
}

func TestSetListsAppendAndSplit(t *testing.T) {
	c := DefaultConfig()
	for _, kv := range [][2]string{{"manager_addresses", "10.0.0.1,10.0.0.2"}, {"manager_addresses", "10.0.0.3"}} {
		if err := c.Set(kv[0], kv[1], len(c.ManagerAddresses) > 0); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}, c.ManagerAddresses); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if err := c.Set("manager_addresses", "10.9.9.9", false); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"10.9.9.9"}, c.ManagerAddresses); diff != "" {
		t.Errorf("a flag replaces the file's list (-want +got):\n%s", diff)
	}
	if err := c.Set("base_mac", "02:aa:bb:cc:dd:ee", false); err != nil || c.BaseMAC.String() != "02:aa:bb:cc:dd:ee" {
		t.Errorf("base_mac: %v %v", c.BaseMAC, err)
	}
}

func TestFinishNeedsAWayToTheManager(t *testing.T) {
	c := DefaultConfig()
	c.HAL = nil
	if err := c.finish(); err == nil || !strings.Contains(err.Error(), "no way to find a manager") {
		t.Errorf("finish = %v", err)
	}
	c.ManagerAddresses = []string{"192.0.2.1"}
	if err := c.finish(); err == nil || !strings.Contains(err.Error(), "no radio HAL") {
		t.Errorf("finish = %v", err)
	}
}

// certificate=scep without capstan-agent-scep installed is refused at
// start, naming the package to install.
func TestFinishSCEPNeedsItsHelper(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	c := DefaultConfig()
	c.ManagerAddresses = []string{"192.0.2.1"}
	c.Certificate, c.ScepURL = CertificateSCEP, "http://192.0.2.1:5248/scep"
	if err := c.finish(); err == nil || !strings.Contains(err.Error(), "certificate=scep: capstan-agent-scep is not installed: SCEP enrollment needs the capstan-agent-scep package") {
		t.Errorf("finish = %v", err)
	}
}
