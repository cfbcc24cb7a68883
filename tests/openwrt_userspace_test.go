package tests

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/capstan-wifi/capstan/packaging/agentbuild"
)

// openwrtServices starts, inside the OpenWrt root (busybox ash), what an
// AP runs under its packages: ubusd, logd (OpenWrt's log daemon, read
// with logread) and procd as a service manager; and defines the scenarios'
// helpers. Each "@@ step" is followed by what the test reads.
const openwrtServices = `
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
step() { echo "@@ $1"; }
wait_for() { # tenths of a second, command...
	local n=$1; shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1)); [ $n -gt 0 ] || { echo "TIMEOUT: $*"; return 1; }
		usleep 100000
	done
}
svc() { ubus call service list '{"name":"capstan","verbose":true}'; }
has() { svc | tr -d ' \n\t' | grep -q "$1"; }
/sbin/ubusd -s /var/run/ubus/ubus.sock &
wait_for 100 ubus list
/sbin/logd -S 256 &
wait_for 100 ubus list log
/sbin/procd -s /var/run/ubus/ubus.sock -S > /tmp/procd.log 2>&1 &
wait_for 100 ubus -S list service
`

// openwrtScenario runs inside the OpenWrt root (busybox ash): after
// openwrtServices (ubusd, logd, procd) it installs the packages as opkg would run their postinst, walks the
// agent's service through enable, crash and respawn, reload and removal,
// runs the manager under procd, and joins an agent on the OpenWrt backend
// to it, first without netifd and then with it.
// Each "@@ step" is followed by what the test reads. Every wait is bounded.
const openwrtScenario = openwrtServices + `
step postinst
printf "\nconfig system\n\toption hostname 'ap-lobby'\n" > /etc/config/system
cd /usr/lib/opkg/info && ./capstan-agent.postinst configure; echo "rc=$?"; cd /
step identity
uci get capstan.agent.identity
step rc.d
ls /etc/rc.d
step uci-defaults
ls /etc/uci-defaults
step disabled
svc

step enabled
uci set capstan.agent.enabled=1
uci commit capstan
ubus call service event '{"type":"config.change","data":{"package":"capstan"}}'
wait_for 300 has '"instance1"'
svc

step respawned
# No radios here: the agent exits, procd starts it again 5 s later and
# each start logs through procd to syslog.
wait_for 300 sh -c '[ $(logread | grep -c "capstan-agent.*nl80211") -ge 2 ]'
logread | grep "capstan-agent" | tail -n 2

step reloaded
uci set capstan.agent.log_level=debug
uci commit capstan
ubus call service event '{"type":"config.change","data":{"package":"capstan"}}'
wait_for 300 has '"--log-level","debug","--log-to","syslog"'
svc

step stopped
/etc/init.d/capstan stop
svc

step removed
cd /usr/lib/opkg/info && ./capstan-agent.prerm remove; echo "rc=$?"; cd /
step rc.d-removed
ls /etc/rc.d

step manager-postinst
cd /usr/lib/opkg/info && ./capstan-manager.postinst configure; echo "rc=$?"; cd /
wait_for 300 sh -c 'netstat -lnu | grep -q ":5246 "'
ubus call service list '{"name":"capstan-manager","verbose":true}'
step manager-scep
wait_for 300 sh -c 'wget -q -O - "http://127.0.0.1:5248/scep?operation=GetCACaps" | grep -q Renewal'
wget -q -O - "http://127.0.0.1:5248/scep?operation=GetCACaps"
ls /etc/capstan-manager
step backend
# The OpenWrt backend on this root's uci and ubusd, with simulated radios
# (no Wi-Fi here), joined to the manager procd runs. No netifd: the
# network reload must fail, be reported and be tried again.
export CAPSTAN_STATE_DIR=/etc/capstan-manager
capstan-manager enrollment preapprove '*'
capstan-manager security add name=staff authentication-types=wpa2-psk "passphrase=it's \"ours\""
capstan-manager configuration add name=lobby ssid=Lobby country=PL security=staff
capstan-manager provisioning add action=create-dynamic-enabled master-configuration=lobby
cat > /etc/config/wireless <<'UCI'

config wifi-device 'radio0'
	option type 'mac80211'
	option phy 'sim0'
	option band '2g'
	option channel '1'

config wifi-iface 'default_radio0'
	option device 'radio0'
	option network 'lan'
	option mode 'ap'
	option ssid 'OpenWrt'
	option encryption 'none'
UCI
capstan-agent run --hal openwrt --radios sim --sim-radios 1 --uci-dir /etc/config --config /etc/config/capstan --state-dir /tmp/cap --run-dir /tmp/cap-run --log-level debug --manager_addresses 127.0.0.1 --log-to syslog > /tmp/agent.log 2>&1 &
wait_for 150 sh -c "uci -q show wireless | grep -q Lobby"
wait_for 100 sh -c "[ \$(logread | grep -c \"capstan-agent.*network reload\") -ge 2 ]"
sec=$(uci show wireless | sed -n "s/^wireless\.\([^.]*\)\.ssid='Lobby'$/\1/p")
echo "key=$(uci get wireless.$sec.key)"
echo "network=$(uci get wireless.$sec.network)"
echo "default-disabled=$(uci get wireless.default_radio0.disabled)"
echo "channel=$(uci get wireless.radio0.channel)"
logread | grep -m 1 "capstan-agent.*network reload"
capstan-manager remote-cap print
step netifd
# netifd comes up; provisioning the CAP again pushes the same state, and
# the agent reloads although the file already matches.
printf "\nconfig interface 'lan'\n\toption device 'br-lan'\n\toption proto 'static'\n\toption ipaddr '192.0.2.1'\n\toption netmask '255.255.255.0'\n" > /etc/config/network
/sbin/netifd -c /etc/config -p /lib/netifd -s /var/run/ubus/ubus.sock > /tmp/netifd.log 2>&1 &
wait_for 100 ubus -S list network
capstan-manager remote-cap provision ap-lobby
wait_for 300 sh -c '! capstan-manager remote-cap print | grep -q "netifd did not reload"'
capstan-manager remote-cap print
grep -m 1 "Interface 'lan' is now up" /tmp/netifd.log
killall capstan-agent
unset CAPSTAN_STATE_DIR
step manager-reloaded
uci set capstan-manager.manager.log_level=debug
uci commit capstan-manager
ubus call service event '{"type":"config.change","data":{"package":"capstan-manager"}}'
wait_for 300 sh -c 'ubus call service list "{\"name\":\"capstan-manager\",\"verbose\":true}" | tr -d " \n\t" | grep -q "\"debug\"\],\"term_timeout\".*\"running\":true\|\"running\":true.*\"debug\""'
ubus call service list '{"name":"capstan-manager","verbose":true}'
step manager-stopped
/etc/init.d/capstan-manager stop
netstat -lnu | grep ":5246 "
step syslog
logread | grep -m 1 "daemon.info capstan-agent"
logread | grep -m 1 "daemon.warn capstan-agent.*network reload"
logread | grep -m 1 "daemon.info capstan-manager.*manager started"
logread | grep "level=INFO" | head -n 3
step end
`

// TestOpenWrtUserspace runs the agent and manager packages and the
// OpenWrt backend on OpenWrt's own procd, ubusd, uci, jshn, netifd (dummy
// mode) and base-files shell API, built from source by
// scripts/openwrt-userspace.sh into CAPSTAN_OPENWRT_ROOT. The packages are
// `make packages`' x86_64 .ipk of this tree, unpacked as opkg does, in a
// chroot with its own mount, PID and network namespaces.
//
// Not run by `make test`: the sources are not on the Go module proxy or in
// Debian, and CI has no other network. It found that the init script never
// started the agent (config_foreach's local "section").
func TestOpenWrtUserspace(t *testing.T) {
	base := os.Getenv("CAPSTAN_OPENWRT_ROOT")
	if base == "" {
		t.Skip("CAPSTAN_OPENWRT_ROOT is not set: build OpenWrt's userspace with scripts/openwrt-userspace.sh SRC OUT")
	}
	if os.Getuid() != 0 {
		t.Skip("needs root: namespaces and chroot")
	}
	work := t.TempDir()
	root := copyOpenWrtRoot(t, base, work)
	dist := filepath.Join(work, "dist")
	buildX86Packages(t, work, dist, "1.0-test", "")
	opkgUnpack(t, filepath.Join(dist, "capstan-agent_1.0-test_x86_64.ipk"), root)
	opkgUnpack(t, filepath.Join(dist, "capstan-manager_1.0-test_x86_64.ipk"), root)
	out, steps := runInOpenWrtRoot(t, root, openwrtScenario)
	t.Logf("OpenWrt userspace: %s", strings.Join(strings.Fields(readFile(t, filepath.Join(root, "etc/capstan-userspace-sources"))), " "))

	if !strings.Contains(steps["postinst"], "rc=0") {
		t.Errorf("postinst: %s", steps["postinst"])
	}
	if id := strings.TrimSpace(steps["identity"]); id != "ap-lobby" {
		t.Errorf("identity after uci-defaults: %q, want the system's hostname", id)
	}
	if links := strings.Fields(steps["rc.d"]); !slices.Equal(links, []string{"K10capstan", "S95capstan"}) {
		t.Errorf("rc.d after install: %q, want K10capstan S95capstan", links)
	}
	if strings.TrimSpace(steps["uci-defaults"]) != "" {
		t.Errorf("uci-defaults left after default_postinst ran them: %q", steps["uci-defaults"])
	}
	if s := service(t, steps["disabled"]); len(s.Instances) != 0 || len(s.Triggers) != 1 {
		t.Errorf("installed with enabled=0: %d instances, %d triggers; want none and the reload trigger", len(s.Instances), len(s.Triggers))
	}
	s := service(t, steps["enabled"])
	in, ok := s.Instances["instance1"]
	if !ok {
		t.Fatalf("enabled=1 and config.change: no instance\n%s", out)
	}
	if want := []string{"/usr/sbin/capstan-agent", "run", "--config", "/etc/config/capstan", "--log-level", "info", "--log-to", "syslog"}; !slices.Equal(in.Command, want) {
		t.Errorf("command %q, want %q", in.Command, want)
	}
	if in.Env["GOMEMLIMIT"] != "24MiB" || in.Env["GOGC"] != "50" {
		t.Errorf("env %v", in.Env)
	}
	if in.Respawn.Threshold != 3600 || in.Respawn.Timeout != 5 || in.Respawn.Retry != 0 {
		t.Errorf("respawn %+v, want 3600 5 0 (retry for ever)", in.Respawn)
	}
	if trig, _ := json.Marshal(s.Triggers); !strings.Contains(string(trig), `["config.change",["if",["eq","package","capstan"],["run_script","/etc/init.d/capstan","reload"]],1000]`) {
		t.Errorf("triggers %s", trig)
	}
	if n := len(regexp.MustCompile(`capstan-agent.*nl80211`).FindAllString(steps["respawned"], -1)); n < 2 {
		t.Errorf("respawn: %d starts logged to syslog, want 2\n%s", n, steps["respawned"])
	}
	if in := service(t, steps["reloaded"]).Instances["instance1"]; !slices.Contains(in.Command, "debug") {
		t.Errorf("after log_level=debug and config.change: command %q", in.Command)
	}
	if s := service(t, steps["stopped"]); len(s.Instances) != 0 {
		t.Errorf("after stop: %d instances", len(s.Instances))
	}
	if r := steps["removed"]; !strings.Contains(r, "rc=0") {
		t.Errorf("prerm: %s", r)
	}
	if links := strings.TrimSpace(steps["rc.d-removed"]); links != "" {
		t.Errorf("rc.d after prerm: %q", links)
	}
	t.Logf("syslog (procd's stdout and stderr of the agent):\n%s", steps["respawned"])
	t.Logf("netifd:\n%s", steps["netifd"])
	t.Logf("syslog by level:\n%s", steps["syslog"])

	// The manager package: enabled by default, so its postinst starts it.
	if m := managerService(t, steps["manager-postinst"]); !m.running() || !slices.Contains(m.command(), "/etc/capstan-manager") {
		t.Errorf("manager after postinst: %s", steps["manager-postinst"])
	}
	if scep := steps["manager-scep"]; !strings.Contains(scep, "POSTPKIOperation") {
		t.Errorf("the manager's SCEP on :5248: %s", scep)
	}
	// What the agent wrote, read back by libuci; the real ubusd's answer
	// to a reload with no netifd, reported to the manager.
	b := steps["backend"]
	for _, want := range []string{
		"key=it's \"ours\"\n",  // the passphrase through libuci's '\'' escaping
		"network=lan\n",        // finding 3: bridged to the AP's own network
		"default-disabled=1\n", // the router's own AP on a managed radio
		"channel=auto\n",       // simulated radios list no channels
		"netifd did not reload it: ubus call network reload: exit status 4: Command failed: Not found",
	} {
		if !strings.Contains(b, want) {
			t.Errorf("backend: no %q in\n%s", want, b)
		}
	}
	if !regexp.MustCompile(`ap-lobby\s+127\.0\.0\.1:\d+\s+run\s.*netifd did not reload it`).MatchString(b) {
		t.Errorf("remote-cap print: the CAP in run with the reload failure as its CONFIG-ERROR\n%s", b)
	}
	// Logs reach logd's socket at their levels, not all as daemon.err
	// (what procd makes of a service's stderr).
	l := steps["syslog"]
	for _, re := range []string{`daemon\.info capstan-agent\[\d+\]: msg=`, `daemon\.warn capstan-agent\[\d+\]: msg=.*network reload`, `daemon\.info capstan-manager\[\d+\]: msg="manager started"`} {
		if !regexp.MustCompile(re).MatchString(l) {
			t.Errorf("syslog: no line like %s in\n%s", re, l)
		}
	}
	if strings.Contains(l, "level=INFO") {
		t.Errorf("syslog: INFO lines went by stderr (daemon.err):\n%s", l)
	}
	n := steps["netifd"]
	if !regexp.MustCompile(`ap-lobby\s+127\.0\.0\.1:\d+\s+run\s`).MatchString(n) || strings.Contains(n, "netifd did not reload") || strings.Contains(n, "TIMEOUT") {
		t.Errorf("with netifd up, after provisioning again: the CAP in run without a config error\n%s", n)
	}
	if m := managerService(t, steps["manager-reloaded"]); !m.running() || !slices.Contains(m.command(), "debug") {
		t.Errorf("manager after log_level=debug and config.change: %s", steps["manager-reloaded"])
	}
	if strings.TrimSpace(steps["manager-stopped"]) != "" {
		t.Errorf("UDP 5246 still bound after stop: %s", steps["manager-stopped"])
	}
}

// copyOpenWrtRoot copies the root built by scripts/openwrt-userspace.sh
// into work/root for one test to change.
func copyOpenWrtRoot(t *testing.T, base, work string) string {
	t.Helper()
	root := filepath.Join(work, "root")
	if out, err := exec.Command("cp", "-a", base, root).CombinedOutput(); err != nil {
		t.Fatalf("copy the root: %v\n%s", err, out)
	}
	return root
}

// buildX86Packages builds the agent (as for an AP), capstan-agent-scep and
// the manager of version for x86_64 (once per version) and packs them into
// dist: .ipk, and .apk too with apkTool.
func buildX86Packages(t *testing.T, work, dist, version, apkTool string) {
	t.Helper()
	ldflags := agentbuild.Strip + " -X github.com/capstan-wifi/capstan/internal/buildinfo.Version=" + version
	bin := filepath.Join(work, "bin-"+version, "capstan-agent")
	if _, err := os.Stat(bin); err != nil {
		if out, err := agentbuild.Command("go", ".", bin, ldflags, "GOARCH=amd64").CombinedOutput(); err != nil {
			t.Fatalf("build the agent: %v\n%s", err, out)
		}
	}
	helper := filepath.Join(work, "bin-"+version, "capstan-agent-scep")
	if _, err := os.Stat(helper); err != nil {
		if out, err := agentbuild.HelperCommand("go", ".", helper, ldflags, "GOARCH=amd64").CombinedOutput(); err != nil {
			t.Fatalf("build capstan-agent-scep: %v\n%s", err, out)
		}
	}
	mgr := filepath.Join(work, "bin-"+version, "capstan-manager")
	if _, err := os.Stat(mgr); err != nil {
		gb := exec.Command("go", "build", "-trimpath", "-ldflags", ldflags, "-o", mgr, "../cmd/capstan-manager")
		gb.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := gb.CombinedOutput(); err != nil {
			t.Fatalf("build the manager: %v\n%s", err, out)
		}
	}
	for _, p := range []struct{ name, bin string }{{"capstan-agent", bin}, {"capstan-agent-scep", helper}, {"capstan-manager", mgr}} {
		args := []string{"run", "../packaging/mkipk", "--package", p.name, "--arch", "x86_64",
			"--binary", p.bin, "--version", version, "--files", "../packaging/openwrt", "--out", dist}
		if apkTool != "" {
			args = append(args, "--apk", apkTool)
		}
		if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
			t.Fatalf("mkipk: %v\n%s", err, out)
		}
	}
}

// runInOpenWrtRoot runs script in root with /bin/sh, chrooted, in its own
// mount, PID and network namespaces with /proc, a few devices, /tmp and
// /var/run, and splits its output at its steps. The script must end with
// "@@ end".
func runInOpenWrtRoot(t *testing.T, root, script string) (string, map[string]string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(root, "scenario.sh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	run := exec.Command("timeout", "300", "unshare", "--mount", "--pid", "--net", "--fork", "--propagation", "private",
		"sh", "-ec", `r=$1
mount -t proc proc "$r/proc"
mount -t tmpfs -o mode=755 tmpfs "$r/dev"
for d in null:1:3 zero:1:5 random:1:8 urandom:1:9; do
	n=${d%%:*}; mm=${d#*:}; mknod -m 666 "$r/dev/$n" c ${mm%%:*} ${mm#*:}
done
mount -t tmpfs tmpfs "$r/tmp"
mount -t tmpfs tmpfs "$r/var/run"
mkdir -p "$r/var/run/ubus"
ip link set lo up
exec chroot "$r" /bin/sh /scenario.sh`, "sh", root)
	b, err := run.CombinedOutput()
	out := string(b)
	if err != nil || !strings.Contains(out, "@@ end") {
		t.Fatalf("scenario: %v\n%s", err, out)
	}
	return out, splitSteps(out)
}

// managerService reads capstan-manager's entry of a step that ends with
// `ubus call service list` (the last JSON object of the step).
func managerService(t *testing.T, step string) procdService {
	t.Helper()
	i := strings.Index(step, "{")
	if i < 0 {
		return procdService{}
	}
	var m map[string]procdService
	if err := json.Unmarshal([]byte(step[i:]), &m); err != nil {
		t.Fatalf("service list: %v\n%s", err, step)
	}
	return m["capstan-manager"]
}

func (s procdService) running() bool {
	in, ok := s.Instances["instance1"]
	return ok && in.Running
}

func (s procdService) command() []string { return s.Instances["instance1"].Command }

// procdService is one service of `ubus call service list`.
type procdService struct {
	Instances map[string]struct {
		Running bool
		Command []string
		Env     map[string]string
		Respawn struct{ Threshold, Timeout, Retry int }
	}
	Triggers []any
}

func service(t *testing.T, listing string) procdService {
	t.Helper()
	var m map[string]procdService
	if strings.TrimSpace(listing) == "" {
		return procdService{}
	}
	if err := json.Unmarshal([]byte(listing), &m); err != nil {
		t.Fatalf("service list: %v\n%s", err, listing)
	}
	return m["capstan"]
}

// splitSteps cuts the scenario's output at its "@@ name" lines.
func splitSteps(out string) map[string]string {
	steps := map[string]string{}
	name := ""
	for _, line := range strings.SplitAfter(out, "\n") {
		if n, ok := strings.CutPrefix(line, "@@ "); ok {
			name = strings.TrimSpace(n)
			continue
		}
		steps[name] += line
	}
	return steps
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
