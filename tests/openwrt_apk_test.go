package tests

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/capstan-wifi/capstan/packaging/apk"
)

// apkScenario installs, reconfigures, upgrades, downgrades (the agent's
// own install command when a manager offers an older version) and removes
// the .apk packages with apk-tools' apk, as on OpenWrt 25.12, under
// OpenWrt's procd, ubusd, uci and base-files shell API.
const apkScenario = openwrtServices + `
printf "\nconfig system\n\toption hostname 'ap-lobby'\n" > /etc/config/system
apk add --initdb --allow-untrusted --no-network /pkgs/libc.apk >/dev/null
step install
apk add --allow-untrusted --no-network /pkgs/capstan-agent_v1.0.0_x86_64.apk; echo "rc=$?"
step installed
apk info -v | grep capstan
ls /etc/rc.d
ls /etc/uci-defaults
uci get capstan.agent.identity
stat -c '%a %U %n' /usr/sbin/capstan-agent /etc/config/capstan /etc/init.d/capstan
step disabled
svc
step enabled
uci set capstan.agent.enabled=1
uci set capstan.agent.log_level=debug
uci commit capstan
ubus call service event '{"type":"config.change","data":{"package":"capstan"}}'
wait_for 300 has '"instance1"'
svc
step upgrade
apk add --allow-untrusted --no-network /pkgs/capstan-agent_v1.0.0-1-gabcdef0_x86_64.apk; echo "rc=$?"
step upgraded
apk info -v | grep capstan
uci get capstan.agent.enabled
uci get capstan.agent.log_level
ls /etc/config
wait_for 300 has '"instance1"'
svc
step downgrade
apk add --allow-untrusted /pkgs/capstan-agent_v1.0.0_x86_64.apk; echo "rc=$?"
apk info -v | grep capstan
step manager
apk add --allow-untrusted --no-network /pkgs/capstan-manager_v1.0.0-1-gabcdef0_x86_64.apk; echo "rc=$?"
wait_for 300 sh -c 'netstat -lnu | grep -q ":5246 "' && echo "manager on 5246"
step upgrade-by-manager
# The manager (a newer build) requires its own version and finds the
# agent's .apk in its package-path; the agent (simulated radios: no Wi-Fi
# here) gets it by CAPWAP Image Data and installs it with apk.
/etc/init.d/capstan stop
echo "DISTRIB_ARCH='x86_64'" > /etc/openwrt_release
printf "\nconfig wifi-device 'radio0'\n\toption type 'mac80211'\n\toption phy 'sim0'\n\toption band '2g'\n" > /etc/config/wireless
export CAPSTAN_STATE_DIR=/etc/capstan-manager
wait_for 100 capstan-manager enrollment preapprove '*'
capstan-manager manager set upgrade-policy=require-same-version package-path=/pkgs
capstan-agent run --hal openwrt --radios sim --sim-radios 1 --uci-dir /etc/config --config /etc/config/capstan --state-dir /tmp/cap --run-dir /tmp/cap-run --manager_addresses 127.0.0.1 > /tmp/agent.log 2>&1 &
agent=$!
wait_for 600 sh -c 'apk info -v | grep -q capstan-agent-1.0.0_git1'
wait $agent; echo "agent exited: $?"
apk info -v | grep capstan
capstan-agent --version
tail -n 12 /tmp/agent.log
step scep-missing
# certificate=scep needs capstan-agent-scep: without it the agent says so.
capstan-agent run --hal openwrt --radios sim --sim-radios 1 --uci-dir /etc/config --config /etc/config/capstan --state-dir /tmp/cap-scep --run-dir /tmp/cap-run-scep --manager_addresses 127.0.0.1 --certificate scep --scep_url http://127.0.0.1:5248/scep; echo "rc=$?"
step scep
# With it, the agent enrolls by SCEP at the manager with a one-time
# password, through the helper the package installed beside it, and joins.
apk add --allow-untrusted --no-network /pkgs/capstan-agent-scep_v1.0.0-1-gabcdef0_x86_64.apk; echo "rc=$?"
otp=$(capstan-manager enrollment-password add comment=scep | head -n 1)
capstan-agent run --hal openwrt --radios sim --sim-radios 1 --uci-dir /etc/config --config /etc/config/capstan --state-dir /tmp/cap-scep --run-dir /tmp/cap-run-scep --manager_addresses 127.0.0.1 --certificate scep --scep_url http://127.0.0.1:5248/scep --enrollment_password "$otp" > /tmp/agent-scep.log 2>&1 &
agent=$!
wait_for 300 grep -q "certificate received by SCEP" /tmp/agent-scep.log
wait_for 300 sh -c 'capstan-manager remote-cap print | grep -q " run "'
grep -o 'msg="certificate received by SCEP".*' /tmp/agent-scep.log
capstan-manager remote-cap print
kill $agent
unset CAPSTAN_STATE_DIR
step remove
apk del capstan-agent-scep capstan-agent; echo "rc=$?"
step removed
ls /etc/rc.d
svc
ls /etc/config
[ -e /usr/sbin/capstan-agent ] && echo "binary left"
ls /lib/apk/packages
step end
`

// TestOpenWrtApk builds the packages as .apk with apk-tools' own apk mkpkg
// (CAPSTAN_APK, built by scripts/apk-tools.sh) and runs them with that apk
// on OpenWrt's userspace (CAPSTAN_OPENWRT_ROOT): OpenWrt 25.12's format
// and package manager, by hand and by the manager's upgrade policy. It also checks that the apk versions made of git
// describe's order as apk orders them, and that the same sources give the
// same .apk bytes. Not run by `make test`, for the reason
// TestOpenWrtUserspace gives; apk-tools is not in Debian 12 either.
func TestOpenWrtApk(t *testing.T) {
	base, tool := os.Getenv("CAPSTAN_OPENWRT_ROOT"), os.Getenv("CAPSTAN_APK")
	if base == "" || tool == "" {
		t.Skip("CAPSTAN_OPENWRT_ROOT and CAPSTAN_APK are not both set: see scripts/openwrt-userspace.sh and scripts/apk-tools.sh")
	}
	if os.Getuid() != 0 {
		t.Skip("needs root: namespaces and chroot")
	}
	t.Setenv("SOURCE_DATE_EPOCH", "1796456100")
	checkVersionOrder(t, tool)

	work := t.TempDir()
	root := copyOpenWrtRoot(t, base, work)
	dist := filepath.Join(root, "pkgs")
	buildX86Packages(t, work, dist, "v1.0.0", tool)
	first := readFile(t, filepath.Join(dist, "capstan-agent_v1.0.0_x86_64.apk"))
	buildX86Packages(t, work, dist, "v1.0.0", tool)
	if again := readFile(t, filepath.Join(dist, "capstan-agent_v1.0.0_x86_64.apk")); again != first {
		t.Errorf("the same sources and SOURCE_DATE_EPOCH gave another .apk")
	}
	buildX86Packages(t, work, dist, "v1.0.0-1-gabcdef0", tool)
	dump, err := exec.Command(tool, "adbdump", filepath.Join(dist, "capstan-agent_v1.0.0_x86_64.apk")).CombinedOutput()
	if err != nil {
		t.Fatalf("adbdump: %v\n%s", err, dump)
	}
	for _, re := range []string{
		`(?m)^  name: capstan-agent$`, `(?m)^  version: 1\.0\.0-r0$`, `(?m)^  arch: x86_64$`, `(?m)^    - libc$`,
		`(?s)name: capstan\n\s+acl:\n\s+mode: 0600\n\s+user: root`, // the conffile, the owner's only
		`(?m)^  post-install: \|$`, `(?m)^  post-upgrade: \|$`, `(?m)^  pre-deinstall: \|$`,
		`(?m)^\s+- name: capstan-agent\.conffiles_static$`,
	} {
		if !regexp.MustCompile(re).Match(dump) {
			t.Errorf("adbdump: nothing like %s in\n%s", re, dump)
		}
	}

	// apk and its libraries, and a libc package standing in for the AP's.
	if err := os.MkdirAll(filepath.Join(root, "etc/apk"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/apk/arch"), []byte("x86_64\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	copyWithLibraries(t, tool, root, "/usr/bin/apk")
	empty := t.TempDir()
	if out, err := exec.Command(tool, "mkpkg", "--info", "name:libc", "--info", "version:1.2.5-r4", "--info", "arch:x86_64",
		"--files", empty, "--output", filepath.Join(dist, "libc.apk")).CombinedOutput(); err != nil {
		t.Fatalf("libc.apk: %v\n%s", err, out)
	}

	out, steps := runInOpenWrtRoot(t, root, apkScenario)
	if !strings.Contains(steps["install"], "rc=0") || !strings.Contains(steps["install"], "Executing capstan-agent-1.0.0-r0.post-install") {
		t.Errorf("install:\n%s", steps["install"])
	}
	in := steps["installed"]
	for _, want := range []string{"capstan-agent-1.0.0-r0\n", "K10capstan\nS95capstan\n", "ap-lobby\n",
		"755 root /usr/sbin/capstan-agent\n", "600 root /etc/config/capstan\n", "755 root /etc/init.d/capstan\n"} {
		if !strings.Contains(in, want) {
			t.Errorf("installed: no %q in\n%s", want, in)
		}
	}
	if strings.Contains(in, "90-capstan-agent") {
		t.Errorf("uci-defaults left after default_postinst ran them:\n%s", in)
	}
	if s := service(t, steps["disabled"]); len(s.Instances) != 0 || len(s.Triggers) != 1 {
		t.Errorf("installed with enabled=0: %d instances, %d triggers; want none and the reload trigger", len(s.Instances), len(s.Triggers))
	}
	if s := service(t, steps["enabled"]); !slices.Contains(s.Instances["instance1"].Command, "debug") {
		t.Errorf("enabled with log_level=debug: %+v", s)
	}
	if u := steps["upgrade"]; !strings.Contains(u, "rc=0") || !strings.Contains(u, "Upgrading capstan-agent (1.0.0-r0 -> 1.0.0_git1~abcdef0-r0)") ||
		!strings.Contains(u, "post-upgrade") {
		t.Errorf("upgrade:\n%s", u)
	}
	// The user's configuration survives; the package's new default is set
	// beside it, as opkg does with its -opkg file.
	up := steps["upgraded"]
	for _, want := range []string{"capstan-agent-1.0.0_git1~abcdef0-r0\n", "1\ndebug\n", "capstan.apk-new\n"} {
		if !strings.Contains(up, want) {
			t.Errorf("upgraded: no %q in\n%s", want, up)
		}
	}
	if i := strings.Index(up, "{"); i < 0 || !slices.Contains(service(t, up[i:]).Instances["instance1"].Command, "debug") {
		t.Errorf("after the upgrade: the agent not running as configured\n%s", up)
	}
	if d := steps["downgrade"]; !strings.Contains(d, "rc=0") || !strings.Contains(d, "capstan-agent-1.0.0-r0\n") {
		t.Errorf("downgrade with the agent's install command (apk add --allow-untrusted FILE):\n%s", d)
	}
	if m := steps["manager"]; !strings.Contains(m, "rc=0") || !strings.Contains(m, "manager on 5246") {
		t.Errorf("manager:\n%s", m)
	}
	if u := steps["upgrade-by-manager"]; !strings.Contains(u, "capstan-agent-1.0.0_git1~abcdef0-r0\n") ||
		!strings.Contains(u, "capstan-agent v1.0.0-1-gabcdef0 (") || !strings.Contains(u, "agent exited: 0\n") ||
		!strings.Contains(u, `msg="package installed" image=capstan-agent_v1.0.0-1-gabcdef0_x86_64.apk command="apk add --allow-untrusted `) ||
		strings.Contains(u, "TIMEOUT") {
		t.Errorf("upgrade by the manager's policy with the agent's .apk:\n%s", u)
	}
	if m := steps["scep-missing"]; !strings.Contains(m, "capstan-agent-scep is not installed: SCEP enrollment needs the capstan-agent-scep package") || strings.Contains(m, "rc=0") {
		t.Errorf("certificate=scep without capstan-agent-scep:\n%s", m)
	}
	if sc := steps["scep"]; !strings.Contains(sc, "rc=0") || strings.Contains(sc, "TIMEOUT") ||
		!strings.Contains(sc, `msg="certificate received by SCEP" common_name=CAP-`) || !regexp.MustCompile(`\s+run\s`).MatchString(sc) {
		t.Errorf("SCEP enrollment through capstan-agent-scep:\n%s", sc)
	}
	if !strings.Contains(steps["remove"], "rc=0") || !strings.Contains(steps["remove"], "pre-deinstall") {
		t.Errorf("apk del:\n%s", steps["remove"])
	}
	rm := steps["removed"]
	if strings.Contains(rm, "capstan\n") && strings.Contains(rm, "S95capstan") || strings.Contains(rm, "binary left") ||
		strings.Contains(rm, "capstan-agent.list") || strings.Contains(rm, "capstan-agent-scep.list") || strings.Contains(rm, `"instance1"`) {
		t.Errorf("after apk del: the service, binary or package files are left\n%s", rm)
	}
	if !strings.Contains(rm, "capstan\n") {
		t.Errorf("after apk del: the changed /etc/config/capstan is gone\n%s", rm)
	}
	t.Logf("apk on OpenWrt's userspace:\n%s", out)
}

// checkVersionOrder asks apk to order the versions Version makes of git
// describe's: a later build must be a newer package.
func checkVersionOrder(t *testing.T, tool string) {
	t.Helper()
	const at = 1796456100
	describes := []string{"85d7ffc", "85d7ffc-dirty", "v0.9", "v1.0.0", "v1.0.0-1-gabcdef0", "v1.0.0-1-gabcdef0-dirty",
		"v1.0.0-12-g0123456", "v1.0.1", "v1.10.0"}
	var versions []string
	for _, d := range describes {
		v, err := apk.Version(d, at)
		if err != nil {
			t.Fatalf("Version(%q): %v", d, err)
		}
		if out, err := exec.Command(tool, "version", "--check", v).CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) != 0 {
			t.Errorf("apk version --check %s: %v %s", v, err, out)
		}
		versions = append(versions, v)
	}
	for i := 1; i < len(versions); i++ {
		out, err := exec.Command(tool, "version", "--test", versions[i-1], versions[i]).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "<" {
			t.Errorf("apk version --test %s %s = %q (%v), want <", versions[i-1], versions[i], out, err)
		}
	}
}

// copyWithLibraries copies the binary bin to target in root, with the
// shared libraries ldd names for it.
func copyWithLibraries(t *testing.T, bin, root, target string) {
	t.Helper()
	out, err := exec.Command("ldd", bin).Output()
	if err != nil {
		t.Fatalf("ldd %s: %v", bin, err)
	}
	files := [][2]string{{bin, target}}
	for _, lib := range regexp.MustCompile(`(/\S+)`).FindAllString(string(out), -1) {
		files = append(files, [2]string{lib, lib})
	}
	for _, f := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, f[1])), 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("cp", "-L", f[0], filepath.Join(root, f[1])).CombinedOutput(); err != nil {
			t.Fatalf("copy %s: %v\n%s", f[0], err, out)
		}
	}
}
