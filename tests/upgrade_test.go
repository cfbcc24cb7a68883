package tests

import (
	"bytes"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/agent"
	"github.com/capstan-wifi/capstan/manager/controlplane"
	"github.com/capstan-wifi/capstan/packaging/agentbuild"
)

// TestUpgradeByImageData runs the upgrade policy over loopback: a CAP on
// another version gets the manager's package by CAPWAP Image Data, checks
// it and hands it to its package manager (a stand-in command here), and
// its agent ends to be restarted; the same CAP back on its old version is
// refused under require-same-version with the reason; a CAP for whose
// architecture there is no package joins under suggest-same-version.
func TestUpgradeByImageData(t *testing.T) {
	pkgDir, installed := t.TempDir(), t.TempDir()
	pkg := make([]byte, 300*1024+77) // not a multiple of the 1024-byte blocks
	rand.Read(pkg)
	if err := os.WriteFile(filepath.Join(pkgDir, "capstan-agent_9.9.9_testarch.ipk"), pkg, 0o644); err != nil {
		t.Fatal(err)
	}
	srv, addr, _ := startManagerWith(t, "core", func(c *controlplane.Config) { c.Version = "9.9.9" })
	configure(t, srv, "manager set upgrade-policy=require-same-version package-path="+pkgDir)
	runDir := t.TempDir()
	upgradable := func(install string) func(*agent.Config) {
		return func(c *agent.Config) {
			c.ManagerAddresses, c.Discovery = []string{addr}, nil
			c.RunDir = runDir
			c.PackageManager, c.PackageArch = "opkg", "testarch"
			c.InstallCommand = []string{"sh", "-c", install}
		}
	}
	a, _ := startAgent(t, 1, upgradable(`cp "$0" `+installed+`/got.ipk`))
	waitFor(t, 20*time.Second, "the agent to upgrade", func() bool { return a.Status().State == "upgraded" })
	got, err := os.ReadFile(filepath.Join(installed, "got.ipk"))
	if err != nil || !bytes.Equal(got, pkg) {
		t.Fatalf("installed package: %d bytes (%v), want the %d bytes offered", len(got), err, len(pkg))
	}
	if left, _ := filepath.Glob(filepath.Join(runDir, "upgrade", "*")); len(left) > 0 {
		t.Errorf("downloaded files left behind: %v", left)
	}

	// The same CAP comes back on its old version (say its install failed):
	// under require-same-version it is refused, and told why.
	b, _ := startAgent(t, 1, upgradable("exit 1"))
	waitFor(t, 10*time.Second, "the refusal", func() bool {
		return strings.Contains(b.Status().LastError, "did not upgrade to 9.9.9 when last offered")
	})
	if len(srv.RemoteCaps()) != 0 {
		t.Errorf("a refused CAP is in the remote-cap table: %+v", srv.RemoteCaps())
	}

	// No package for its architecture: suggest-same-version lets it run.
	configure(t, srv, "manager set upgrade-policy=suggest-same-version")
	c, _ := startAgent(t, 2, func(c *agent.Config) {
		upgradable("exit 1")(c)
		c.PackageArch = "otherarch"
	})
	waitFor(t, 10*time.Second, "the CAP without a package to run", func() bool { return c.Status().State == "run" })
	if v := srv.RemoteCaps()[0].Version; v == "9.9.9" {
		t.Errorf("remote-cap version %q", v)
	}
}

// TestUpgradeDeliversItsOwnPackage: the upgrade policy delivers a package
// that packaging/mkipk (`make packages`) built from a real agent binary of
// the manager's version; the CAP's install command unpacks it as opkg
// does (data.tar.gz into the root), and the binary it installed says the
// manager's version.
func TestUpgradeDeliversItsOwnPackage(t *testing.T) {
	work, pkgDir, root := t.TempDir(), t.TempDir(), t.TempDir()
	agentBin := filepath.Join(work, "capstan-agent")
	// Built as `make packages` builds it (packaging/agentbuild), for this host.
	build := agentbuild.Command("go", ".", agentBin, "-X github.com/capstan-wifi/capstan/internal/buildinfo.Version=9.9.9")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	mk := exec.Command("go", "run", "../packaging/mkipk", "--package", "capstan-agent", "--arch", "testarch",
		"--binary", agentBin, "--version", "9.9.9", "--files", "../packaging/openwrt", "--out", pkgDir)
	mk.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=1700000000")
	if out, err := mk.CombinedOutput(); err != nil {
		t.Fatalf("mkipk: %v\n%s", err, out)
	}
	srv, addr, _ := startManagerWith(t, "core", func(c *controlplane.Config) { c.Version = "9.9.9" })
	configure(t, srv, "manager set upgrade-policy=require-same-version package-path="+pkgDir)
	a, _ := startAgent(t, 1, func(c *agent.Config) {
		c.ManagerAddresses, c.Discovery = []string{addr}, nil
		c.RunDir = t.TempDir()
		c.PackageManager, c.PackageArch = "opkg", "testarch"
		// What opkg does with the payload: data.tar.gz unpacked into /.
		c.InstallCommand = []string{"sh", "-c", `tar -xzOf "$0" ./data.tar.gz | tar -xzf - -C ` + root}
	})
	waitFor(t, 30*time.Second, "the agent to upgrade", func() bool { return a.Status().State == "upgraded" })
	out, err := exec.Command(filepath.Join(root, "usr/sbin/capstan-agent"), "--version").Output()
	if err != nil || !strings.Contains(string(out), "9.9.9") {
		t.Fatalf("installed agent --version: %q %v", out, err)
	}
	for _, f := range []string{"etc/init.d/capstan", "etc/config/capstan", "etc/hotplug.d/button/50-capstan-cap-mode"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Errorf("%s not installed: %v", f, err)
		}
	}
}
