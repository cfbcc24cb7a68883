// Package ipk writes OpenWrt .ipk packages the way OpenWrt's build does
// (include/package-pack.mk and scripts/ipkg-build): a gzip'd tar of
// ./debian-binary, ./data.tar.gz and ./control.tar.gz; GNU tar entries
// sorted by name, numeric owner root, one modification time; the control
// fields package-pack.mk writes, Installed-Size being the length of the
// uncompressed data tar; postinst and prerm that hand over to OpenWrt's
// default_postinst and default_prerm (which run the package's own
// postinst-pkg and prerm-pkg, enable its init scripts and run its
// uci-defaults). The same package and SOURCE_DATE_EPOCH give the same bytes.
package ipk

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// File is one file of the package, at an absolute path on the target.
type File struct {
	Path string
	Mode fs.FileMode // permission bits
	Data []byte
}

// Package is what goes into one .ipk.
type Package struct {
	Name, Version, Arch string
	Depends             []string
	Source, SourceName  string
	License, Section    string
	URL, Maintainer     string
	Description         string
	// Conffiles are files of the package opkg keeps when the user changed
	// them; each must be one of Files, as ipkg-build drops others.
	Conffiles []string
	Files     []File
	// PostinstPkg and PrermPkg are the package's own scripts, run by
	// default_postinst and default_prerm; empty for none.
	PostinstPkg, PrermPkg string
	// SourceDateEpoch is every entry's time and the SourceDateEpoch field.
	SourceDateEpoch int64
	// Gzip compresses the data tar, which holds nearly all of the
	// package's bytes (nil: Go's compress/gzip at BestCompression). Any
	// gzip stream does for opkg; see Libdeflate.
	Gzip func([]byte) ([]byte, error)
}

var (
	nameRE    = regexp.MustCompile(`^[a-zA-Z0-9_.+-]+$`)
	versionRE = regexp.MustCompile(`^[a-zA-Z0-9.+~:-]+$`) // no _: it separates the file name's parts
	archRE    = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
)

// FileName is the package's name as OpenWrt writes it.
func (p *Package) FileName() string {
	return p.Name + "_" + p.Version + "_" + p.Arch + ".ipk"
}

// Build returns the .ipk.
func (p *Package) Build() ([]byte, error) {
	if !nameRE.MatchString(p.Name) {
		return nil, fmt.Errorf("ipk: package name %q: want [a-zA-Z0-9_.+-]", p.Name)
	}
	if !versionRE.MatchString(p.Version) {
		return nil, fmt.Errorf("ipk: version %q: want letters, digits and .+~:-", p.Version)
	}
	if !archRE.MatchString(p.Arch) {
		return nil, fmt.Errorf("ipk: architecture %q: want letters, digits, _ and -", p.Arch)
	}
	mtime := time.Unix(p.SourceDateEpoch, 0)
	var files []entry
	for _, f := range p.Files {
		if !path.IsAbs(f.Path) || path.Clean(f.Path) != f.Path || f.Path == "/" {
			return nil, fmt.Errorf("ipk: file path %q: want a clean absolute path", f.Path)
		}
		files = append(files, entry{name: "." + f.Path, mode: f.Mode.Perm(), data: f.Data})
	}
	for _, c := range p.Conffiles {
		if !slices.ContainsFunc(p.Files, func(f File) bool { return f.Path == c }) {
			return nil, fmt.Errorf("ipk: conffile %s is not in the package", c)
		}
	}
	data, err := tarGz(withDirs(files), mtime, p.Gzip)
	if err != nil {
		return nil, err
	}
	size, err := gunzippedLen(data)
	if err != nil {
		return nil, err
	}
	control := []entry{{name: "./control", mode: 0o644, data: p.control(size)}}
	if len(p.Conffiles) > 0 {
		cf := slices.Sorted(slices.Values(p.Conffiles))
		control = append(control, entry{name: "./conffiles", mode: 0o644, data: []byte(strings.Join(cf, "\n") + "\n")})
	}
	control = append(control,
		entry{name: "./postinst", mode: 0o755, data: []byte(postinst)},
		entry{name: "./prerm", mode: 0o755, data: []byte(prerm)})
	if p.PostinstPkg != "" {
		control = append(control, entry{name: "./postinst-pkg", mode: 0o755, data: []byte(p.PostinstPkg)})
	}
	if p.PrermPkg != "" {
		control = append(control, entry{name: "./prerm-pkg", mode: 0o755, data: []byte(p.PrermPkg)})
	}
	ctl, err := tarGz(withDirs(control), mtime, nil)
	if err != nil {
		return nil, err
	}
	// The outer tar keeps ipkg-build's order, not sorted.
	return tarGz([]entry{
		{name: "./debian-binary", mode: 0o644, data: []byte("2.0\n")},
		{name: "./data.tar.gz", mode: 0o644, data: data},
		{name: "./control.tar.gz", mode: 0o644, data: ctl},
	}, mtime, nil)
}

// control is the control file as package-pack.mk writes it.
func (p *Package) control(installedSize int64) []byte {
	var b strings.Builder
	field := func(k, v string) {
		if v != "" {
			b.WriteString(k + ": " + v + "\n")
		}
	}
	field("Package", p.Name)
	field("Version", p.Version)
	field("Depends", strings.Join(p.Depends, ", "))
	field("Source", p.Source)
	field("SourceName", p.SourceName)
	field("License", p.License)
	field("Section", p.Section)
	if p.SourceDateEpoch != 0 {
		field("SourceDateEpoch", strconv.FormatInt(p.SourceDateEpoch, 10))
	}
	field("URL", p.URL)
	field("Maintainer", p.Maintainer)
	field("Architecture", p.Arch)
	field("Installed-Size", strconv.FormatInt(installedSize, 10))
	b.WriteString("Description: ")
	for i, l := range strings.Split(strings.TrimRight(p.Description, "\n"), "\n") {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(" " + strings.TrimLeft(l, " \t"))
	}
	b.WriteString("\n")
	return []byte(b.String())
}

// The scripts package-pack.mk writes for every package.
const (
	postinst = "#!/bin/sh\n" +
		"[ \"${IPKG_NO_SCRIPT}\" = \"1\" ] && exit 0\n" +
		"[ -s ${IPKG_INSTROOT}/lib/functions.sh ] || exit 0\n" +
		". ${IPKG_INSTROOT}/lib/functions.sh\n" +
		"default_postinst $0 $@\n"
	prerm = "#!/bin/sh\n" +
		"[ -s ${IPKG_INSTROOT}/lib/functions.sh ] || exit 0\n" +
		". ${IPKG_INSTROOT}/lib/functions.sh\n" +
		"default_prerm $0 $@\n"
)
