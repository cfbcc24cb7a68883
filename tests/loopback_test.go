package tests

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/agent"
	"github.com/capstan-wifi/capstan/hal/sim"
	"github.com/capstan-wifi/capstan/manager/controlplane"
	"github.com/capstan-wifi/capstan/pki"
)

// manager starts an in-process manager on loopback and returns its control
// address and a stop function.
func startManager(t testing.TB, name string) (*controlplane.Server, string, context.CancelFunc) {
	t.Helper()
	return startManagerWith(t, name, func(*controlplane.Config) {})
}

// startManagerWith is startManager with the configuration changed by set.
func startManagerWith(t testing.TB, name string, set func(*controlplane.Config)) (*controlplane.Server, string, context.CancelFunc) {
	t.Helper()
	cert, err := pki.SelfSigned("capstan-"+name, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cfg := controlplane.Config{Name: name, ListenAddress: "127.0.0.1:0", Certificate: cert, Logger: testLogger(t)}
	set(&cfg)
	srv, err := controlplane.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	select {
	case <-srv.Ready():
	case err := <-done:
		t.Fatalf("manager: %v", err)
	}
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return srv, srv.ControlAddr().String(), stop
}

// startAgent starts an in-process agent with n simulated radios.
func startAgent(t testing.TB, i int, set func(*agent.Config)) (*agent.Agent, context.CancelFunc) {
	t.Helper()
	mac := net.HardwareAddr{0x02, 0xca, 0x57, 0, byte(i >> 8), byte(i << 4)}
	h, err := sim.New(mac, 2)
	if err != nil {
		t.Fatal(err)
	}
	cfg := agent.DefaultConfig()
	cfg.Identity = fmt.Sprintf("cap%d", i)
	cfg.StateDir = t.TempDir()
	cfg.HAL = h
	cfg.Logger = testLogger(t)
	// Most tests run a manager without a PKI; those about trust ask for
	// certificate=request (the AP's default) themselves.
	cfg.Certificate = agent.CertificateNone
	set(&cfg)
	return runAgent(t, cfg)
}

// runAgent runs an in-process agent until the test ends or stop is called.
func runAgent(t testing.TB, cfg agent.Config) (*agent.Agent, context.CancelFunc) {
	t.Helper()
	a, err := agent.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(ctx) }()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return a, stop
}

func testLogger(t testing.TB) *slog.Logger {
	if f := os.Getenv("CAPSTAN_TEST_LOG"); f != "" {
		w, err := os.OpenFile(f, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err == nil {
			return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}
	}
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return nil
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) { w.t.Log(string(b)); return len(b), nil }

// waitFor polls cond every 20 ms until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestLoopbackJoinAndRemoteCapTable(t *testing.T) {
	srv, addr, _ := startManager(t, "core")
	var agents []*agent.Agent
	for i := range 3 {
		a, _ := startAgent(t, i, func(c *agent.Config) { c.ManagerAddresses = []string{addr} })
		agents = append(agents, a)
	}
	// Both sides: the manager moves a CAP to run when its first data
	// channel keep-alive arrives, the CAP when the echo comes back, after
	// writing its lock to disk.
	waitFor(t, 15*time.Second, "3 CAPs in run on both sides", func() bool {
		n := 0
		for _, c := range srv.RemoteCaps() {
			if c.State == "run" {
				n++
			}
		}
		for _, a := range agents {
			if a.Status().State != "run" {
				return false
			}
		}
		return n == 3
	})
	caps := srv.RemoteCaps()
	for i, c := range caps {
		if c.Identity != fmt.Sprintf("cap%d", i) || c.Radios != 2 || c.Board != "capstan-sim" || c.Transport != "udp" {
			t.Errorf("remote cap %d: %+v", i, c)
		}
	}
	for i, a := range agents {
		st := a.Status()
		if st.State != "run" || st.Manager != "core" || st.ManagerCN != "capstan-core" || st.DiscoveredVia != "static" || st.Joins != 1 {
			t.Errorf("agent %d status: %+v", i, st)
		}
	}
}

func TestLoopbackManagerLossAndFailover(t *testing.T) {
	srv1, addr1, stop1 := startManager(t, "first")
	srv2, addr2, _ := startManager(t, "second")
	a, _ := startAgent(t, 7, func(c *agent.Config) {
		c.ManagerAddresses = []string{addr1, addr2}
		c.ManagerNames = []string{"first", "second"}
	})
	waitFor(t, 15*time.Second, "run on the first manager", func() bool {
		st := a.Status()
		return st.State == "run" && st.Manager == "first"
	})
	killed := time.Now()
	stop1()
	waitFor(t, 10*time.Second, "the loss noticed", func() bool { return a.Status().LastManagerLoss != nil })
	detect := a.Status().LastManagerLoss.At.Sub(killed)
	t.Logf("manager loss noticed after %v", detect.Round(time.Millisecond))
	if detect > 3*time.Second {
		t.Errorf("loss noticed after %v, want within 3s", detect)
	}
	waitFor(t, 15*time.Second, "run on the second manager", func() bool {
		st := a.Status()
		return st.State == "run" && st.Manager == "second"
	})
	if len(srv2.RemoteCaps()) != 1 || len(srv1.RemoteCaps()) != 0 {
		t.Errorf("tables after failover: first %v, second %v", srv1.RemoteCaps(), srv2.RemoteCaps())
	}
}

func TestLoopbackManagerNoticesLostCAP(t *testing.T) {
	srv, addr, _ := startManager(t, "core")
	a, stop := startAgent(t, 9, func(c *agent.Config) { c.ManagerAddresses = []string{addr} })
	waitFor(t, 15*time.Second, "run", func() bool { return a.Status().State == "run" })
	killed := time.Now()
	stop()
	waitFor(t, 5*time.Second, "the CAP dropped from the table", func() bool { return len(srv.RemoteCaps()) == 0 })
	if d := time.Since(killed); d > 3*time.Second+200*time.Millisecond {
		t.Errorf("manager dropped the CAP after %v, want within 3s", d)
	}
}

func TestLoopbackAllowedCommonNames(t *testing.T) {
	_, addr1, _ := startManager(t, "rogue")
	_, addr2, _ := startManager(t, "core")
	a, _ := startAgent(t, 11, func(c *agent.Config) {
		c.ManagerAddresses = []string{addr1, addr2}
		c.ManagerNames = []string{"rogue", "core"} // the rogue manager ranks first
		c.ManagerCertificateCommonNames = []string{"capstan-core"}
	})
	waitFor(t, 15*time.Second, "run on the allowed manager", func() bool {
		st := a.Status()
		return st.State == "run" && st.Manager == "core" && st.ManagerCN == "capstan-core"
	})
}
