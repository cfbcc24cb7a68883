package tests

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/agent"
)

// wlansOf reads the applied WLANs of an agent's radios.
func (l *lab) wlansOf(runDir string) [][]agent.WLANStatus {
	out, err := exec.Command(filepath.Join(l.bin, "capstan-agent"), "status", "--json", "--run-dir", runDir).Output()
	if err != nil {
		return nil
	}
	var st agent.Status
	if json.Unmarshal(out, &st) != nil {
		return nil
	}
	var w [][]agent.WLANStatus
	for _, r := range st.Radios {
		w = append(w, r.WLANs)
	}
	return w
}

// TestNetnsProvisioning: two CAPs with different identities, real
// binaries, each provisioned by its own rule into its own SSID (master and
// a slave), a shared security profile edited live reaching both CAPs
// within a second, and remote-cap provision re-running the rules.
func TestNetnsProvisioning(t *testing.T) {
	requireNetns(t)
	l := newLab(t)
	mgr := l.node("mgr", "10.82.0.1/24")
	_, state := l.manager(mgr, "core", "--listen", ":5246")
	cli := l.cli(mgr, state)
	cli("security", "add", "name=staff", "authentication-types=wpa2-psk", "passphrase=staff-passphrase")
	cli("configuration", "add", "name=lobby", "ssid=Lobby", "security=staff", "country=PL")
	cli("configuration", "add", "name=lab", "ssid=Lab", "security=staff", "country=PL")
	cli("configuration", "add", "name=guest", "ssid=Guest")
	cli("provisioning", "add", "identity-regexp=^lobby-", "action=create-dynamic-enabled", "master-configuration=lobby", "slave-configurations=guest", "name-format=%I")
	cli("provisioning", "add", "identity-regexp=^lab-", "action=create-dynamic-enabled", "master-configuration=lab", "name-format=%I")

	var runs []string
	for i, name := range []string{"lobby-ap", "lab-ap"} {
		ns := l.node(name, "10.82.0."+string(rune('2'+i))+"/24")
		_, run := l.agent(ns, name, "--base_mac", "02:82:00:00:0"+string(rune('1'+i))+":00", "--manager_addresses", "10.82.0.1")
		runs = append(runs, run)
	}
	serving := func(run string, want ...string) func() bool {
		return func() bool {
			w := l.wlansOf(run)
			if len(w) != 2 {
				return false
			}
			for _, radio := range w {
				var got []string
				for _, wl := range radio {
					got = append(got, wl.SSID+"/"+wl.Security)
				}
				if !slices.Equal(got, want) {
					return false
				}
			}
			return true
		}
	}
	waitFor(t, 30*time.Second, "lobby-ap serving Lobby and Guest", serving(runs[0], "Lobby/wpa2-psk", "Guest/open"))
	waitFor(t, 30*time.Second, "lab-ap serving Lab", serving(runs[1], "Lab/wpa2-psk"))

	var ifs []map[string]any
	if err := json.Unmarshal([]byte(cli("interface", "print", "--json")), &ifs); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, it := range ifs {
		names = append(names, it["name"].(string))
	}
	slices.Sort(names)
	if want := []string{"lab-ap", "lab-ap-2", "lobby-ap", "lobby-ap-1", "lobby-ap-2", "lobby-ap-2-1"}; !slices.Equal(names, want) {
		t.Errorf("interfaces = %v, want %v", names, want)
	}
	if out := cli("interface", "print"); !strings.Contains(out, "DR  cap=lobby-ap name=lobby-ap-1 master-interface=lobby-ap configuration=guest") {
		t.Errorf("interface print:\n%s", out)
	}

	// A live edit of the shared profile: both CAPs apply it, no rejoin.
	edited := time.Now()
	cli("security", "set", "staff", "authentication-types=wpa2-psk,wpa3-psk")
	acked := time.Since(edited)
	var took [2]time.Duration
	deadline := time.Now().Add(5 * time.Second)
	for took[0] == 0 || took[1] == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the edit did not reach both CAPs in 5 s: %v", took)
		}
		for i, want := range [][]string{{"Lobby/wpa2-wpa3", "Guest/open"}, {"Lab/wpa2-wpa3"}} {
			if took[i] == 0 && serving(runs[i], want...)() {
				took[i] = time.Since(edited)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("live profile edit: API acknowledged after %v; applied on lobby-ap after %v, lab-ap after %v (status polled every ~5 ms)",
		acked.Round(time.Millisecond), took[0].Round(time.Millisecond), took[1].Round(time.Millisecond))
	for i, d := range took {
		if d > time.Second {
			t.Errorf("CAP %d applied the edit after %v, want within 1 s", i, d)
		}
	}
	for _, run := range runs {
		if st := l.status(run); st.Joins != 1 {
			t.Errorf("%s joined %d times: the edit was not live", run, st.Joins)
		}
	}

	// Prometheus metrics, scraped without the admin token.
	apiAddr, _ := os.ReadFile(filepath.Join(state, "api-address"))
	metrics, err := exec.Command("ip", "netns", "exec", mgr, "curl", "-sf", "http://"+strings.TrimSpace(string(apiAddr))+"/metrics").Output()
	if err != nil {
		t.Fatalf("scrape /metrics: %v", err)
	}
	for _, want := range []string{`capstan_caps{state="run"} 2`, "capstan_joins_total 2", `capstan_interfaces{kind="dynamic"} 6`,
		"capstan_clients 0", "capstan_join_seconds_count 2", "capstan_dtls_handshake_seconds_count 2", `capstan_data_packets_total{direction="rx",kind="keepalive"}`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if m := regexp.MustCompile(`capstan_config_pushes_total (\d+)`).FindStringSubmatch(string(metrics)); m == nil || atoi(m[1]) < 4 {
		t.Errorf("config pushes: %v (want at least 4: a request per CAP, before and after the edit)", m)
	}

	// The rules change; remote-cap provision moves lab-ap onto the lobby rule.
	cli("provisioning", "set", "1", "identity-regexp=^(lab|lobby)-")
	cli("provisioning", "move", "1", "destination=0")
	waitFor(t, 5*time.Second, "lobby-ap on the lab rule, without its slave", serving(runs[0], "Lab/wpa2-wpa3"))
	var prov []map[string]any
	if err := json.Unmarshal([]byte(cli("remote-cap", "provision", "lab-ap", "--json")), &prov); err != nil {
		t.Fatal(err)
	}
	if len(prov) != 2 || prov[0]["name"] != "lab-ap" || prov[0]["configuration"] != "lab" || prov[1]["name"] != "lab-ap-2" {
		t.Errorf("remote-cap provision lab-ap = %v", prov)
	}
	cli("provisioning", "set", "0", "master-configuration=guest")
	waitFor(t, 5*time.Second, "lab-ap on the changed rule", serving(runs[1], "Guest/open"))
	waitFor(t, 5*time.Second, "lobby-ap on the changed rule", serving(runs[0], "Guest/open"))
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
