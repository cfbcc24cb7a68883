package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// entries unpacks one tar.gz into name → header and contents.
func entries(t *testing.T, b []byte) (map[string]*tar.Header, map[string][]byte) {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	hs, data := map[string]*tar.Header{}, map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return hs, data
		}
		if err != nil {
			t.Fatal(err)
		}
		hs[h.Name] = h
		data[h.Name], _ = io.ReadAll(tr)
	}
}

// TestAgentPackage builds capstan-agent from the repository's packaging
// tree and checks what opkg would install: the binary, the procd init
// script, the configuration as a conffile, the uci-defaults script, the
// DHCP hook and the sysupgrade keep list, with their modes.
func TestAgentPackage(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	dir := t.TempDir()
	bin := filepath.Join(dir, "capstan-agent")
	if err := os.WriteFile(bin, []byte("\x7fELF fake"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "dist")
	if err := build("capstan-agent", "mipsel_24kc", bin, "1.0-test", "../openwrt", out, "libdeflate"); err != nil {
		t.Fatal(err)
	}
	pkg, err := os.ReadFile(filepath.Join(out, "capstan-agent_1.0-test_mipsel_24kc.ipk"))
	if err != nil {
		t.Fatal(err)
	}
	_, outer := entries(t, pkg)
	hs, data := entries(t, outer["./data.tar.gz"])
	for name, mode := range map[string]int64{
		"./usr/sbin/capstan-agent":                   0o755,
		"./etc/init.d/capstan":                       0o755,
		"./etc/config/capstan":                       0o600,
		"./etc/uci-defaults/90-capstan-agent":        0o755,
		"./etc/udhcpc.user.d/capstan":                0o755,
		"./lib/upgrade/keep.d/capstan-agent":         0o644,
		"./etc/hotplug.d/button/50-capstan-cap-mode": 0o755,
		"./lib/capstan/reset-pressed":                0o755,
		"./lib/preinit/25_capstan_reset_held":        0o644,
		"./lib/preinit/95_capstan_cap_mode":          0o644,
	} {
		if h := hs[name]; h == nil || h.Mode != mode {
			t.Errorf("%s: %+v, want mode %o", name, h, mode)
		}
	}
	if !strings.Contains(string(data["./etc/init.d/capstan"]), "USE_PROCD=1") {
		t.Error("the init script is not a procd script")
	}
	_, control := entries(t, outer["./control.tar.gz"])
	if string(control["./conffiles"]) != "/etc/config/capstan\n" {
		t.Errorf("conffiles %q", control["./conffiles"])
	}
	for _, f := range []string{"Package: capstan-agent\n", "Version: 1.0-test\n", "Architecture: mipsel_24kc\n", "SourceDateEpoch: 1700000000\n"} {
		if !strings.Contains(string(control["./control"]), f) {
			t.Errorf("control lacks %q:\n%s", f, control["./control"])
		}
	}
	again := filepath.Join(dir, "again")
	if err := build("capstan-agent", "mipsel_24kc", bin, "1.0-test", "../openwrt", again, "libdeflate"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(again, "capstan-agent_1.0-test_mipsel_24kc.ipk")); !bytes.Equal(b, pkg) {
		t.Error("a second build gave other bytes")
	}
}

// TestAPKErrors: a version apk cannot order and a missing apk binary are
// refused with what to do, before anything is written.
func TestAPKErrors(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	dir := t.TempDir()
	bin := filepath.Join(dir, "capstan-agent")
	if err := os.WriteFile(bin, []byte("\x7fELF fake"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := buildAPK("/nonexistent/apk", "capstan-agent", "mipsel_24kc", bin, "1.0-test", "../openwrt", dir)
	if err == nil || !strings.Contains(err.Error(), `"1.0-test"`) {
		t.Errorf("version 1.0-test: %v, want it refused as not apk's form", err)
	}
	err = buildAPK("/nonexistent/apk", "capstan-agent", "mipsel_24kc", bin, "v1.0.0", "../openwrt", dir)
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/apk") {
		t.Errorf("no apk binary: %v, want an error naming it", err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*.apk")); len(m) != 0 {
		t.Errorf("wrote %v", m)
	}
}

// capstan-agent-scep is the helper binary alone, depending on the agent.
func TestAgentSCEPPackage(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	dir := t.TempDir()
	bin := filepath.Join(dir, "capstan-agent-scep")
	if err := os.WriteFile(bin, []byte("\x7fELF fake"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := build("capstan-agent-scep", "mipsel_24kc", bin, "1.0-test", "../openwrt", dir, "go"); err != nil {
		t.Fatal(err)
	}
	pkg, err := os.ReadFile(filepath.Join(dir, "capstan-agent-scep_1.0-test_mipsel_24kc.ipk"))
	if err != nil {
		t.Fatal(err)
	}
	_, outer := entries(t, pkg)
	hs, _ := entries(t, outer["./data.tar.gz"])
	var files []string
	for name, h := range hs {
		if h.Typeflag == tar.TypeReg {
			files = append(files, name)
		}
	}
	if len(files) != 1 || files[0] != "./usr/sbin/capstan-agent-scep" || hs[files[0]].Mode != 0o755 {
		t.Errorf("files %v, want ./usr/sbin/capstan-agent-scep alone, 0755", files)
	}
	_, control := entries(t, outer["./control.tar.gz"])
	if !strings.Contains(string(control["./control"]), "Depends: libc, capstan-agent\n") {
		t.Errorf("control:\n%s", control["./control"])
	}
	if _, ok := control["./conffiles"]; ok {
		t.Error("conffiles in a package without configuration")
	}
}
