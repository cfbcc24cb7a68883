package tests

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/capstan-wifi/capstan/internal/testtool"
)

// TestNetnsDebianPackage builds capstan-manager_<version>_amd64.deb twice
// (the same bytes), checks it with lintian and its unit with
// systemd-analyze verify, installs it with dpkg -i, and purges it. It is in
// the root tier because it installs into this machine.
func TestNetnsDebianPackage(t *testing.T) {
	requireNetns(t, "dpkg-deb", "lintian", "systemd-analyze", "dpkg")
	if _, err := os.Stat("/var/lib/dpkg/info/capstan-manager.list"); err == nil {
		// Never replace an installation this test did not make; in CI
		// (CAPSTAN_REQUIRE_TOOLS) that machine cannot run the test at all.
		if testtool.Required() {
			t.Fatal("capstan-manager is installed on this machine: the package test would replace it")
		}
		t.Skip("capstan-manager is installed on this machine: not touching it")
	}
	build := func(name string) string {
		dist, root := filepath.Join(t.TempDir(), name), filepath.Join(t.TempDir(), "root")
		cmd := exec.Command("bash", "../scripts/deb.sh", "amd64", "0~test1")
		cmd.Env = append(os.Environ(), "DIST="+dist, "DEB_ROOT="+root, "SOURCE_DATE_EPOCH=1700000000")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("deb.sh: %v\n%s", err, out)
		}
		return filepath.Join(dist, "capstan-manager_0~test1_amd64.deb")
	}
	deb := build("a")
	first, _ := os.ReadFile(deb)
	if again, _ := os.ReadFile(build("b")); !bytes.Equal(first, again) {
		t.Error("two builds of the .deb differ")
	}
	if out, err := exec.Command("lintian", "--fail-on", "error,warning", deb).CombinedOutput(); err != nil {
		t.Errorf("lintian: %v\n%s", err, out)
	}

	// The unit, verified against this machine's systemd units.
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-a", "/lib/systemd", filepath.Join(root, "lib")+"/").CombinedOutput(); err != nil {
		t.Fatalf("copy systemd units: %v %s", err, out)
	}
	if out, err := exec.Command("dpkg-deb", "-x", deb, root).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb -x: %v %s", err, out)
	}
	unit := filepath.Join(root, "lib/systemd/system/capstan-manager.service")
	if out, err := exec.Command("systemd-analyze", "verify", "--root="+root, unit).CombinedOutput(); err != nil {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	b, _ := os.ReadFile(unit)
	for _, want := range []string{"DynamicUser=yes", "StateDirectory=capstan-manager", "ProtectSystem=strict", "CapabilityBoundingSet=\n", "NoNewPrivileges=yes"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("unit lacks %q", want)
		}
	}

	// Installed for real, then purged.
	t.Cleanup(func() { _ = exec.Command("dpkg", "--purge", "capstan-manager").Run() })
	if out, err := exec.Command("dpkg", "-i", deb).CombinedOutput(); err != nil {
		t.Fatalf("dpkg -i: %v\n%s", err, out)
	}
	if out, _ := exec.Command("dpkg-query", "-W", "-f", "${Status} ${Version}", "capstan-manager").Output(); string(out) != "install ok installed 0~test1" {
		t.Errorf("dpkg-query: %q", out)
	}
	if out, err := exec.Command("/usr/sbin/capstan-manager", "--version").CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "capstan-manager ") {
		t.Errorf("installed capstan-manager --version: %q %v", out, err)
	}
	if _, err := os.Lstat("/etc/systemd/system/multi-user.target.wants/capstan-manager.service"); err != nil {
		t.Errorf("the service was not enabled: %v", err)
	}
	if out, err := exec.Command("dpkg", "--purge", "capstan-manager").CombinedOutput(); err != nil {
		t.Fatalf("dpkg --purge: %v\n%s", err, out)
	}
	for _, f := range []string{"/usr/sbin/capstan-manager", "/lib/systemd/system/capstan-manager.service", "/etc/default/capstan-manager",
		"/etc/systemd/system/multi-user.target.wants/capstan-manager.service"} {
		if _, err := os.Lstat(f); !os.IsNotExist(err) {
			t.Errorf("%s after purge: %v", f, err)
		}
	}
}
