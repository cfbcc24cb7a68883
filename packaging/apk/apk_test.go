package apk

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/capstan-wifi/capstan/packaging/ipk"
)

func TestVersion(t *testing.T) {
	const at = 1796456100 // 2026-12-05 07:35:00 UTC
	for _, c := range []struct{ in, want string }{
		{"v1.2.3", "1.2.3-r0"},
		{"v1.2.3-5-gabc1234", "1.2.3_git5~abc1234-r0"},
		{"v1.2.3-5-gabc1234-dirty", "1.2.3_git5_p1~abc1234-r0"},
		{"v2-dirty", "2_p1-r0"},
		{"85d7ffc", "0_git20261205073500~85d7ffc-r0"},
		{"1234567", "0_git20261205073500~1234567-r0"}, // a commit, not version 1234567
		{"85d7ffc-dirty", "0_git20261205073500_p1~85d7ffc-r0"},
		{"1.0_rc2-r3", "1.0_rc2-r3"},
	} {
		got, err := Version(c.in, at)
		if err != nil || got != c.want {
			t.Errorf("Version(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
		if !validVersion(got) {
			t.Errorf("Version(%q) = %q: not in apk's form", c.in, got)
		}
	}
	for _, bad := range []string{"dev", "1.0-test", "v1.2.3-5-gXYZ", "", "1.2.3-r", "1.2_foo1"} {
		if got, err := Version(bad, at); err == nil {
			t.Errorf("Version(%q) = %q, want an error", bad, got)
		}
	}
}

func testPackage() *Package {
	return &Package{
		Name: "capstan-agent", Version: "1.2.3-r0", Arch: "mipsel_24kc", Depends: []string{"libc"},
		Description: "capstan CAP agent", License: "Apache-2.0", Origin: "feeds/capstan/capstan",
		URL: "https://example.org", Maintainer: "m", Conffiles: []string{"/etc/config/capstan"},
		SourceDateEpoch: 1700000000,
		Files: []ipk.File{
			{Path: "/usr/sbin/capstan-agent", Mode: 0o755, Data: []byte("\x7fELF")},
			{Path: "/etc/config/capstan", Mode: 0o600, Data: []byte("config agent 'agent'\n")},
			{Path: "/etc/init.d/capstan", Mode: 0o755, Data: []byte("#!/bin/sh /etc/rc.common\n")},
		},
	}
}

// TestStage checks the tree and arguments apk mkpkg gets: the files with
// their modes and time, the list, conffiles and conffiles_static of
// package-pack.mk, and the scripts that hand over to base-files.
func TestStage(t *testing.T) {
	dir := t.TempDir()
	args, err := testPackage().stage(dir)
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "root")
	for path, mode := range map[string]os.FileMode{
		"usr/sbin/capstan-agent": 0o755, "etc/config/capstan": 0o600, "etc/init.d/capstan": 0o755,
		"lib/apk/packages/capstan-agent.list": 0o644, "usr/sbin": 0o755,
	} {
		fi, err := os.Stat(filepath.Join(root, path))
		if err != nil || fi.Mode().Perm() != mode || fi.ModTime().Unix() != 1700000000 {
			t.Errorf("%s: %v %v, want mode %o at 1700000000", path, fi.Mode(), err, mode)
		}
	}
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if l := read("lib/apk/packages/capstan-agent.list"); l != "/etc/config/capstan\n/etc/init.d/capstan\n/usr/sbin/capstan-agent\n" {
		t.Errorf("list %q", l)
	}
	if c := read("lib/apk/packages/capstan-agent.conffiles"); c != "/etc/config/capstan\n" {
		t.Errorf("conffiles %q", c)
	}
	sum := sha256.Sum256([]byte("config agent 'agent'\n"))
	if s := read("lib/apk/packages/capstan-agent.conffiles_static"); s != "/etc/config/capstan "+hex.EncodeToString(sum[:])+"\n" {
		t.Errorf("conffiles_static %q", s)
	}
	for _, want := range []string{"name:capstan-agent", "version:1.2.3-r0", "arch:mipsel_24kc", "depends:libc", "mkpkg", "deflate:9"} {
		if !slices.Contains(args, want) {
			t.Errorf("args %q: no %q", args, want)
		}
	}
	if i := slices.Index(args, "--files"); i < 0 || args[i+1] != root {
		t.Errorf("args %q: want --files %s", args, root)
	}
	script := func(kind string) string {
		i := slices.Index(args, "--script")
		for ; i >= 0 && i+1 < len(args); i++ {
			if v, ok := strings.CutPrefix(args[i+1], kind+":"); ok && args[i] == "--script" {
				b, err := os.ReadFile(v)
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
		}
		t.Fatalf("no %s script in %q", kind, args)
		return ""
	}
	pi := script("post-install")
	for _, want := range []string{"export pkgname=\"capstan-agent\"\n", "add_group_and_user\ndefault_postinst\n", ". ${IPKG_INSTROOT}/lib/functions.sh\n"} {
		if !strings.Contains(pi, want) {
			t.Errorf("post-install: no %q in\n%s", want, pi)
		}
	}
	if pu := script("post-upgrade"); !strings.HasPrefix(pu, "#!/bin/sh\nexport PKG_UPGRADE=1\n[ \"${IPKG_NO_SCRIPT}\"") || !strings.HasSuffix(pu, "default_postinst\n") {
		t.Errorf("post-upgrade:\n%s", pu)
	}
	if pd := script("pre-deinstall"); !strings.HasSuffix(pd, "export pkgname=\"capstan-agent\"\ndefault_prerm\n") {
		t.Errorf("pre-deinstall:\n%s", pd)
	}
}

func TestStageRefuses(t *testing.T) {
	for name, change := range map[string]func(*Package){
		"version":           func(p *Package) { p.Version = "1.0-test" },
		"name":              func(p *Package) { p.Name = "-x" },
		"arch":              func(p *Package) { p.Arch = "mips el" },
		"description":       func(p *Package) { p.Description = "two\nlines" },
		"conffile":          func(p *Package) { p.Conffiles = []string{"/etc/config/other"} },
		"path":              func(p *Package) { p.Files[0].Path = "usr/sbin/x" },
		"package manager's": func(p *Package) { p.Files[0].Path = "/lib/apk/db/installed" },
	} {
		p := testPackage()
		change(p)
		if _, err := p.stage(t.TempDir()); err == nil {
			t.Errorf("%s: staged, want an error", name)
		}
	}
}
