package tests

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/hal"
	"github.com/capstan-wifi/capstan/hal/haltest"
	"github.com/capstan-wifi/capstan/manager/channel"
	"github.com/capstan-wifi/capstan/manager/controlplane"
	"github.com/capstan-wifi/capstan/manager/model"
)

// busyPct is a survey of 5 GHz channels 36–64: MHz → percent busy.
func busyPct(load map[int]int) []hal.SurveyEntry {
	var out []hal.SurveyEntry
	for mhz, pct := range load {
		out = append(out, hal.SurveyEntry{FrequencyMHz: mhz, NoiseDBm: -95, Active: 2 * time.Second, Busy: time.Duration(pct) * 20 * time.Millisecond})
	}
	return out
}

// TestChannelSelection runs the manager's channel selection against an
// agent on fake radios (haltest) whose survey the test sets: the least
// occupied allowed channel at join (a scan of only the allowed channels)
// without an extra restart, skip-DFS, a
// reselection on demand that moves only for a clear gain, save-selected
// across a reconnect (without a scan), reselection by itself at the reselect-interval, a
// fixed frequency, and no allowed channel as a configuration error.
func TestChannelSelection(t *testing.T) {
	state := t.TempDir()
	saved, err := channel.OpenSaved(state)
	if err != nil {
		t.Fatal(err)
	}
	delays := make(chan model.DurationRange, 64)
	srv, addr, _ := startManagerWith(t, "core", func(c *controlplane.Config) {
		c.Channels = saved
		c.ReselectDelay = func(r model.DurationRange) time.Duration {
			select {
			case delays <- r:
			default:
			}
			return 300 * time.Millisecond
		}
	})
	configure(t, srv,
		"channel add name=auto band=5ghz skip-dfs-channels=yes save-selected=yes",
		"configuration add name=office ssid=office country=PL channel=auto",
		"provisioning add action=create-dynamic-enabled master-configuration=office")
	h := haltest.New(haltest.DualBand(1, "phy0", net.HardwareAddr{2, 0, 0, 0, 0, 0}))
	// Channel 52 (radar) is idle, but DFS channels are skipped.
	h.SetSurvey(1, busyPct(map[int]int{5180: 80, 5200: 10, 5220: 40, 5240: 60, 5260: 0}))
	a, stop := runAgent(t, radioAgentConfig(t, h, addr))
	waitFor(t, 5*time.Second, "the radio on channel 40", func() bool { return strings.Contains(h.Render(), "band=5g channel=40 ") })
	if n := h.Restarts(1); n != 1 {
		t.Errorf("restarts after join = %d, want 1: the channel must be chosen before the first apply", n)
	}
	if n := h.Scans(1); n != 1 {
		t.Errorf("scans at start = %d, want 1", n)
	}
	if got, want := h.Scanned(1), []int{5180, 5200, 5220, 5240}; !slices.Equal(got, want) {
		t.Errorf("the join scan covered %v, want the allowed channels %v", got, want)
	}
	if got := masterChannel(t, srv); got != 5200 {
		t.Errorf("provisioned interface shows %d MHz, want 5200", got)
	}

	// On demand: a fresh scan finds 44 much quieter, and the radio moves.
	h.SetSurvey(1, busyPct(map[int]int{5180: 80, 5200: 70, 5220: 5, 5240: 60}))
	reselect(t, srv)
	if !strings.Contains(h.Render(), "channel=44 ") {
		t.Fatalf("not moved to the quiet channel 44:\n%s", h.Render())
	}
	if n := h.Scans(1); n != 2 {
		t.Errorf("scans = %d, want 2", n)
	}
	if got := h.Scanned(1); len(got) != 4 {
		t.Errorf("the reselection scan covered %v, want the 4 allowed channels", got)
	}
	// A gain below the margin does not cost the clients a restart.
	restarts := h.Restarts(1)
	h.SetSurvey(1, busyPct(map[int]int{5180: 80, 5200: 70, 5220: 30, 5240: 25}))
	reselect(t, srv)
	if !strings.Contains(h.Render(), "channel=44 ") || h.Restarts(1) != restarts {
		t.Errorf("moved for a 5%% gain (restarts %d → %d):\n%s", restarts, h.Restarts(1), h.Render())
	}

	// save-selected: after a reconnect the radio comes back on 44 although
	// 36 is now idle; the choice is in the state directory.
	h.SetSurvey(1, busyPct(map[int]int{5180: 0, 5200: 70, 5220: 50, 5240: 60}))
	stop()
	waitFor(t, 10*time.Second, "the manager to lose the CAP", func() bool { return len(srv.RemoteCaps()) == 0 })
	scans := h.Scans(1)
	a, _ = runAgent(t, radioAgentConfig(t, h, addr))
	waitFor(t, 10*time.Second, "the CAP to rejoin", func() bool { return a.Status().State == "run" })
	if h.Scans(1) != scans {
		t.Errorf("the rejoin scanned although the saved channel is still allowed")
	}
	waitFor(t, 5*time.Second, "the interface back", func() bool { return masterChannel(t, srv) != 0 })
	if got := masterChannel(t, srv); got != 5220 {
		t.Errorf("after a reconnect with save-selected: %d MHz, want the saved 5220", got)
	}
	if b, _ := os.ReadFile(filepath.Join(state, channel.SavedFile)); !strings.Contains(string(b), `"02:00:00:00:00:00": 5220`) {
		t.Errorf("%s = %s", channel.SavedFile, b)
	}

	// reselect-interval: the manager reselects by itself, at the moment
	// ReselectDelay picks inside the interval.
	configure(t, srv, "channel set auto reselect-interval=10m..20m")
	waitFor(t, 10*time.Second, "a reselection by itself to the idle channel 36", func() bool {
		return strings.Contains(h.Render(), "channel=36 ")
	})
	select {
	case r := <-delays:
		if r.Min != 10*time.Minute || r.Max != 20*time.Minute {
			t.Errorf("reselect delay asked for %v..%v, want 10m..20m", r.Min, r.Max)
		}
	default:
		t.Error("the reselect delay was never asked for")
	}

	// A fixed frequency is not the manager's to choose.
	configure(t, srv, "channel set auto frequency=5240 reselect-interval=")
	waitFor(t, 5*time.Second, "the fixed channel 48", func() bool { return strings.Contains(h.Render(), "channel=48 ") })
	if got := masterChannel(t, srv); got != 0 {
		t.Errorf("fixed frequency shows a selected %d MHz", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := srv.ReselectChannels(ctx, "cap1"); !errors.Is(err, controlplane.ErrNoOpenChannel) {
		t.Errorf("reselect with a fixed frequency: %v, want ErrNoOpenChannel", err)
	}

	// Only DFS channels allowed, but DFS skipped: nothing to run on.
	configure(t, srv, "channel set auto frequency=5260,5280")
	waitFor(t, 5*time.Second, "the configuration error", func() bool {
		return strings.Contains(srv.RemoteCaps()[0].ConfigError, "no allowed channel")
	})
	waitFor(t, 5*time.Second, "the radio off", func() bool { return strings.Contains(h.Render(), "radio 1 phy0 off") })
}

// reselect has cap1 reselect its channels now.
func reselect(t *testing.T, srv *controlplane.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := srv.ReselectChannels(ctx, "cap1"); err != nil {
		t.Fatal(err)
	}
}

// masterChannel is the frequency the manager selected for cap1's master.
func masterChannel(t *testing.T, srv *controlplane.Server) int {
	t.Helper()
	for _, it := range srv.Interfaces() {
		if it.Master == "" {
			return it.ChannelMHz
		}
	}
	return 0
}

// TestChannelKeptWhenAnotherManagerTakesOver: a CAP whose manager dies
// joins another with the same configuration; the radio reports the
// channel it serves on (RFC 5416 Direct Sequence / OFDM Control in the
// Configuration Status Request) and the new manager keeps it although
// its survey now finds a quieter one, so the radio is not restarted.
func TestChannelKeptWhenAnotherManagerTakesOver(t *testing.T) {
	lines := []string{
		"channel add name=auto band=5ghz skip-dfs-channels=yes",
		"configuration add name=office ssid=office country=PL channel=auto",
		"provisioning add action=create-dynamic-enabled master-configuration=office"}
	type mgr struct {
		srv  *controlplane.Server
		addr string
		stop context.CancelFunc
	}
	ms := map[string]*mgr{}
	for _, name := range []string{"a", "b"} {
		srv, addr, stop := startManagerWith(t, name, func(*controlplane.Config) {})
		configure(t, srv, lines...)
		ms[name] = &mgr{srv, addr, stop}
	}
	h := haltest.New(haltest.DualBand(1, "phy0", net.HardwareAddr{2, 0, 0, 0, 0, 0}))
	h.SetSurvey(1, busyPct(map[int]int{5180: 80, 5200: 10, 5220: 40, 5240: 60}))
	cfg := radioAgentConfig(t, h, ms["a"].addr)
	cfg.ManagerAddresses = []string{ms["a"].addr, ms["b"].addr}
	a, _ := runAgent(t, cfg)
	var first string
	waitFor(t, 30*time.Second, "the radio on channel 40 from the first manager", func() bool {
		st := a.Status()
		first = st.Manager
		return st.State == "run" && strings.Contains(h.Render(), "band=5g channel=40 ")
	})
	second := map[string]string{"a": "b", "b": "a"}[first]
	restarts := h.Restarts(1)
	// Channel 36 is now idle: a manager choosing afresh would move there.
	h.SetSurvey(1, busyPct(map[int]int{5180: 0, 5200: 70, 5220: 40, 5240: 60}))
	ms[first].stop()
	waitFor(t, 30*time.Second, "the CAP in run on the second manager", func() bool {
		st := a.Status()
		return st.State == "run" && st.Manager == second
	})
	srvB := ms[second].srv
	waitFor(t, 10*time.Second, "the second manager's interface up", func() bool { return masterChannel(t, srvB) != 0 })
	if got := masterChannel(t, srvB); got != 5200 || !strings.Contains(h.Render(), "channel=40 ") || h.Restarts(1) != restarts {
		t.Fatalf("after the takeover: %s selected %d MHz, restarts %d → %d:\n%s", second, got, restarts, h.Restarts(1), h.Render())
	}
}
