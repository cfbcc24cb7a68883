package tests

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/internal/fleetsim"
	"github.com/capstan-wifi/capstan/manager/api"
	"github.com/capstan-wifi/capstan/manager/controlplane"
)

// procStat is a process's CPU time and resident memory, from /proc.
func procStat(pid int) (cpu time.Duration, rssKiB int64) {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if i := strings.LastIndexByte(string(b), ')'); i > 0 {
		f := strings.Fields(string(b[i+2:]))
		if len(f) > 13 {
			ut, _ := strconv.ParseInt(f[11], 10, 64)
			st, _ := strconv.ParseInt(f[12], 10, 64)
			cpu = time.Duration(ut+st) * time.Second / 100 // USER_HZ
		}
	}
	s, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(s), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			rssKiB, _ = strconv.ParseInt(strings.Fields(v)[0], 10, 64)
		}
	}
	return cpu, rssKiB
}

// simProc is one capstan-fleetsim process and its latest counts.
type simProc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	last fleetsim.Stats
}

func (s *simProc) stats() fleetsim.Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// simFleet is the simulators of one benchmark run.
type simFleet []*simProc

func (f simFleet) sum() (st fleetsim.Stats) {
	st.SSIDs = map[string]int{}
	st.Errors = map[string]int{}
	st.ByManager = map[string]int{}
	for _, s := range f {
		l := s.stats()
		st.Run += l.Run
		st.Joins += l.Joins
		st.Drops += l.Drops
		st.Fails += l.Fails
		for k, v := range l.SSIDs {
			st.SSIDs[k] += v
		}
		for k, v := range l.Errors {
			st.Errors[k] += v
		}
		for k, v := range l.ByManager {
			st.ByManager[k] += v
		}
	}
	return st
}

func (f simFleet) cpu() (total time.Duration) {
	for _, s := range f {
		c, _ := procStat(s.cmd.Process.Pid)
		total += c
	}
	return total
}

// renice sets every thread of every simulator to nice (Linux applies
// a nice value per thread).
func (f simFleet) renice(b *testing.B, nice int) {
	for _, s := range f {
		tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", s.cmd.Process.Pid))
		if err != nil {
			b.Fatal(err)
		}
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil {
				continue
			}
			err = syscall.Setpriority(syscall.PRIO_PROCESS, tid, nice)
			switch {
			case errors.Is(err, syscall.EPERM): // back to 0 needs root
				b.Logf("renice simulator thread %d to %d: %v", tid, nice, err)
				return
			case err != nil && !errors.Is(err, syscall.ESRCH):
				b.Fatalf("renice %d: %v", tid, err)
			}
		}
	}
}

// perSim is how many CAPs one simulator process runs: one socket each,
// under the 20,000 open files a process may have here.
const perSim = 8000

func startFleet(b *testing.B, bin, manager string, n int, timers fleetTimers) simFleet {
	var f simFleet
	for first := 0; first < n; first += perSim {
		cmd := exec.Command(filepath.Join(bin, "capstan-fleetsim"), "--manager", manager, "--every", "50ms",
			"--caps", strconv.Itoa(min(perSim, n-first)), "--first", strconv.Itoa(first),
			"--spread", timers.spread.String(), "--dead-after", timers.timeout().String())
		out, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		s := &simProc{cmd: cmd}
		go func() {
			sc := bufio.NewScanner(out)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var st fleetsim.Stats
				if json.Unmarshal(sc.Bytes(), &st) == nil {
					s.mu.Lock()
					s.last = st
					s.mu.Unlock()
				}
			}
		}()
		f = append(f, s)
	}
	b.Cleanup(func() {
		for _, s := range f {
			_ = s.cmd.Process.Signal(os.Interrupt)
		}
		for _, s := range f {
			_ = s.cmd.Wait()
		}
	})
	return f
}

// fleetTimers are a fleet benchmark's echo interval (told to the CAPs by
// the manager) and how long the simulated CAPs' starts are spread over.
type fleetTimers struct {
	echo, spread time.Duration
}

// timeout is the dead timer on both sides: 2.5 echo intervals, the
// defaults' ratio (1 s, 2.5 s).
func (t fleetTimers) timeout() time.Duration { return t.echo * 5 / 2 }

// fleetTimersFromEnv reads FLEET_ECHO (default 1s, whole seconds) and
// FLEET_SPREAD (default 0: every CAP at once).
func fleetTimersFromEnv(b *testing.B) fleetTimers {
	t := fleetTimers{echo: controlplane.DefaultEchoInterval}
	for name, d := range map[string]*time.Duration{"FLEET_ECHO": &t.echo, "FLEET_SPREAD": &t.spread} {
		if v := os.Getenv(name); v != "" {
			var err error
			if *d, err = time.ParseDuration(v); err != nil || *d < 0 {
				b.Fatalf("%s: %q: want a duration", name, v)
			}
		}
	}
	if t.echo < time.Second || t.echo%time.Second != 0 || t.echo > 100*time.Second {
		b.Fatalf("FLEET_ECHO: %v: want whole seconds, 1–100", t.echo)
	}
	return t
}

// BenchmarkFleet starts N simulated CAPs at once (capstan-fleetsim: DTLS,
// Join, Configure, Data Check, an echo a second) against a real
// `capstan-manager serve` on loopback and prints the storm, the steady
// state and an edit. FLEET_SIZES (default 1000,5000,10000,20000) and
// FLEET_STEADY (default 10m) choose what runs; FLEET_ECHO and FLEET_SPREAD
// (see fleetTimersFromEnv) make a fleet with slower timers and a
// staggered start, to measure the console with 20,000 real sessions on a
// machine that cannot carry them at the default timers (issue 14).
func BenchmarkFleet(b *testing.B) {
	sizes := []int{1000, 5000, 10000, 20000}
	if v := os.Getenv("FLEET_SIZES"); v != "" {
		sizes = nil
		for _, s := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n < 1 || n > 20000 {
				b.Fatalf("FLEET_SIZES: %q", s)
			}
			sizes = append(sizes, n)
		}
	}
	steady := 10 * time.Minute
	if v := os.Getenv("FLEET_STEADY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("FLEET_STEADY: %v", err)
		}
		steady = d
	}
	timers := fleetTimersFromEnv(b)
	bin := binaries(b)
	for _, n := range sizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) { fleetRun(b, bin, n, steady, timers) })
	}
}

// stormLimit is how long a storm may take before the benchmark gives up.
var stormLimit = func() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("FLEET_STORM_LIMIT")); err == nil {
		return d
	}
	return 5 * time.Minute
}()

func fleetRun(b *testing.B, bin string, n int, steady time.Duration, timers fleetTimers) {
	state := b.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := &logBuffer{}
	mgr := exec.CommandContext(ctx, filepath.Join(bin, "capstan-manager"), "serve", "--state-dir", state,
		"--listen", "127.0.0.1:0", "--http", "", "--require-peer-certificate=false", "--enrollment", "auto",
		"--ssid", "Bench", "--max-caps", "20000", "--log-level", "info",
		"--echo-interval", timers.echo.String(), "--cap-timeout", timers.timeout().String())
	mgr.Stdout, mgr.Stderr = log, log
	mgr.Cancel = func() error { return mgr.Process.Signal(syscall.SIGTERM) } // a clean exit (profiles are written)
	mgr.WaitDelay = 10 * time.Second
	if err := mgr.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { cancel(); _ = mgr.Wait() }()
	m := &managerProc{bin: bin, state: state, log: log}
	var addr string
	deadline := time.Now().Add(30 * time.Second)
	for addr == "" {
		if time.Now().After(deadline) {
			b.Fatalf("manager did not start:\n%s", log.String())
		}
		time.Sleep(50 * time.Millisecond)
		out, err := m.try("remote-cap", "print", "count-only")
		if err == nil && strings.TrimSpace(out) == "0" {
			addr = controlAddrOf(log.String())
		}
	}
	if out, err := m.try("configuration", "set", "default", "channel.frequency=2412"); err != nil {
		b.Fatalf("set channel: %v\n%s", err, out)
	}
	pid := mgr.Process.Pid
	cpu0, rss0 := procStat(pid)
	began := time.Now()
	f := startFleet(b, bin, addr, n, timers)
	for f.sum().Run < n {
		if time.Since(began) > stormLimit+timers.spread {
			// A result, not a crash: say how far the fleet got and why
			// sessions failed, and go on to the next size.
			fmt.Printf("fleet %d: did not converge: %d in run after %v (FLEET_STORM_LIMIT); manager CPU %.1f s, simulator CPU %.1f s; why sessions failed or ended: %v\n",
				n, f.sum().Run, time.Since(began).Round(time.Second), func() float64 { c, _ := procStat(pid); return (c - cpu0).Seconds() }(),
				f.cpu().Seconds(), f.sum().Errors)
			b.ReportMetric(float64(f.sum().Run), "in-run-at-limit")
			fleetConsole(b, m, n, f)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	storm := time.Since(began)
	fleetConsole(b, m, n, f)
	cpu1, _ := procStat(pid)
	simStorm := f.cpu()
	joins := f.sum().Joins
	if errs := f.sum().Errors; len(errs) > 0 {
		fmt.Printf("fleet %d: why sessions failed or ended in the storm: %v\n", n, errs)
	}
	if timers != (fleetTimers{echo: controlplane.DefaultEchoInterval}) {
		fmt.Printf("fleet %d: timers: echo every %v, dead after %v; starts spread over %v\n", n, timers.echo, timers.timeout(), timers.spread)
	}
	fmt.Printf("fleet %d: all in run %.1f s after the first start; manager CPU in the storm %.1f s (%.2f ms per join, %.2f cores), simulator CPU %.1f s; %d joins, %d failed attempts\n",
		n, storm.Seconds(), (cpu1 - cpu0).Seconds(), float64((cpu1-cpu0).Microseconds())/1000/float64(n),
		(cpu1-cpu0).Seconds()/storm.Seconds(), simStorm.Seconds(), joins, f.sum().Fails)

	// Steady state.
	drops0 := f.sum().Drops
	cpuS0, simS0, t0 := cpu1, f.cpu(), time.Now()
	for time.Since(t0) < steady {
		time.Sleep(time.Second)
	}
	cpuS1, rss1 := procStat(pid)
	simS1 := f.cpu()
	el := time.Since(t0).Seconds()
	drops := f.sum().Drops - drops0
	fmt.Printf("fleet %d: steady %.0f s: manager %.3f cores (%.1f µs per CAP per second), RSS %.0f MiB (%.1f KiB per CAP), false drops %d; simulator %.3f cores\n",
		n, el, (cpuS1-cpuS0).Seconds()/el, (cpuS1-cpuS0).Seconds()/el/float64(n)*1e6, float64(rss1)/1024,
		float64(rss1-rss0)/float64(n), drops, (simS1-simS0).Seconds()/el)

	// An edit reaches every CAP.
	cpuE0, simE0 := func() time.Duration { c, _ := procStat(pid); return c }(), f.cpu()
	edit := time.Now()
	if out, err := m.try("configuration", "set", "default", "ssid=Bench-edited"); err != nil {
		b.Fatalf("edit: %v\n%s", err, out)
	}
	for f.sum().SSIDs["Bench-edited"] < n {
		if time.Since(edit) > 5*time.Minute {
			b.Fatalf("edit applied on %d of %d CAPs after %v", f.sum().SSIDs["Bench-edited"], n, time.Since(edit).Round(time.Second))
		}
		time.Sleep(20 * time.Millisecond)
	}
	cpuE1, _ := procStat(pid)
	fmt.Printf("fleet %d: edit → applied on every CAP in %.2f s (manager CPU %.1f s, simulator CPU %.1f s)\n",
		n, time.Since(edit).Seconds(), (cpuE1 - cpuE0).Seconds(), (f.cpu() - simE0).Seconds())
	b.ReportMetric(storm.Seconds(), "s-to-run")
	b.ReportMetric((cpuS1-cpuS0).Seconds()/el, "steady-cores")
}

// controlAddrOf reads the UDP control address from the manager's log.
func controlAddrOf(log string) string {
	for _, l := range strings.Split(log, "\n") {
		if i := strings.Index(l, "control=127.0.0.1:"); i >= 0 {
			return strings.Fields(l[i+len("control="):])[0]
		}
	}
	return ""
}

// fleetConsole times the web console's remote-CAP page against the
// fleet's manager (skipped without Chromium): once as is, and once with
// the simulators at the lowest CPU priority (nice 19), standing for CAPs
// that run on their own hardware rather than on the manager's two cores.
func fleetConsole(b *testing.B, m *managerProc, n int, f simFleet) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		return
	}
	if out, err := m.try("user", "add", "name=bench", "group=read", "password=a benchmark's password"); err != nil {
		b.Fatalf("user add: %v\n%s", err, out)
	}
	count := strings.TrimSpace(func() string { out, _ := m.try("remote-cap", "print", "count-only"); return out }())
	for _, nice := range []int{0, 19} {
		f.renice(b, nice)
		mean, worst := consoleFirstPaint(b, chromium, "http://"+m.file(api.AddressFile), "bench", "a benchmark's password", 10)
		fmt.Printf("fleet %d: console remote-CAP page to first rows painted %.0f ms mean, %.0f ms worst of 10, %s CAPs in the table, simulators at nice %d (target < 1000 ms)\n",
			n, float64(mean.Milliseconds()), float64(worst.Milliseconds()), count, nice)
	}
	f.renice(b, 0)
	// What the page asks the API for, each timed alone (mean of 10).
	client, err := api.NewClient(m.state)
	if err != nil {
		b.Fatal(err)
	}
	paths := []string{"/api/v1/remote-caps?offset=0&limit=50", "/api/v1/enrollment-requests", "/api/v1/openapi.json", "/api/v1/remote-caps?count-only=true&state=run"}
	took := make([]time.Duration, len(paths))
	for range 10 {
		for i, path := range paths {
			start := time.Now()
			var out any
			if err := client.Get(context.Background(), path, &out); err != nil {
				b.Fatalf("GET %s: %v", path, err)
			}
			took[i] += time.Since(start)
		}
	}
	var line []string
	for i, path := range paths {
		line = append(line, fmt.Sprintf("%s %.1f ms", path, float64(took[i].Microseconds())/10000))
	}
	fmt.Printf("fleet %d: API, mean of 10: %s\n", n, strings.Join(line, ", "))
}
