package tests

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/capstan-wifi/capstan/internal/testtool"
)

// etcdSingle runs a one-member etcd on ns's loopback and a store key for
// the managers there; it returns the --store URL and the key file.
func (l *lab) etcdSingle(ns string) (store, kek string) {
	l.t.Helper()
	bin := testtool.Find(l.t, "etcd", "etcd-server")
	name := strings.TrimPrefix(ns, "cs"+l.id+"-")
	l.start(ns, "etcd-"+name, bin, "--name", "e1", "--data-dir", filepath.Join(l.dir, "etcd-"+name),
		"--listen-client-urls", "http://127.0.0.1:2379", "--advertise-client-urls", "http://127.0.0.1:2379",
		"--listen-peer-urls", "http://127.0.0.1:2380", "--initial-advertise-peer-urls", "http://127.0.0.1:2380",
		"--initial-cluster", "e1=http://127.0.0.1:2380")
	waitFor(l.t, 60*time.Second, "etcd in "+ns, func() bool {
		_, err := l.in(ns, "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/2379")
		return err == nil
	})
	kek = filepath.Join(l.dir, "fleet-"+name+".kek")
	if err := os.WriteFile(kek, []byte(strings.Repeat("a5", 32)+"\n"), 0o600); err != nil {
		l.t.Fatal(err)
	}
	return "etcd://127.0.0.1:2379", kek
}

// testFleetFailover: a second manager of the same fleet store starts; the
// board's manager is killed; the CAP moves to the second manager and its
// station stays associated throughout: no new CTRL-EVENT-CONNECTED, no
// radio restart, and the second manager's registration table has it.
func (b *board) testFleetFailover() {
	t := b.t
	const sta = "02:00:00:00:01:00"
	l := b.lab
	l.must("ip", "-n", b.ns, "addr", "add", "192.0.2.2/24", "dev", "tap0")
	_, state2 := l.manager(b.ns, "manager2-"+b.spec.name, "--listen", "192.0.2.2:5246", "--http", "127.0.0.1:0",
		"--store", b.store, "--store-key-file", b.kek)
	status := func() (st struct {
		State   string `json:"state"`
		Manager string `json:"manager"`
		Radios  []struct {
			Restarts int `json:"restarts"`
		} `json:"radios"`
	}) {
		out, _ := b.tryRun("capstan-agent status --json --run-dir /var/run/capstan", 30*time.Second)
		if i := strings.Index(out, "{"); i >= 0 {
			_ = json.Unmarshal([]byte(out[i:]), &st)
		}
		return st
	}
	before := status()
	if before.State != "run" || before.Manager != "manager-"+b.spec.name || len(before.Radios) == 0 {
		t.Fatalf("before the failover the CAP is %+v", before)
	}
	b.waitFor(t, 60*time.Second, "the station connected before the failover", func() bool {
		out, _ := b.con.run("wpa_cli -i wlan1 status", 30*time.Second)
		return strings.Contains(out, "wpa_state=COMPLETED")
	})
	connects := b.connects()
	killed := time.Now()
	b.manager.kill()
	b.waitFor(t, 60*time.Second, "the CAP in run on the second manager", func() bool {
		st := status()
		return st.State == "run" && st.Manager == "manager2-"+b.spec.name
	})
	t.Logf("%s: manager killed → CAP in run on the second manager of the fleet after %.1f s (test's clock, console round trips included)",
		b.spec.name, time.Since(killed).Seconds())
	b.state = state2
	waitStationOn(t, b, sta, "capstan-renamed")
	after := status()
	if after.Radios[0].Restarts != before.Radios[0].Restarts {
		t.Errorf("the radio restarted in the failover: %d → %d", before.Radios[0].Restarts, after.Radios[0].Restarts)
	}
	if n := b.connects(); n != connects {
		t.Fatalf("the station connected again during the failover (%d → %d CTRL-EVENT-CONNECTED)", connects, n)
	}
	if out := b.con.must("wpa_cli -i wlan1 status", 30*time.Second); !strings.Contains(out, "wpa_state=COMPLETED") {
		t.Fatalf("the station after the failover:\n%s", out)
	}
	t.Logf("%s: the station stayed associated through the failover (no new connection, radio restarts %d)", b.spec.name, after.Radios[0].Restarts)
}
