package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/agent"
	"github.com/capstan-wifi/capstan/internal/testtool"
)

// fleetStatus is the part of an agent's status the fleet test reads, over
// the status socket (fast enough to poll 30 CAPs every few milliseconds).
type fleetStatus struct {
	State   string    `json:"state"`
	Since   time.Time `json:"since"`
	Manager string    `json:"manager"`
	Joins   int       `json:"joins"`
	Radios  []struct {
		SSIDs    []string `json:"ssids"`
		Restarts int      `json:"restarts"`
	} `json:"radios"`
	LockedTo string `json:"locked_to"`
}

func fetchFleetStatus(run string) fleetStatus {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var st fleetStatus
	if b, err := agent.FetchStatus(ctx, run); err == nil {
		_ = json.Unmarshal(b, &st)
	}
	return st
}

func (st fleetStatus) restarts() int {
	n := 0
	for _, r := range st.Radios {
		n += r.Restarts
	}
	return n
}

func (st fleetStatus) serves(ssid string) bool {
	for _, r := range st.Radios {
		for _, s := range r.SSIDs {
			if s == ssid {
				return true
			}
		}
	}
	return false
}

// etcdMember starts one member of a three-member cluster in ns at ip.
func (l *lab) etcdMember(ns, name, ip, cluster string) *proc {
	bin := testtool.Find(l.t, "etcd", "etcd-server")
	return l.start(ns, "etcd-"+name, bin, "--name", name, "--data-dir", filepath.Join(l.dir, "etcd-"+name),
		"--listen-client-urls", "http://"+ip+":2379", "--advertise-client-urls", "http://"+ip+":2379",
		"--listen-peer-urls", "http://"+ip+":2380", "--initial-advertise-peer-urls", "http://"+ip+":2380",
		"--initial-cluster", cluster, "--initial-cluster-state", "new", "--initial-cluster-token", "capstan-"+l.id)
}

// TestNetnsFleetOnEtcd: three etcd members, three managers sharing them
// and 30 CAPs with certificates, locked to their manager's fleet.
//   - the CAPs spread over the managers and every manager lists all 30;
//   - a change made on one manager reaches the CAPs the others hold
//     within 1 s;
//   - a manager killed: its CAPs run on the others within 3 s, their
//     radios not restarted;
//   - a revoke on one manager ends the session of a CAP another holds;
//   - a one-time password made on one manager enrolls a CAP on another;
//   - every manager lists every client; a kick through any manager works;
//   - an etcd member killed: nothing noticed, changes still work;
//   - quorum lost: CAPs keep serving, a change is refused with the
//     reason; quorum back: the change goes through and reaches the CAPs.
func TestNetnsFleetOnEtcd(t *testing.T) {
	requireNetns(t)
	testtool.Find(t, "etcd", "etcd-server")
	l := newLab(t)
	const n = 30
	var eps, cluster []string
	var etcds []*proc
	var etcdNS []string
	for i := 1; i <= 3; i++ {
		ip := fmt.Sprintf("10.80.0.%d", 20+i)
		ns := l.node(fmt.Sprintf("e%d", i), ip+"/16")
		etcdNS = append(etcdNS, ns)
		eps = append(eps, ip+":2379")
		cluster = append(cluster, fmt.Sprintf("e%d=http://%s:2380", i, ip))
	}
	for i, ns := range etcdNS {
		etcds = append(etcds, l.etcdMember(ns, fmt.Sprintf("e%d", i+1), strings.Split(eps[i], ":")[0], strings.Join(cluster, ",")))
	}
	kek := filepath.Join(l.dir, "fleet.kek")
	if err := os.WriteFile(kek, []byte(strings.Repeat("5a", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	store := "etcd://" + strings.Join(eps, ",")
	names := []string{"m1", "m2", "m3"}
	mns := map[string]string{}
	mstate := map[string]string{}
	mproc := map[string]*proc{}
	startManager := func(name string) {
		var p *proc
		p, mstate[name] = l.manager(mns[name], name, "--listen", ":5246", "--store", store, "--store-key-file", kek,
			"--require-peer-certificate=true", "--enrollment", "otp", "--adopt", "02:80:00:00:*")
		mproc[name] = p
	}
	for i, name := range names {
		mns[name] = l.node(name, fmt.Sprintf("10.80.0.%d/16", i+1))
	}
	startManager("m1") // the first makes the fleet's CA
	cli := func(m string) func(args ...string) string { return l.cli(mns[m], mstate[m]) }
	cli("m1")("configuration", "add", "name=office", "ssid=Fleet", "country=PL", "channel.frequency=2412")
	cli("m1")("provisioning", "add", "action=create-dynamic-enabled", "master-configuration=office")
	startManager("m2")
	startManager("m3")

	var runs []string
	for i := 1; i <= n; i++ {
		ns := l.node(fmt.Sprintf("c%d", i), fmt.Sprintf("10.80.1.%d/16", i))
		opts := []string{"--base_mac", fmt.Sprintf("02:80:00:00:%02x:00", i),
			"--manager_addresses", "10.80.0.1,10.80.0.2,10.80.0.3", "--certificate", "request", "--lock_to_manager", "1"}
		if i <= 3 { // a client on each of the first three CAPs
			opts = append(opts, "--sim-stations", fmt.Sprintf("02:99:00:00:00:%02x", i))
		}
		_, run := l.agent(ns, fmt.Sprintf("cap%d", i), opts...)
		runs = append(runs, run)
	}
	inRun := func(within time.Duration, what string, ok func(i int, st fleetStatus) bool) {
		t.Helper()
		waitFor(t, within, what, func() bool {
			for i, run := range runs {
				if !ok(i, fetchFleetStatus(run)) {
					return false
				}
			}
			return true
		})
	}
	inRun(120*time.Second, "30 CAPs in run serving Fleet, locked", func(_ int, st fleetStatus) bool {
		return st.State == "run" && st.serves("Fleet") && st.LockedTo != ""
	})
	held := map[string][]int{}
	for i, run := range runs {
		st := fetchFleetStatus(run)
		held[st.Manager] = append(held[st.Manager], i)
	}
	fmt.Printf("fleet: 30 CAPs in run: m1 %d, m2 %d, m3 %d\n", len(held["m1"]), len(held["m2"]), len(held["m3"]))
	for _, name := range names {
		if len(held[name]) == 0 {
			t.Errorf("%s holds no CAP: the CAPs did not spread", name)
		}
	}
	for _, name := range names {
		name := name
		waitFor(t, 10*time.Second, name+" listing all 30 CAPs with their managers", func() bool {
			var rows []struct {
				Identity, Manager, State string
			}
			out, err := l.in(mns[name], filepath.Join(l.bin, "capstan-manager"), "remote-cap", "print", "--json", "--state-dir", mstate[name])
			if err != nil || json.Unmarshal(out, &rows) != nil || len(rows) != n {
				return false
			}
			for _, r := range rows {
				st := fetchFleetStatus(runs[capIndex(r.Identity)])
				if r.Manager != st.Manager {
					return false
				}
			}
			return true
		})
	}

	for _, name := range names {
		if got := strings.TrimSpace(cli("m3")("remote-cap", "print", "where", "manager="+name, "count-only")); got != fmt.Sprint(len(held[name])) {
			t.Errorf("m3 counts %s CAPs on %s, want %d", got, name, len(held[name]))
		}
	}

	fleetOf := func(m string) (names []string, leaders, caps int) {
		var ms []struct {
			Name   string
			Leader bool
			CAPs   int `json:"caps"`
		}
		out, err := l.in(mns[m], filepath.Join(l.bin, "capstan-manager"), "fleet", "print", "--json", "--state-dir", mstate[m])
		if err != nil || json.Unmarshal(out, &ms) != nil {
			return nil, 0, 0
		}
		for _, x := range ms {
			names = append(names, x.Name)
			caps += x.CAPs
			if x.Leader {
				leaders++
			}
		}
		return names, leaders, caps
	}
	waitFor(t, 10*time.Second, "m2's fleet print: 3 managers, one leader, 30 CAPs", func() bool {
		names, leaders, caps := fleetOf("m2")
		return len(names) == 3 && leaders == 1 && caps == n
	})

	// Every manager's registration table has the three clients, each with
	// the manager that holds its CAP.
	for _, name := range names {
		name := name
		waitFor(t, 10*time.Second, name+" listing the 3 clients with their managers", func() bool {
			var rows []struct{ MAC, CAP, Manager string }
			out, err := l.in(mns[name], filepath.Join(l.bin, "capstan-manager"), "registration-table", "print", "--json", "--state-dir", mstate[name])
			if err != nil || json.Unmarshal(out, &rows) != nil || len(rows) != 3 {
				return false
			}
			for _, r := range rows {
				if r.Manager == "" || r.Manager != fetchFleetStatus(runs[capIndex(r.CAP)]).Manager {
					return false
				}
			}
			return true
		})
	}

	// A client is kicked through a manager that does not hold its CAP:
	// the holder removes it.
	const kicked = "02:99:00:00:00:01"
	holder := fetchFleetStatus(runs[0]).Manager
	via := "m1"
	if holder == via {
		via = "m2"
	}
	if out := cli(via)("registration-table", "remove", kicked); !strings.Contains(out, kicked) {
		t.Fatalf("kick through %s said %q", via, out)
	}
	waitFor(t, 10*time.Second, "the kicked client gone from "+via+"'s table", func() bool {
		out, _ := l.in(mns[via], filepath.Join(l.bin, "capstan-manager"), "registration-table", "print", "--json", "--state-dir", mstate[via])
		return json.Valid(out) && !strings.Contains(string(out), kicked)
	})
	fmt.Printf("fleet: a client of %s's CAP kicked through %s\n", holder, via)

	// A change on m1 reaches every CAP, whichever manager holds it.
	changed := time.Now()
	cli("m1")("configuration", "set", "office", "ssid=Fleet2")
	inRun(10*time.Second, "every CAP serving Fleet2", func(_ int, st fleetStatus) bool { return st.serves("Fleet2") })
	took := time.Since(changed)
	fmt.Printf("fleet: a change on m1 reached all 30 CAPs (m2's and m3's included) in %v\n", took.Round(time.Millisecond))
	if took > time.Second {
		t.Errorf("the change took %v to reach every CAP, want within 1 s", took)
	}

	// m2 dies: its CAPs run on m1 and m3 within 3 s, radios not restarted.
	victims := held["m2"]
	restarts := map[int]int{}
	for _, i := range victims {
		restarts[i] = fetchFleetStatus(runs[i]).restarts()
	}
	killed := time.Now()
	mproc["m2"].kill()
	waitFor(t, 30*time.Second, "m2's CAPs in run on m1 or m3", func() bool {
		for _, i := range victims {
			st := fetchFleetStatus(runs[i])
			if st.State != "run" || st.Manager == "m2" {
				return false
			}
		}
		return true
	})
	// Each CAP's own record of when it reached run, not the poll's.
	var failover time.Duration
	for _, i := range victims {
		failover = max(failover, fetchFleetStatus(runs[i]).Since.Sub(killed))
	}
	fmt.Printf("fleet: m2 killed: its %d CAPs in run on the others after %v\n", len(victims), failover.Round(time.Millisecond))
	if failover > 3*time.Second {
		t.Errorf("failover took %v, want within 3 s", failover)
	}
	waitFor(t, 15*time.Second, "m1's fleet print without the killed m2 (its lease runs out)", func() bool {
		names, leaders, caps := fleetOf("m1")
		return len(names) == 2 && !slices.Contains(names, "m2") && leaders == 1 && caps == n
	})
	for _, i := range victims {
		if st := fetchFleetStatus(runs[i]); st.restarts() != restarts[i] || !st.serves("Fleet2") {
			t.Errorf("cap%d after failover: radio restarts %d → %d, serving %v", i+1, restarts[i], st.restarts(), st.Radios)
		}
	}

	// A revoke on m3 ends the session of a CAP that m1 holds.
	target := -1
	for i, run := range runs {
		if fetchFleetStatus(run).Manager == "m1" {
			target = i
			break
		}
	}
	if target < 0 {
		t.Fatal("m1 holds no CAP")
	}
	joins := fetchFleetStatus(runs[target]).Joins
	cn := "CAP-" + strings.ToUpper(fmt.Sprintf("028000%04x00", target+1))
	revoked := time.Now()
	out := cli("m3")("certificate", "revoke", cn)
	waitFor(t, 10*time.Second, fmt.Sprintf("cap%d's session on m1 ended by m3's revoke (%s)", target+1, strings.TrimSpace(out)), func() bool {
		st := fetchFleetStatus(runs[target])
		return st.State != "run" || st.Joins > joins
	})
	fmt.Printf("fleet: revoke of %s on m3 ended its session on m1 after %v\n", cn, time.Since(revoked).Round(time.Millisecond))

	// A one-time password made on m1 enrolls a CAP that only knows m3.
	pw := strings.Fields(cli("m1")("enrollment-password", "add", "comment=fleet test"))[0]
	otpNS := l.node("c-otp", "10.80.2.1/16")
	_, otpRun := l.agent(otpNS, "cap-otp", "--base_mac", "02:81:00:00:01:00", "--manager_addresses", "10.80.0.3",
		"--certificate", "request", "--enrollment_password", pw)
	waitFor(t, 30*time.Second, "the CAP with m1's one-time password in run on m3", func() bool {
		st := fetchFleetStatus(otpRun)
		return st.State == "run" && st.Manager == "m3"
	})
	if out := cli("m1")("enrollment-password", "print"); !strings.Contains(out, "cap-otp") && !strings.Contains(out, "CAP-028100000100") {
		t.Errorf("m1 does not show its password used by the CAP on m3:\n%s", out)
	}
	fmt.Println("fleet: a one-time password made on m1 enrolled a CAP on m3")

	// One etcd member down: nothing noticed; a change still works.
	joinsBefore := map[int]int{}
	for i, run := range runs {
		joinsBefore[i] = fetchFleetStatus(run).Joins
	}
	etcds[2].kill()
	cli("m1")("configuration", "set", "office", "ssid=Fleet3")
	inRun(10*time.Second, "every other CAP serving Fleet3 with one etcd member down", func(i int, st fleetStatus) bool {
		return i == target || st.serves("Fleet3")
	})

	for i, run := range runs {
		if st := fetchFleetStatus(run); i != target && st.Joins != joinsBefore[i] {
			t.Errorf("cap%d joined again (%d → %d) when one etcd member died", i+1, joinsBefore[i], st.Joins)
		}
	}

	// Quorum lost: the CAPs keep serving; a change is refused with why.
	etcds[1].kill()
	cmd := exec.Command("ip", "netns", "exec", mns["m1"], filepath.Join(l.bin, "capstan-manager"), "configuration", "set", "office", "ssid=Fleet4", "--state-dir", mstate["m1"])
	refusal, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(refusal), "unavailable") {
		t.Fatalf("a change without quorum: err %v, said %s", err, refusal)
	}
	fmt.Printf("fleet: without quorum a change is refused: %s", refusal)
	time.Sleep(3 * time.Second) // longer than a CAP's dead interval: would any CAP have noticed?
	inRun(time.Second, "every other CAP still in run serving Fleet3 without quorum", func(i int, st fleetStatus) bool {
		return i == target || (st.State == "run" && st.serves("Fleet3"))
	})

	// Quorum back: the change goes through and reaches the CAPs.
	etcds[1] = l.etcdMember(etcdNS[1], "e2", "10.80.0.22", strings.Join(cluster, ","))
	waitFor(t, 60*time.Second, "a change accepted after quorum returned", func() bool {
		c := exec.Command("ip", "netns", "exec", mns["m1"], filepath.Join(l.bin, "capstan-manager"), "configuration", "set", "office", "ssid=Fleet4", "--state-dir", mstate["m1"])
		return c.Run() == nil
	})
	inRun(30*time.Second, "every other CAP serving Fleet4 after quorum returned", func(i int, st fleetStatus) bool {
		return i == target || st.serves("Fleet4")
	})
}

// capIndex is i-1 of "capI".
func capIndex(identity string) int {
	var i int
	fmt.Sscanf(identity, "cap%d", &i)
	return i - 1
}
