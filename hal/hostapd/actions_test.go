package hostapd

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-wifi/capstan/hal"
)

// fakeCtrl is a hostapd control socket: it records commands and answers
// from a table; ATTACH makes it send events to the attached client.
type fakeCtrl struct {
	t    *testing.T
	conn *net.UnixConn
	mu   sync.Mutex
	cmds []string
	sta  string // the station this BSS has, "" for none
	subs []*net.UnixAddr
}

func startFakeCtrl(t *testing.T, path, sta string) *fakeCtrl {
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeCtrl{t: t, conn: conn, sta: sta}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			n, from, err := conn.ReadFromUnix(buf)
			if err != nil {
				return
			}
			cmd := string(buf[:n])
			reply := "OK\n"
			f.mu.Lock()
			switch {
			case cmd == "ATTACH":
				f.subs = append(f.subs, from)
			case cmd == "STATUS":
				reply = "state=ENABLED\nchannel=6\n"
			case strings.HasPrefix(cmd, "STA "):
				if f.sta != "" && strings.TrimPrefix(cmd, "STA ") == f.sta {
					reply = f.sta + "\nflags=[AUTH][ASSOC][AUTHORIZED]\n"
				} else {
					reply = "FAIL\n"
				}
			default:
				f.cmds = append(f.cmds, cmd)
			}
			f.mu.Unlock()
			_, _ = conn.WriteToUnix([]byte(reply), from)
		}
	}()
	return f
}

func (f *fakeCtrl) event(t *testing.T, ev string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.subs {
		if _, err := f.conn.WriteToUnix([]byte("<3>"+ev), s); err != nil {
			t.Fatal(err)
		}
	}
}

func (f *fakeCtrl) commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.cmds...)
}

// runningHAL is a backend with one radio "running" two BSSs whose control
// sockets are fakes, as if hostapd had started.
func runningHAL(t *testing.T) (*HAL, *fakeCtrl, *fakeCtrl) {
	dir, err := os.MkdirTemp("", "hapd") // short: unix socket paths are limited to 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	h, err := New(Config{Observer: nopObserver{}, RunDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	r := testRadio()
	st, err := hal.Resolve(r, hal.RadioState{RadioID: 1, Band: hal.Band2GHz, Channel: 6, WLANs: []hal.WLAN{{ID: 1, SSID: "main"}, {ID: 2, SSID: "guest"}}})
	if err != nil {
		t.Fatal(err)
	}
	master := startFakeCtrl(t, filepath.Join(h.ctrlDir, "wlan0"), "")
	guest := startFakeCtrl(t, filepath.Join(h.ctrlDir, "wlan0-1"), "02:00:00:00:09:09")
	run := &radioRun{radio: r, state: st, conf: filepath.Join(dir, "hostapd-phy0.conf"), done: make(chan struct{}),
		bss: []bss{{iface: "wlan0", wlan: st.WLANs[0]}, {iface: "wlan0-1", wlan: st.WLANs[1]}}}
	h.running[1] = run
	h.radios = []hal.Radio{r}
	return h, master, guest
}

type nopObserver struct{}

func (nopObserver) Radios(context.Context) ([]hal.Radio, error)             { return nil, nil }
func (nopObserver) Stations(context.Context, string) ([]hal.Station, error) { return nil, nil }
func (nopObserver) SetTxPowerOf(context.Context, string, int) error         { return nil }

func TestActionsSendHostapdCommands(t *testing.T) {
	h, master, guest := runningHAL(t)
	ctx := context.Background()
	sta := net.HardwareAddr{2, 0, 0, 0, 9, 9}
	if err := h.Kick(ctx, sta, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := h.SwitchChannel(ctx, 1, 11, 5); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"DENY_ACL ADD_MAC 02:00:00:00:09:09",
		"DEAUTHENTICATE 02:00:00:00:09:09 reason=1",
	}
	if diff := cmp.Diff(want, guest.commands()); diff != "" {
		t.Errorf("commands to the guest BSS (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"CHAN_SWITCH 5 2462 sec_channel_offset=0 center_freq1=2462 bandwidth=20 ht he"}, master.commands()); diff != "" {
		t.Errorf("commands to the master BSS (-want +got):\n%s", diff)
	}
	conf, err := os.ReadFile(h.running[1].conf)
	if err != nil || !strings.Contains(string(conf), "\nchannel=11\n") {
		t.Errorf("after the switch the configuration says (%v):\n%s", err, conf)
	}
	if err := h.Kick(ctx, net.HardwareAddr{2, 1, 1, 1, 1, 1}, 0); err == nil || !strings.Contains(err.Error(), "not associated") {
		t.Errorf("kicking an absent client: %v", err)
	}
	if err := h.SwitchChannel(ctx, 1, 165, 5); err == nil {
		t.Error("switching to a channel the radio lacks was accepted")
	}
}

func TestEventsFromHostapd(t *testing.T) {
	h, _, guest := runningHAL(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); h.listen(ctx, h.running[1], h.running[1].bss[1]) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		guest.mu.Lock()
		n := len(guest.subs)
		guest.mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("listen did not ATTACH")
		}
		time.Sleep(10 * time.Millisecond)
	}
	guest.event(t, "AP-STA-CONNECTED 02:00:00:00:09:09 keyid=x")
	guest.event(t, "CTRL-EVENT-EAP-STARTED 02:00:00:00:09:09")
	guest.event(t, "AP-STA-DISCONNECTED 02:00:00:00:09:09")
	guest.event(t, "DFS-RADAR-DETECTED freq=5260 ht_enabled=1 chan_offset=0 chan_width=1 cf1=5270 cf2=0")
	var got []hal.Event
	for len(got) < 3 {
		select {
		case ev := <-h.Events(ctx):
			got = append(got, ev)
		case <-time.After(5 * time.Second):
			t.Fatalf("events so far: %+v", got)
		}
	}
	sta := net.HardwareAddr{2, 0, 0, 0, 9, 9}
	want := []hal.Event{
		{Kind: hal.StationAssociated, RadioID: 1, WLANID: 2, Interface: "wlan0-1", MAC: sta},
		{Kind: hal.StationDisassociated, RadioID: 1, WLANID: 2, Interface: "wlan0-1", MAC: sta},
		{Kind: hal.RadarDetected, RadioID: 1, WLANID: 2, Interface: "wlan0-1", FrequencyMHz: 5260},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	cancel()
	<-done
}

func TestChanSwitchCommand(t *testing.T) {
	r := testRadio()
	for _, c := range []struct {
		name string
		st   hal.RadioState
		cmd  string
		err  string
	}{
		{name: "2.4 GHz 20 MHz", st: hal.RadioState{Band: hal.Band2GHz, Channel: 11}, cmd: "CHAN_SWITCH 5 2462 sec_channel_offset=0 center_freq1=2462 bandwidth=20 ht he"},
		{name: "5 GHz 40 MHz, secondary above", st: hal.RadioState{Band: hal.Band5GHz, Channel: 36, WidthMHz: 40},
			cmd: "CHAN_SWITCH 5 5180 sec_channel_offset=1 center_freq1=5190 bandwidth=40 ht vht he"},
		{name: "5 GHz 40 MHz, secondary below", st: hal.RadioState{Band: hal.Band5GHz, Channel: 48, WidthMHz: 40},
			cmd: "CHAN_SWITCH 5 5240 sec_channel_offset=-1 center_freq1=5230 bandwidth=40 ht vht he"},
		{name: "5 GHz 80 MHz", st: hal.RadioState{Band: hal.Band5GHz, Channel: 44, WidthMHz: 80},
			cmd: "CHAN_SWITCH 5 5220 sec_channel_offset=1 center_freq1=5210 bandwidth=80 ht vht he"},
		{name: "unknown channel", st: hal.RadioState{Band: hal.Band5GHz, Channel: 52}, err: "no channel 52"},
		{name: "block the radio lacks", st: hal.RadioState{Band: hal.Band5GHz, Channel: 100, WidthMHz: 80}, err: "needs channels the radio lacks"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd, err := chanSwitchCommand(r, c.st, 5)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("chanSwitchCommand = %q, %v; want error %q", cmd, err, c.err)
				}
				return
			}
			if err != nil || cmd != c.cmd {
				t.Errorf("chanSwitchCommand = %q, %v; want %q", cmd, err, c.cmd)
			}
		})
	}
}
