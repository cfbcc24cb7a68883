// Package apk makes capstan's packages for OpenWrt 25.12 and later, whose
// package manager is apk v3. It lays the package out as OpenWrt's
// include/package-pack.mk does (the files, lib/apk/packages/<name>.list,
// .conffiles and .conffiles_static, and post-install, post-upgrade and
// pre-deinstall scripts that hand over to base-files' default_postinst and
// default_prerm) and packs it with apk-tools' own `apk mkpkg`, as
// OpenWrt's build does: capstan does not write apk's ADB format itself.
package apk

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/capstan-wifi/capstan/packaging/ipk"
)

// Package is what goes into one .apk.
type Package struct {
	Name    string
	Version string // apk's form: see Version
	Arch    string // OpenWrt's package architecture, e.g. mipsel_24kc
	Depends []string
	// Description is one line (apk shows it as one).
	Description                      string
	License, Origin, URL, Maintainer string
	// Conffiles are files apk keeps when the user changed them; each must
	// be one of Files.
	Conffiles []string
	Files     []ipk.File
	// SourceDateEpoch is every file's modification time.
	SourceDateEpoch int64
}

var (
	nameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.+-]*$`) // apk-package(5)
	archRE = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
)

// Build packs the package into out with the apk-tools binary tool. apk
// mkpkg records each file's owner by name: unless this process is root,
// it runs under fakeroot so that the files are root's, as on the AP.
func (p *Package) Build(tool, out string) error {
	dir, err := os.MkdirTemp("", "capstan-apk-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	args, err := p.stage(dir)
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	args = append(args, "--output", abs)
	name := tool
	if os.Geteuid() != 0 {
		fr, err := exec.LookPath("fakeroot")
		if err != nil {
			return errors.New("apk: apk mkpkg records file owners: run as root or install fakeroot")
		}
		name, args = fr, append([]string{tool}, args...)
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("apk: %s mkpkg: %v\n%s", tool, err, b)
	}
	return nil
}

// stage lays the package out under dir (root/ and scripts/) and returns
// the arguments of apk for packing it, but for the output.
func (p *Package) stage(dir string) ([]string, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	root := filepath.Join(dir, "root")
	mtime := time.Unix(p.SourceDateEpoch, 0)
	var list []string
	for _, f := range p.Files {
		list = append(list, f.Path)
		if err := writeFile(root, f.Path, f.Data, f.Mode.Perm(), mtime); err != nil {
			return nil, err
		}
	}
	// The list is written before the conffiles files, so it holds the
	// package's own files only, as package-pack.mk's find does.
	meta := "/lib/apk/packages/" + p.Name
	slices.Sort(list)
	if err := writeFile(root, meta+".list", []byte(strings.Join(list, "\n")+"\n"), 0o644, mtime); err != nil {
		return nil, err
	}
	if len(p.Conffiles) > 0 {
		cf := slices.Sorted(slices.Values(p.Conffiles))
		var static strings.Builder
		for _, c := range cf {
			i := slices.IndexFunc(p.Files, func(f ipk.File) bool { return f.Path == c })
			sum := sha256.Sum256(p.Files[i].Data)
			static.WriteString(c + " " + hex.EncodeToString(sum[:]) + "\n")
		}
		if err := writeFile(root, meta+".conffiles", []byte(strings.Join(cf, "\n")+"\n"), 0o644, mtime); err != nil {
			return nil, err
		}
		if err := writeFile(root, meta+".conffiles_static", []byte(static.String()), 0o644, mtime); err != nil {
			return nil, err
		}
	}
	if err := setDirTimes(root, mtime); err != nil {
		return nil, err
	}
	args := []string{"--compression", "deflate:9", "mkpkg"}
	for _, kv := range [][2]string{
		{"name", p.Name}, {"version", p.Version}, {"description", p.Description}, {"arch", p.Arch},
		{"license", p.License}, {"origin", p.Origin}, {"url", p.URL}, {"maintainer", p.Maintainer},
		{"depends", strings.Join(p.Depends, " ")},
	} {
		if kv[1] != "" {
			args = append(args, "--info", kv[0]+":"+kv[1])
		}
	}
	for _, s := range []struct{ kind, text string }{
		{"post-install", p.postInstall()},
		{"post-upgrade", "#!/bin/sh\nexport PKG_UPGRADE=1\n" + strings.TrimPrefix(p.postInstall(), "#!/bin/sh\n")},
		{"pre-deinstall", p.preDeinstall()},
	} {
		file := filepath.Join(dir, "scripts", s.kind)
		if err := writeFile(dir, "/scripts/"+s.kind, []byte(s.text), 0o755, mtime); err != nil {
			return nil, err
		}
		args = append(args, "--script", s.kind+":"+file)
	}
	return append(args, "--files", root), nil
}

func (p *Package) check() error {
	if !nameRE.MatchString(p.Name) {
		return fmt.Errorf("apk: package name %q: want [a-zA-Z0-9_.+-], starting with a letter or digit", p.Name)
	}
	if !validVersion(p.Version) {
		return fmt.Errorf("apk: version %q is not in apk's form (number{.number}{letter}{_suffix{number}}{~hash}{-r#})", p.Version)
	}
	if !archRE.MatchString(p.Arch) {
		return fmt.Errorf("apk: architecture %q: want letters, digits, _ and -", p.Arch)
	}
	if strings.ContainsAny(p.Description, "\n\r") {
		return errors.New("apk: the description must be one line")
	}
	for _, f := range p.Files {
		if !path.IsAbs(f.Path) || path.Clean(f.Path) != f.Path || f.Path == "/" {
			return fmt.Errorf("apk: file path %q: want a clean absolute path", f.Path)
		}
		if strings.HasPrefix(f.Path, "/lib/apk/") {
			return fmt.Errorf("apk: file %s: /lib/apk/ is the package manager's", f.Path)
		}
	}
	for _, c := range p.Conffiles {
		if !slices.ContainsFunc(p.Files, func(f ipk.File) bool { return f.Path == c }) {
			return fmt.Errorf("apk: conffile %s is not in the package", c)
		}
	}
	return nil
}

// postInstall and preDeinstall are the scripts package-pack.mk writes for
// a package without scripts of its own.
func (p *Package) postInstall() string {
	return "#!/bin/sh\n" +
		"[ \"${IPKG_NO_SCRIPT}\" = \"1\" ] && exit 0\n" +
		"[ -s ${IPKG_INSTROOT}/lib/functions.sh ] || exit 0\n" +
		". ${IPKG_INSTROOT}/lib/functions.sh\n" +
		"export root=\"${IPKG_INSTROOT}\"\n" +
		"export pkgname=\"" + p.Name + "\"\n" +
		"add_group_and_user\n" +
		"default_postinst\n"
}

func (p *Package) preDeinstall() string {
	return "#!/bin/sh\n" +
		"[ -s ${IPKG_INSTROOT}/lib/functions.sh ] || exit 0\n" +
		". ${IPKG_INSTROOT}/lib/functions.sh\n" +
		"export root=\"${IPKG_INSTROOT}\"\n" +
		"export pkgname=\"" + p.Name + "\"\n" +
		"default_prerm\n"
}

// writeFile writes data at the absolute target path under root.
func writeFile(root, target string, data []byte, mode os.FileMode, mtime time.Time) error {
	dst := filepath.Join(root, filepath.FromSlash(target))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(dst, data, mode); err != nil {
		return err
	}
	if err := os.Chmod(dst, mode); err != nil { // not the umask's
		return err
	}
	return os.Chtimes(dst, mtime, mtime)
}

// setDirTimes gives every directory under root the time and mode 0755.
func setDirTimes(root string, mtime time.Time) error {
	return filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if err := os.Chmod(p, 0o755); err != nil {
			return err
		}
		return os.Chtimes(p, mtime, mtime)
	})
}
