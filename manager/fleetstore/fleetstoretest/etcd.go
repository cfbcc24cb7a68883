// Package fleetstoretest runs real etcd members (Debian's etcd-server) on
// loopback for tests of the fleet store: a cluster of one or more members
// in a temporary directory, with members that can be stopped and started
// again to take quorum away and give it back.
package fleetstoretest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/internal/testtool"
	"github.com/capstan-wifi/capstan/manager/fleetstore"
)

// Cluster is a running etcd cluster on 127.0.0.1.
type Cluster struct {
	t       testing.TB
	bin     string
	dir     string
	members []*Member
}

// Member is one etcd process.
type Member struct {
	Name             string
	Client, PeerURL  string
	dir, initCluster string
	extra            []string // more flags (TLS)
	mu               sync.Mutex
	cmd              *exec.Cmd
	done             chan struct{}
}

// Start runs n members (1 or 3 for a quorum to lose) and waits until the
// cluster answers; they are killed when the test ends.
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	c := &Cluster{t: t, bin: findEtcd(t), dir: t.TempDir()}
	ports := freePorts(t, 2*n)
	var initial []string
	for i := range n {
		m := &Member{Name: fmt.Sprintf("m%d", i+1),
			Client: fmt.Sprintf("http://127.0.0.1:%d", ports[2*i]), PeerURL: fmt.Sprintf("http://127.0.0.1:%d", ports[2*i+1])}
		m.dir = filepath.Join(c.dir, m.Name)
		c.members = append(c.members, m)
		initial = append(initial, m.Name+"="+m.PeerURL)
	}
	for _, m := range c.members {
		m.initCluster = strings.Join(initial, ",")
		c.StartMember(m)
	}
	t.Cleanup(func() {
		for _, m := range c.members {
			c.Stop(m)
		}
	})
	c.waitReady()
	return c
}

// Members are the cluster's members in order.
func (c *Cluster) Members() []*Member { return c.members }

func findEtcd(t testing.TB) string { return testtool.Find(t, "etcd", "etcd-server") }

func itoa(n int) string { return fmt.Sprint(n) }

// URL is the --store value for the cluster under prefix ("" for the default).
func (c *Cluster) URL(prefix string) string {
	var hosts []string
	for _, m := range c.members {
		hosts = append(hosts, strings.TrimPrefix(strings.TrimPrefix(m.Client, "http://"), "https://"))
	}
	u := "etcd://" + strings.Join(hosts, ",")
	if strings.HasPrefix(c.members[0].Client, "https://") {
		u = "etcds://" + strings.Join(hosts, ",")
	}
	if prefix != "" {
		u += "/" + prefix
	}
	return u
}

// Config is the fleet store configuration for the cluster.
func (c *Cluster) Config(prefix string) fleetstore.Config {
	cfg, _, err := fleetstore.ParseURL(c.URL(prefix))
	if err != nil {
		c.t.Fatal(err)
	}
	return cfg
}

// StartMember starts m (again, after Stop, on its data directory).
func (c *Cluster) StartMember(m *Member) {
	c.t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	log, err := os.OpenFile(filepath.Join(c.dir, m.Name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		c.t.Fatal(err)
	}
	m.cmd = exec.Command(c.bin, "--name", m.Name, "--data-dir", m.dir,
		"--listen-client-urls", m.Client, "--advertise-client-urls", m.Client,
		"--listen-peer-urls", m.PeerURL, "--initial-advertise-peer-urls", m.PeerURL,
		"--initial-cluster", m.initCluster, "--initial-cluster-state", "new", "--initial-cluster-token", "capstan-test",
		"--heartbeat-interval", "100", "--election-timeout", "1000")
	m.cmd.Args = append(m.cmd.Args, m.extra...)
	m.cmd.Stdout, m.cmd.Stderr = log, log
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := m.cmd.Start(); err != nil {
		log.Close()
		c.t.Fatal(err)
	}
	m.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); log.Close(); close(done) }(m.cmd, m.done)
}

// Stop kills m.
func (c *Cluster) Stop(m *Member) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd == nil {
		return
	}
	_ = m.cmd.Process.Kill()
	<-m.done
	m.cmd = nil
}

// Log is the tail of m's output, for failure messages.
func (c *Cluster) Log(m *Member) string {
	b, _ := os.ReadFile(filepath.Join(c.dir, m.Name+".log"))
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

func (c *Cluster) waitReady() {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s, err := fleetstore.Open(ctx, c.Config(""))
		cancel()
		if err == nil {
			s.Close()
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("etcd cluster not ready after 60 s: %v\n%s", err, c.Log(c.members[0]))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freePorts(t testing.TB, n int) []int {
	var out []int
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return out
}
