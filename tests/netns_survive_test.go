package tests

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// radios reads the radios part of an agent's status.
func (l *lab) radios(runDir string) (ssids [][]string, restarts []int) {
	out, err := exec.Command(filepath.Join(l.bin, "capstan-agent"), "status", "--json", "--run-dir", runDir).Output()
	if err != nil {
		return nil, nil
	}
	var st struct {
		Radios []struct {
			SSIDs    []string `json:"ssids"`
			Restarts int      `json:"restarts"`
		} `json:"radios"`
	}
	if err := json.Unmarshal(out, &st); err != nil {
		return nil, nil
	}
	for _, r := range st.Radios {
		ssids = append(ssids, r.SSIDs)
		restarts = append(restarts, r.Restarts)
	}
	return ssids, restarts
}

// TestNetnsSurvivability: radios keep their configuration while the manager
// is gone; a returning manager with the same configuration restarts nothing;
// one with another configuration does.
func TestNetnsSurvivability(t *testing.T) {
	requireNetns(t)
	l := newLab(t)
	mgr := l.node("mgr", "10.81.0.1/24")
	capns := l.node("cap1", "10.81.0.11/24")
	m, _ := l.manager(mgr, "core", "--listen", ":5246", "--ssid", "office")
	_, run := l.agent(capns, "cap1", "--base_mac", "02:81:00:00:01:00", "--manager_addresses", "10.81.0.1")
	radiosAre := func(what string, ssid string, restarts int) {
		t.Helper()
		waitFor(t, 15*time.Second, what, func() bool {
			ssids, rs := l.radios(run)
			return len(rs) == 2 && slices.Equal(rs, []int{restarts, restarts}) &&
				slices.Equal(ssids[0], []string{ssid}) && slices.Equal(ssids[1], []string{ssid})
		})
	}
	l.capsOn(t, []string{run}, "core", 30*time.Second)
	radiosAre("both radios serving office", "office", 1)

	m.kill()
	waitFor(t, 10*time.Second, "the loss noticed", func() bool { return l.status(run).State != "run" })
	time.Sleep(time.Second)
	radiosAre("radios still serving office without a manager", "office", 1)

	m, _ = l.manager(mgr, "core", "--listen", ":5246", "--ssid", "office")
	waitFor(t, 30*time.Second, "the rejoin", func() bool { st := l.status(run); return st.State == "run" && st.Joins == 2 })
	time.Sleep(500 * time.Millisecond) // the WLAN configuration follows Run
	radiosAre("rejoined with the same configuration: no restart", "office", 1)
	fmt.Println("survivability: radios kept serving through the outage and were not restarted on rejoin")

	m.kill()
	l.manager(mgr, "core", "--listen", ":5246", "--ssid", "guest")
	waitFor(t, 30*time.Second, "the second rejoin", func() bool { st := l.status(run); return st.State == "run" && st.Joins == 3 })
	radiosAre("a changed SSID applied with one restart", "guest", 2)
}
