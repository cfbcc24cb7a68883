package tests

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/internal/testtool"
)

// The namespace tier runs only when asked (make test-netns sets
// CAPSTAN_NETNS=1): it needs root and builds the binaries.
func requireNetns(t *testing.T, tools ...string) {
	t.Helper()
	if os.Getenv("CAPSTAN_NETNS") != "1" {
		t.Skip("namespace test: run with `make test-netns` (CAPSTAN_NETNS=1, root)")
	}
	missing := func(reason string) {
		if testtool.Required() {
			t.Fatal(reason)
		}
		t.Skip(reason)
	}
	if os.Geteuid() != 0 {
		missing("namespace test needs root")
	}
	for _, tool := range append([]string{"ip", "go"}, tools...) {
		if _, err := exec.LookPath(tool); err != nil {
			missing(fmt.Sprintf("namespace test needs %s in PATH (make deps installs it)", tool))
		}
	}
}

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries builds capstan-agent and capstan-manager once per test run.
func binaries(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "capstan-bin")
		if buildErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", binDir+"/", "github.com/capstan-wifi/capstan/cmd/...").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

// lab is a set of network namespaces joined by a bridge in a switch
// namespace, all made by the test and deleted after it.
type lab struct {
	t   testing.TB
	id  string
	bin string
	dir string
	sw  string
	mu  sync.Mutex
	ps  []*proc
}

func newLab(t testing.TB) *lab {
	t.Helper()
	var b [2]byte
	_, _ = rand.Read(b[:])
	l := &lab{t: t, id: hex.EncodeToString(b[:]), bin: binaries(t), dir: t.TempDir()}
	l.sw = "cs" + l.id + "-sw"
	t.Cleanup(l.cleanup)
	l.must("ip", "netns", "add", l.sw)
	l.must("ip", "-n", l.sw, "link", "add", "br0", "type", "bridge")
	l.must("ip", "-n", l.sw, "link", "set", "br0", "up")
	return l
}

// ns returns the namespace name of node.
func (l *lab) ns(node string) string { return "cs" + l.id + "-" + node }

// node makes a namespace with eth0 on the bridge and, unless cidr is "",
// that address.
func (l *lab) node(name, cidr string) string {
	ns := l.ns(name)
	port := "v" + l.id + name
	l.must("ip", "netns", "add", ns)
	l.must("ip", "-n", l.sw, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns)
	l.must("ip", "-n", l.sw, "link", "set", port, "master", "br0", "up")
	l.must("ip", "-n", ns, "link", "set", "lo", "up")
	l.must("ip", "-n", ns, "link", "set", "eth0", "up")
	if cidr != "" {
		l.must("ip", "-n", ns, "addr", "add", cidr, "dev", "eth0")
	}
	return ns
}

// resolver makes `ip netns exec` give ns a resolv.conf naming server.
func (l *lab) resolver(ns, server string) {
	dir := filepath.Join("/etc/netns", ns)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		l.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "resolv.conf"), []byte("nameserver "+server+"\n"), 0o644); err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(func() { os.RemoveAll(dir) })
}

func (l *lab) must(args ...string) string {
	l.t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		l.t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// in runs a command inside ns to completion.
func (l *lab) in(ns string, args ...string) ([]byte, error) {
	return exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...).Output()
}

func (l *lab) cleanup() {
	l.mu.Lock()
	ps := l.ps
	l.mu.Unlock()
	for _, p := range ps {
		p.kill()
	}
	out, _ := exec.Command("ip", "netns", "list").Output()
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], "cs"+l.id+"-") {
			_ = exec.Command("ip", "netns", "del", f[0]).Run()
		}
	}
	if l.t.Failed() {
		logs, _ := filepath.Glob(filepath.Join(l.dir, "*.log"))
		for _, f := range logs {
			b, _ := os.ReadFile(f)
			if len(b) > 4000 {
				b = b[len(b)-4000:]
			}
			l.t.Logf("== %s (tail)\n%s", filepath.Base(f), b)
		}
		if why := failureSummary(l.t.Name()); why != "" {
			l.t.Logf("== %s failed: %s", l.t.Name(), why)
		}
	}
}

// proc is a process the lab started.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	once sync.Once
}

// start runs args inside ns, its output in dir/<name>.log.
func (l *lab) start(ns, name string, args ...string) *proc {
	l.t.Helper()
	f, err := os.Create(filepath.Join(l.dir, name+".log"))
	if err != nil {
		l.t.Fatal(err)
	}
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		l.t.Fatal(err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); f.Close(); close(p.done) }()
	l.mu.Lock()
	l.ps = append(l.ps, p)
	l.mu.Unlock()
	return p
}

// kill sends SIGKILL (a crash, not a shutdown) and waits.
func (p *proc) kill() {
	p.once.Do(func() {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	})
}

// manager starts capstan-manager serve in ns.
func (l *lab) manager(ns, name string, extra ...string) (*proc, string) {
	state := filepath.Join(l.dir, name)
	// The namespace tier tests discovery, failover and provisioning between
	// managers that each have their own CA (one fleet PKI is issue 18), so
	// its CAPs run without certificates unless a test says otherwise, and
	// the boards enroll automatically; the trust path itself is tested by
	// the trust and attack tests and TestAgentBinaryEnrollsAndLocks. Flags
	// in extra come later and win.
	args := append([]string{filepath.Join(l.bin, "capstan-manager"), "serve", "--state-dir", state, "--name", name, "--log-level", "debug",
		"--require-peer-certificate=false", "--enrollment", "auto"}, extra...)
	p := l.start(ns, name, args...)
	waitFor(l.t, 10*time.Second, name+" API", func() bool {
		_, err := os.Stat(filepath.Join(state, "api-address"))
		return err == nil
	})
	return p, state
}

// cli returns a function that runs capstan-manager's CLI in ns against
// the manager state directory state, failing the test on an error.
func (l *lab) cli(ns, state string) func(args ...string) string {
	return func(args ...string) string {
		l.t.Helper()
		cmd := append([]string{"netns", "exec", ns, filepath.Join(l.bin, "capstan-manager")}, append(args, "--state-dir", state)...)
		out, err := exec.Command("ip", cmd...).CombinedOutput()
		if err != nil {
			l.t.Fatalf("capstan-manager %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
}

// agent starts capstan-agent run --hal sim in ns; its run dir is returned.
func (l *lab) agent(ns, name string, opts ...string) (*proc, string) {
	run := filepath.Join(l.dir, name)
	args := append([]string{filepath.Join(l.bin, "capstan-agent"), "run", "--hal", "sim", "--run-dir", run, "--state-dir", run, "--log-level", "debug", "--identity", name,
		"--certificate", "none"}, opts...)
	return l.start(ns, name, args...), run
}

// agentStatus is the part of `capstan-agent status --json` tests read.
type agentStatus struct {
	State           string    `json:"state"`
	Manager         string    `json:"manager"`
	Transport       string    `json:"transport"`
	DataChannel     string    `json:"data_channel"`
	DiscoveredVia   string    `json:"discovered_via"`
	Joins           int       `json:"joins"`
	Since           time.Time `json:"since"`
	LastManagerLoss *struct {
		At     time.Time `json:"at"`
		Silent string    `json:"silent"`
	} `json:"last_manager_loss"`
}

func (l *lab) status(runDir string) agentStatus {
	out, err := exec.Command(filepath.Join(l.bin, "capstan-agent"), "status", "--json", "--run-dir", runDir).Output()
	var st agentStatus
	if err == nil {
		_ = json.Unmarshal(out, &st)
	}
	return st
}

// remoteCap is the part of `remote-cap print --json` tests read.
type remoteCap struct {
	Identity  string `json:"identity"`
	Address   string `json:"address"`
	Transport string `json:"transport"`
	State     string `json:"state"`
}

func (l *lab) remoteCaps(ns, state string) []remoteCap {
	out, err := l.in(ns, filepath.Join(l.bin, "capstan-manager"), "remote-cap", "print", "--json", "--state-dir", state)
	var caps []remoteCap
	if err == nil {
		_ = json.NewDecoder(bytes.NewReader(out)).Decode(&caps)
	}
	return caps
}
