// Command mkipk builds capstan's OpenWrt packages (`make packages`):
// capstan-agent, capstan-agent-scep and capstan-manager for one OpenWrt
// package architecture, from a cross-built binary and the files under
// packaging/openwrt/<name> (if any), as .ipk (opkg, OpenWrt up to 24.10) and, given apk-tools' apk binary,
// also as .apk (OpenWrt 25.12 and later).
//
//	go run ./packaging/mkipk --package capstan-agent --arch mipsel_24kc \
//	    --binary bin/linux-mipsle/capstan-agent --version 1.0 --out dist/ \
//	    [--apk /path/to/apk]
//
// The entries' time is SOURCE_DATE_EPOCH (default: the last commit's), so
// the same sources give the same bytes.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/capstan-wifi/capstan/packaging/apk"
	"github.com/capstan-wifi/capstan/packaging/ipk"
)

// descriptions of the packages.
var packages = map[string]struct {
	description string
	conffiles   []string
	depends     []string // besides libc
}{
	"capstan-agent": {
		description: "capstan CAP agent: finds a capstan manager (DHCP option 138, broadcast,\n" +
			"layer 2 or configured addresses), enrolls for a certificate over CAPWAP/DTLS,\n" +
			"locks to that manager and runs this AP's radios as it says.",
		conffiles: []string{"/etc/config/capstan"},
	},
	"capstan-agent-scep": {
		description: "capstan CAP agent's SCEP enrollment: for CAPs whose certificate comes from a\n" +
			"SCEP server (certificate scep, scep_url) rather than from the manager.",
		depends: []string{"capstan-agent"},
	},
	"capstan-manager": {
		description: "capstan manager: provisions capstan CAPs from rules and profiles over\n" +
			"CAPWAP/DTLS, with its own PKI, adoption, access list and a REST API.",
		conffiles: []string{"/etc/config/capstan-manager"},
	},
}

func main() {
	name := flag.String("package", "", "capstan-agent, capstan-agent-scep or capstan-manager")
	arch := flag.String("arch", "", "OpenWrt package architecture (mipsel_24kc, aarch64_cortex-a53, ...)")
	binary := flag.String("binary", "", "the cross-built binary")
	version := flag.String("version", "", "package version (the binary's)")
	files := flag.String("files", "packaging/openwrt", "directory with a tree per package")
	out := flag.String("out", "dist", "output directory")
	gz := flag.String("gzip", "libdeflate", "gzip of the data tar: libdeflate (libdeflate-gzip -12) or go (compress/gzip)")
	apkTool := flag.String("apk", "", "apk-tools' apk binary: also build the .apk with its mkpkg")
	flag.Parse()
	err := build(*name, *arch, *binary, *version, *files, *out, *gz)
	if err == nil && *apkTool != "" {
		err = buildAPK(*apkTool, *name, *arch, *binary, *version, *files, *out)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkipk:", err)
		os.Exit(1)
	}
}

func build(name, arch, binary, version, files, out, gz string) error {
	gzips := map[string]func([]byte) ([]byte, error){"libdeflate": ipk.Libdeflate, "go": nil}
	gzip, ok := gzips[gz]
	if !ok {
		return fmt.Errorf("--gzip %q: want libdeflate or go", gz)
	}
	p, err := contents(name, arch, binary, version, files)
	if err != nil {
		return err
	}
	p.Gzip = gzip
	pkg, err := p.Build()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	dst := filepath.Join(out, p.FileName())
	if err := os.WriteFile(dst, pkg, 0o644); err != nil {
		return err
	}
	fmt.Printf("%s %d\n", dst, len(pkg))
	return nil
}

// contents is the package name for arch: its fields, the binary and the
// files of its tree.
func contents(name, arch, binary, version, files string) (*ipk.Package, error) {
	spec, ok := packages[name]
	if !ok {
		return nil, fmt.Errorf("--package %q: want capstan-agent, capstan-agent-scep or capstan-manager", name)
	}
	epoch, err := sourceDateEpoch()
	if err != nil {
		return nil, err
	}
	bin, err := os.ReadFile(binary)
	if err != nil {
		return nil, err
	}
	p := &ipk.Package{
		Name: name, Version: version, Arch: arch, Depends: append([]string{"libc"}, spec.depends...),
		Source: "feeds/capstan/capstan", SourceName: "capstan", Section: "net",
		URL: "https://github.com/capstan-wifi/capstan", Maintainer: "capstan developers",
		Description: spec.description, Conffiles: spec.conffiles, SourceDateEpoch: epoch,
		Files: []ipk.File{{Path: "/usr/sbin/" + name, Mode: 0o755, Data: bin}},
	}
	root := filepath.Join(files, strings.TrimPrefix(name, "capstan-"))
	if _, err := os.Stat(root); errors.Is(err, fs.ErrNotExist) {
		return p, nil // the binary only
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		target := "/" + filepath.ToSlash(rel)
		p.Files = append(p.Files, ipk.File{Path: target, Mode: modeOf(target, b), Data: b})
		return nil
	})
	return p, err
}

// buildAPK writes the same package as an .apk, named as the .ipk (the
// name the manager's upgrade policy looks for), its version in apk's form.
func buildAPK(tool, name, arch, binary, version, files, out string) error {
	p, err := contents(name, arch, binary, version, files)
	if err != nil {
		return err
	}
	v, err := apk.Version(version, p.SourceDateEpoch)
	if err != nil {
		return err
	}
	a := &apk.Package{
		Name: p.Name, Version: v, Arch: p.Arch, Depends: p.Depends,
		Description: strings.Join(strings.Fields(p.Description), " "),
		License:     p.License, Origin: p.Source, URL: p.URL, Maintainer: p.Maintainer,
		Conffiles: p.Conffiles, Files: p.Files, SourceDateEpoch: p.SourceDateEpoch,
	}
	dst := filepath.Join(out, strings.TrimSuffix(p.FileName(), ".ipk")+".apk")
	if err := a.Build(tool, dst); err != nil {
		return err
	}
	fi, err := os.Stat(dst)
	if err != nil {
		return err
	}
	fmt.Printf("%s %d (%s)\n", dst, fi.Size(), v)
	return nil
}

// modeOf decides a file's mode by what it is, not by the checkout's
// umask: scripts run, configuration (which may hold a one-time password)
// is the owner's, the rest is readable.
func modeOf(path string, b []byte) fs.FileMode {
	switch {
	case strings.HasPrefix(path, "/etc/config/"):
		return 0o600
	case strings.HasPrefix(string(b), "#!"):
		return 0o755
	}
	return 0o644
}

// sourceDateEpoch is SOURCE_DATE_EPOCH, else the last commit's time.
func sourceDateEpoch() (int64, error) {
	if v := os.Getenv("SOURCE_DATE_EPOCH"); v != "" {
		return strconv.ParseInt(v, 10, 64)
	}
	out, err := exec.Command("git", "log", "-1", "--format=%ct").Output()
	if err != nil {
		return 0, fmt.Errorf("SOURCE_DATE_EPOCH unset and no git commit time: %v", err)
	}
	return strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
}
