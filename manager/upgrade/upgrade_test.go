package upgrade

import (
	"crypto/md5" //nolint:gosec // the hash Image Information carries
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/capstan-wifi/capstan/manager/model"
)

func TestDecide(t *testing.T) {
	dir := t.TempDir()
	body := []byte("a package of version 2.0")
	os.WriteFile(filepath.Join(dir, "capstan-agent_2.0_mipsel_24kc.ipk"), body, 0o644)
	os.WriteFile(filepath.Join(dir, "capstan-agent_2.0_aarch64_generic.apk"), body, 0o644)
	os.WriteFile(filepath.Join(dir, "capstan-agent_2.0_arm_cortex-a7.ipk"), nil, 0o644)
	old := CAP{Version: "1.0", Arch: "mipsel_24kc", PackageManager: "opkg"}
	for _, c := range []struct {
		name, policy, dir string
		cap               CAP
		failed            bool
		offer             string
		refuse, note      string
	}{
		{name: "policy none", policy: model.UpgradeNone, dir: dir, cap: old},
		{name: "policy unset", dir: dir, cap: old},
		{name: "same version", policy: model.UpgradeRequireSameVersion, dir: dir, cap: CAP{Version: "2.0", Arch: "x", PackageManager: "opkg"}},
		{name: "ipk offered", policy: model.UpgradeSuggestSameVersion, dir: dir, cap: old, offer: "capstan-agent_2.0_mipsel_24kc.ipk"},
		{name: "apk offered", policy: model.UpgradeRequireSameVersion, dir: dir, cap: CAP{Version: "1.0", Arch: "aarch64_generic", PackageManager: "apk"},
			offer: "capstan-agent_2.0_aarch64_generic.apk"},
		{name: "no package, suggest", policy: model.UpgradeSuggestSameVersion, dir: dir, cap: CAP{Version: "1.0", Arch: "x86_64", PackageManager: "opkg"},
			note: "capstan-agent_2.0_x86_64.ipk is not in package-path"},
		{name: "no package, require", policy: model.UpgradeRequireSameVersion, dir: dir, cap: CAP{Version: "1.0", Arch: "x86_64", PackageManager: "opkg"},
			refuse: "require-same-version: CAP runs 1.0, manager 2.0: no package: capstan-agent_2.0_x86_64.ipk"},
		{name: "empty package", policy: model.UpgradeRequireSameVersion, dir: dir, cap: CAP{Version: "1.0", Arch: "arm_cortex-a7", PackageManager: "opkg"},
			refuse: "0 bytes"},
		{name: "no package manager", policy: model.UpgradeRequireSameVersion, dir: dir, cap: CAP{Version: "1.0", Arch: "mipsel_24kc"},
			refuse: "no package manager"},
		{name: "no package-path", policy: model.UpgradeSuggestSameVersion, cap: old, note: "no package-path is set"},
		{name: "recently failed, suggest", policy: model.UpgradeSuggestSameVersion, dir: dir, cap: old, failed: true, note: "did not upgrade to 2.0"},
		{name: "recently failed, require", policy: model.UpgradeRequireSameVersion, dir: dir, cap: old, failed: true, refuse: "did not upgrade to 2.0"},
		{name: "arch that could escape the directory", policy: model.UpgradeRequireSameVersion, dir: dir,
			cap: CAP{Version: "1.0", Arch: "../../etc/passwd", PackageManager: "opkg"}, refuse: "not a valid package name"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := Decide(c.policy, c.dir, "2.0", c.cap, c.failed)
			got := ""
			if d.Offer != nil {
				got = d.Offer.Name
				if d.Offer.Size != int64(len(body)) || d.Offer.MD5 != md5.Sum(body) { //nolint:gosec
					t.Errorf("offer %+v: wrong size or hash", d.Offer)
				}
			}
			if got != c.offer {
				t.Errorf("offer %q, want %q", got, c.offer)
			}
			if c.refuse == "" && d.Refuse != "" || !strings.Contains(d.Refuse, c.refuse) {
				t.Errorf("refuse %q, want %q", d.Refuse, c.refuse)
			}
			if c.note == "" && d.Note != "" || !strings.Contains(d.Note, c.note) {
				t.Errorf("note %q, want %q", d.Note, c.note)
			}
		})
	}
}

func TestValidName(t *testing.T) {
	for name, want := range map[string]bool{
		"capstan-agent_1.2.3_mipsel_24kc.ipk": true, "capstan-agent_v0.6.0-3-gabc_aarch64_cortex-a53.apk": true,
		"capstan-agent_1_x.tar.gz": false, "../capstan-agent_1_x.ipk": false, "capstan-agent_1_x/y.ipk": false, "other_1_x.ipk": false,
	} {
		if ValidName(name) != want {
			t.Errorf("ValidName(%q) = %v", name, !want)
		}
	}
}
