// Package upgrade decides, by the manager's upgrade-policy, whether a
// joining CAP must run the manager's agent version, and finds the package
// in package-path that CAPWAP Image Data delivers to it (RFC 5415 §9.1).
// Packages are named capstan-agent_<version>_<arch>.ipk for opkg and
// capstan-agent_<version>_<arch>.apk for apk, <arch> being the CAP's
// package architecture (OpenWrt's DISTRIB_ARCH, such as mipsel_24kc).
package upgrade

import (
	"crypto/md5" //nolint:gosec // RFC 5415 §4.6.28 Image Information carries an MD5 hash
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"

	"github.com/capstan-wifi/capstan/manager/model"
)

// CAP is what a CAP says of its software at Join.
type CAP struct {
	Version        string // WTP Descriptor software version
	Arch           string // capstan Platform element; "" if it did not say
	PackageManager string // "opkg", "apk" or ""
}

// Package is an agent package ready to send.
type Package struct {
	Name string // the file name, sent as the Image Identifier
	Path string
	Size int64
	MD5  [16]byte
}

// Decision is what to do with a joining CAP.
type Decision struct {
	// Offer is the package the CAP is told to download, nil for none.
	Offer *Package
	// Refuse is why the CAP may not join, "" if it may.
	Refuse string
	// Note is why a CAP on another version is neither offered a package
	// nor refused, for the log.
	Note string
}

// Decide applies policy (model.Upgrade*) with packages in dir to a CAP
// joining a manager of version want. failed says a package of want was
// offered to this CAP recently and it came back without it: it is not
// offered again at once.
func Decide(policy, dir, want string, c CAP, failed bool) Decision {
	if policy == "" || policy == model.UpgradeNone || c.Version == want {
		return Decision{}
	}
	var why string
	switch {
	case failed:
		why = fmt.Sprintf("CAP runs %s and did not upgrade to %s when last offered", c.Version, want)
	case c.PackageManager == "":
		why = fmt.Sprintf("CAP runs %s, manager %s, and the CAP has no package manager to upgrade with", c.Version, want)
	case dir == "":
		why = fmt.Sprintf("CAP runs %s, manager %s, and no package-path is set", c.Version, want)
	default:
		p, err := Find(dir, want, c.Arch, c.PackageManager)
		if err == nil {
			return Decision{Offer: &p}
		}
		why = fmt.Sprintf("CAP runs %s, manager %s: %v", c.Version, want, err)
	}
	if policy == model.UpgradeRequireSameVersion {
		return Decision{Refuse: "require-same-version: " + why}
	}
	return Decision{Note: "suggest-same-version: " + why}
}

var extensions = map[string]string{"opkg": ".ipk", "apk": ".apk"}

// validName is what a package name may be: it travels to the CAP, which
// writes a file by that name.
var validName = regexp.MustCompile(`^capstan-agent_[A-Za-z0-9.+~-]+_[A-Za-z0-9_.-]+\.(ipk|apk)$`)

// ValidName reports whether name is a package name a CAP may accept.
func ValidName(name string) bool { return validName.MatchString(name) }

// ErrNoPackage: package-path has no package for the CAP.
var ErrNoPackage = errors.New("no package")

// Find returns the package of version for arch and package manager pm in
// dir, with its size and MD5.
func Find(dir, version, arch, pm string) (Package, error) {
	ext, ok := extensions[pm]
	if !ok {
		return Package{}, fmt.Errorf("package manager %q: want opkg or apk", pm)
	}
	name := "capstan-agent_" + version + "_" + arch + ext
	if !ValidName(name) {
		return Package{}, fmt.Errorf("%w: %q is not a valid package name (version %q, arch %q)", ErrNoPackage, name, version, arch)
	}
	path := filepath.Join(dir, name)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return Package{}, fmt.Errorf("%w: %s is not in package-path %s", ErrNoPackage, name, dir)
	}
	if err != nil {
		return Package{}, err
	}
	defer f.Close()
	h := md5.New() //nolint:gosec // see import
	n, err := io.Copy(h, f)
	if err != nil {
		return Package{}, fmt.Errorf("read %s: %w", path, err)
	}
	if n == 0 || n > 1<<32-1 {
		return Package{}, fmt.Errorf("%s: %d bytes, want 1 byte to 4 GiB (Image Information)", path, n)
	}
	p := Package{Name: name, Path: path, Size: n}
	copy(p.MD5[:], h.Sum(nil))
	return p, nil
}
