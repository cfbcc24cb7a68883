package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/manager/fleetstore/fleetstoretest"
)

// BenchmarkFleetFailover runs three managers on one etcd (Debian's
// etcd-server, one member on loopback) and FLEET_FAILOVER_CAPS simulated
// CAPs (default 1000) spread over them, and prints: the time from a
// configuration change committed on one manager to its application on
// every CAP, and the time from SIGKILL of one manager to every CAP in run
// again (its CAPs fail over to the other two).
func BenchmarkFleetFailover(b *testing.B) {
	n := 1000
	if v := os.Getenv("FLEET_FAILOVER_CAPS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 3 || n > 20000 {
			b.Fatalf("FLEET_FAILOVER_CAPS: %q", v)
		}
	}
	bin := binaries(b)
	etcd := fleetstoretest.Start(b, 1)
	kek := filepath.Join(b.TempDir(), "fleet.kek")
	if err := os.WriteFile(kek, []byte(strings.Repeat("3c", 32)), 0o600); err != nil {
		b.Fatal(err)
	}
	type mgr struct {
		m    *managerProc
		cmd  *exec.Cmd
		addr string
	}
	var ms []*mgr
	for i := 1; i <= 3; i++ {
		state := b.TempDir()
		log := &logBuffer{}
		args := []string{"serve", "--state-dir", state, "--name", fmt.Sprintf("m%d", i), "--listen", "127.0.0.1:0", "--http", "",
			"--require-peer-certificate=false", "--enrollment", "auto", "--max-caps", "20000", "--log-level", "info",
			"--store", etcd.URL("bench"), "--store-key-file", kek}
		cmd := exec.Command(filepath.Join(bin, "capstan-manager"), args...)
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		x := &mgr{m: &managerProc{bin: bin, state: state, log: log}, cmd: cmd}
		b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		deadline := time.Now().Add(30 * time.Second)
		for x.addr == "" {
			if time.Now().After(deadline) {
				b.Fatalf("m%d did not start:\n%s", i, log.String())
			}
			time.Sleep(50 * time.Millisecond)
			if out, err := x.m.try("remote-cap", "print", "count-only"); err == nil && strings.TrimSpace(out) != "" {
				x.addr = controlAddrOf(log.String())
			}
		}
		ms = append(ms, x)
		if i == 1 {
			for _, args := range [][]string{
				{"configuration", "add", "name=bench", "ssid=Bench", "channel.frequency=2412"},
				{"provisioning", "add", "action=create-dynamic-enabled", "master-configuration=bench"},
			} {
				if out, err := x.m.try(args...); err != nil {
					b.Fatalf("%v: %v\n%s", args, err, out)
				}
			}
		}
	}
	var addrs []string
	for _, x := range ms {
		addrs = append(addrs, x.addr)
	}
	began := time.Now()
	f := startFleet(b, bin, strings.Join(addrs, ","), n, fleetTimers{echo: time.Second})
	wait := func(what string, limit time.Duration, ok func() bool) time.Duration {
		start := time.Now()
		for !ok() {
			if time.Since(start) > limit {
				b.Fatalf("%s: not after %v (%+v)", what, limit, f.sum())
			}
			time.Sleep(5 * time.Millisecond)
		}
		return time.Since(start)
	}
	wait("all CAPs in run", 5*time.Minute, func() bool { return f.sum().Run == n })
	byMgr := f.sum().ByManager
	fmt.Printf("fleet failover %d: all in run %.1f s after a simultaneous start, spread %v\n", n, time.Since(began).Seconds(), sortedCounts(byMgr))
	// The fleet directory: every manager lists every CAP.
	listed := wait("m3 listing every CAP of the fleet", time.Minute, func() bool {
		out, err := ms[2].m.try("remote-cap", "print", "count-only")
		return err == nil && strings.TrimSpace(out) == strconv.Itoa(n)
	})
	fmt.Printf("fleet failover %d: m3 lists all %d CAPs (%d of them held by m1 and m2) %.2f s after all were in run\n", n, n, n-byMgr[ms[2].addr], listed.Seconds())

	for i, ssid := range []string{"Bench-2", "Bench-3", "Bench-4"} {
		if out, err := ms[1].m.try("configuration", "set", "bench", "ssid="+ssid); err != nil {
			b.Fatalf("edit on m2: %v\n%s", err, out)
		}
		took := wait("the edit on every CAP", time.Minute, func() bool { return f.sum().SSIDs[ssid] == n })
		fmt.Printf("fleet failover %d: commit on m2 → applied on every CAP of the three managers in %.3f s (run %d)\n", n, took.Seconds(), i+1)
		b.ReportMetric(took.Seconds(), "s-commit-to-applied")
	}

	victim := ms[0]
	held := byMgr[victim.addr]
	killed := time.Now()
	_ = victim.cmd.Process.Kill()
	// The simulator reports every 250 ms: watch for the drop, then for
	// every CAP in run on the survivors.
	wait("the victim's CAPs to notice", time.Minute, func() bool { return f.sum().Run < n })
	wait("every CAP in run again", 5*time.Minute, func() bool {
		st := f.sum()
		return st.Run == n && st.ByManager[victim.addr] == 0
	})
	took := time.Since(killed)
	fmt.Printf("fleet failover %d: SIGKILL of m1 (holding %d) → every CAP in run on m2 and m3 after %.2f s (CAPs give a manager up after 2.5 s of silence; counts every 250 ms); spread %v\n",
		n, held, took.Seconds(), sortedCounts(f.sum().ByManager))
	b.ReportMetric(took.Seconds(), "s-failover")
}

func sortedCounts(m map[string]int) string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s:%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}
