package tests

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// threeCAPs makes cap1..cap3 at 10.<net>.0.11-13 and runs an agent with opts
// in each; base MACs are 02:<net>:00:00:0N:00.
func (l *lab) threeCAPs(net int, opts ...string) (runs []string, agents []*proc) {
	for i := 1; i <= 3; i++ {
		ns := l.node(fmt.Sprintf("cap%d", i), fmt.Sprintf("10.%d.0.%d/24", net, 10+i))
		p, run := l.agent(ns, fmt.Sprintf("cap%d", i), append([]string{"--base_mac", fmt.Sprintf("02:%d:00:00:%02x:00", net, i)}, opts...)...)
		runs = append(runs, run)
		agents = append(agents, p)
	}
	return runs, agents
}

// capsOn waits until every run dir reports run on manager.
func (l *lab) capsOn(t *testing.T, runs []string, manager string, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for i, run := range runs {
		waitFor(t, within, fmt.Sprintf("cap%d in run on %s", i+1, manager), func() bool {
			st := l.status(run)
			return st.State == "run" && st.Manager == manager
		})
	}
	return time.Since(start)
}

// TestNetnsManagerKillAndFailover: SIGKILL the manager; every CAP notices
// within 3 s and joins the second manager; when the second dies and the
// first is back, they return to the first. The manager notices a killed CAP
// within 3 s.
func TestNetnsManagerKillAndFailover(t *testing.T) {
	requireNetns(t)
	l := newLab(t)
	m1ns, m2ns := l.node("m1", "10.78.0.1/24"), l.node("m2", "10.78.0.2/24")
	m1, _ := l.manager(m1ns, "m1", "--listen", ":5246")
	m2, m2state := l.manager(m2ns, "m2", "--listen", ":5246")
	runs, agents := l.threeCAPs(78, "--manager_addresses", "10.78.0.1,10.78.0.2", "--manager_names", "m1,m2")
	l.capsOn(t, runs, "m1", 30*time.Second)

	killed := time.Now()
	m1.kill()
	for i, run := range runs {
		waitFor(t, 10*time.Second, fmt.Sprintf("cap%d noticing the loss", i+1), func() bool {
			st := l.status(run)
			return st.LastManagerLoss != nil && st.LastManagerLoss.At.After(killed)
		})
		detect := l.status(run).LastManagerLoss.At.Sub(killed)
		fmt.Printf("failure detection: cap%d noticed the killed manager after %v\n", i+1, detect.Round(time.Millisecond))
		if detect > 3*time.Second {
			t.Errorf("cap%d noticed the loss after %v, want within 3s", i+1, detect)
		}
	}
	l.capsOn(t, runs, "m2", 30*time.Second)
	fmt.Printf("failover: all CAPs in run on m2 %v after m1 was killed\n", time.Since(killed).Round(time.Millisecond))

	// The manager side: kill a CAP, m2 drops it within 3 s.
	killedCAP := time.Now()
	agents[2].kill()
	waitFor(t, 10*time.Second, "m2 dropping cap3", func() bool {
		for _, c := range l.remoteCaps(m2ns, m2state) {
			if c.Identity == "cap3" {
				return false
			}
		}
		return true
	})
	if d := time.Since(killedCAP); d > 3*time.Second {
		t.Errorf("m2 dropped the killed CAP after %v, want within 3s", d)
	} else {
		fmt.Printf("failure detection: m2 dropped the killed cap3 within %v\n", d.Round(time.Millisecond))
	}

	// Back: m1 returns (same state dir, same identity), m2 dies.
	l.manager(m1ns, "m1", "--listen", ":5246")
	m2.kill()
	back := time.Now()
	l.capsOn(t, runs[:2], "m1", 30*time.Second)
	fmt.Printf("failback: cap1 and cap2 in run on m1 %v after m2 was killed\n", time.Since(back).Round(time.Millisecond))
}

// TestNetnsLossAndPartition: joins succeed with 10% random loss each way at
// the manager (nftables), and CAPs rejoin after a partition heals.
func TestNetnsLossAndPartition(t *testing.T) {
	requireNetns(t, "nft")
	l := newLab(t)
	mgr := l.node("mgr", "10.79.0.1/24")
	l.must("ip", "netns", "exec", mgr, "nft", strings.Join([]string{
		"add table inet loss;",
		"add chain inet loss in { type filter hook input priority 0; };",
		"add chain inet loss out { type filter hook output priority 0; };",
		"add rule inet loss in udp dport 5246-5247 numgen random mod 100 < 10 drop;",
		"add rule inet loss out udp sport 5246-5247 numgen random mod 100 < 10 drop",
	}, " "))
	_, state := l.manager(mgr, "core", "--listen", ":5246")
	runs, _ := l.threeCAPs(79, "--manager_addresses", "10.79.0.1")
	took := l.capsOn(t, runs, "core", 90*time.Second)
	fmt.Printf("10%% loss each way: 3 CAPs in run after %v\n", took.Round(time.Millisecond))

	l.must("ip", "netns", "exec", mgr, "nft", "add table inet partition; add chain inet partition in { type filter hook input priority -10; }; add rule inet partition in udp dport 5246-5247 drop")
	cut := time.Now()
	for i, run := range runs {
		// With 10% loss each way a CAP may lose its manager by chance
		// (three exchanges lost in a row) just before the cut; it is then
		// out of run and cannot come back while the partition holds.
		waitFor(t, 15*time.Second, fmt.Sprintf("cap%d noticing the partition", i+1), func() bool {
			st := l.status(run)
			return st.State != "run" && st.LastManagerLoss != nil && st.LastManagerLoss.At.After(cut.Add(-5*time.Second))
		})
	}
	waitFor(t, 10*time.Second, "the manager dropping the partitioned CAPs", func() bool { return len(l.remoteCaps(mgr, state)) == 0 })
	l.must("ip", "netns", "exec", mgr, "nft", "delete table inet partition")
	healed := time.Now()
	l.capsOn(t, runs, "core", 60*time.Second)
	fmt.Printf("partition healed: 3 CAPs back in run after %v (10%% loss still on)\n", time.Since(healed).Round(time.Millisecond))
	for i, run := range runs {
		if st := l.status(run); st.Joins < 2 {
			t.Errorf("cap%d joined %d times, want a rejoin after the partition", i+1, st.Joins)
		}
	}
}
