package openwrt

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-wifi/capstan/hal"
	"github.com/capstan-wifi/capstan/hal/haltest"
	"github.com/capstan-wifi/capstan/internal/uci"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fakeKernel is an Observer with two hwsim-like radios and stations by
// interface.
type fakeKernel struct{ stations map[string][]hal.Station }

func (k *fakeKernel) Radios(context.Context) ([]hal.Radio, error) {
	return []hal.Radio{
		haltest.DualBand(1, "phy0", net.HardwareAddr{2, 0, 0, 0, 0, 0}),
		haltest.DualBand(2, "phy1", net.HardwareAddr{2, 0, 0, 0, 1, 0}),
	}, nil
}

func (k *fakeKernel) Stations(_ context.Context, ifname string) ([]hal.Station, error) {
	return k.stations[ifname], nil
}

// ubusLog records ubus calls as text.
type ubusLog struct{ calls []string }

func (u *ubusLog) call(_ context.Context, object, method string, args any) ([]byte, error) {
	b, _ := json.Marshal(args)
	u.calls = append(u.calls, object+" "+method+" "+string(b))
	return []byte("{}"), nil
}

// fakeSysfs is a sysfs in which phy0 and phy1 are two phys of one
// platform device, as on a dual-band MediaTek SoC.
func fakeSysfs(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	dev := filepath.Join(root, "devices/platform/soc/18000000.wifi")
	if err := os.MkdirAll(dev, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, phy := range []string{"phy0", "phy1"} {
		dir := filepath.Join(root, "class/ieee80211", phy)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("../../../devices/platform/soc/18000000.wifi", filepath.Join(dir, "device")); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func newTestHAL(t *testing.T) (*HAL, *ubusLog, *fakeKernel, string) {
	return newTestHALFrom(t, "testdata/wireless.orig", Config{})
}

// newTestHALFrom starts a backend on a copy of a wireless file; cfg's
// unset fields get the fakes.
func newTestHALFrom(t *testing.T, file string, cfg Config) (*HAL, *ubusLog, *fakeKernel, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "wireless")
	orig, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	u := &ubusLog{}
	k := &fakeKernel{stations: map[string][]hal.Station{}}
	cfg.Observer, cfg.Path, cfg.Ubus = k, path, u.call
	if cfg.Sysfs == "" {
		cfg.Sysfs = fakeSysfs(t)
	}
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h, u, k, path
}

func officeStates() []hal.RadioState {
	return []hal.RadioState{
		{RadioID: 1, Country: "PL", Band: hal.Band2GHz, Channel: 6, TxPowerDBm: 17, WLANs: []hal.WLAN{
			{ID: 1, SSID: "office", Security: hal.SecurityWPA2PSK, Passphrase: "it's a passphrase", Bridge: "br-lan"},
			{ID: 2, SSID: "guest", Hidden: true, MaxClients: 20, Isolate: true, Bridge: "br-guest"},
		}},
		{RadioID: 2, Country: "PL", Band: hal.Band5GHz, Channel: 36, WidthMHz: 80,
			BasicRates: []int{60, 120, 240}, SupportedRates: []int{60, 90, 120, 180, 240, 360, 480, 540}, WLANs: []hal.WLAN{
				{ID: 1, SSID: "office", Security: hal.SecurityWPA2EAP, Bridge: "br-lan",
					RADIUS: []hal.RADIUSServer{{Address: netip.MustParseAddrPort("192.0.2.1:1812"), Secret: "radius secret"}}},
			}},
	}
}

func TestApplyRendersUCIGolden(t *testing.T) {
	h, u, _, path := newTestHAL(t)
	ctx := context.Background()
	for _, st := range officeStates() {
		restarted, err := h.Apply(ctx, st)
		if err != nil || !restarted {
			t.Fatalf("Apply radio %d: restarted=%v err=%v", st.RadioID, restarted, err)
		}
	}
	got, _ := os.ReadFile(path)
	golden := "testdata/wireless.office"
	if *update {
		_ = os.WriteFile(golden, got, 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", golden, diff)
	}
	if diff := cmp.Diff([]string{"network reload {}", "network reload {}"}, u.calls); diff != "" {
		t.Errorf("ubus calls (-want +got):\n%s", diff)
	}
	// The same states again: no write, no reload.
	for _, st := range officeStates() {
		if restarted, err := h.Apply(ctx, st); err != nil || restarted {
			t.Fatalf("re-Apply radio %d: restarted=%v err=%v", st.RadioID, restarted, err)
		}
	}
	if len(u.calls) != 2 {
		t.Errorf("re-applying reloaded the network: %v", u.calls)
	}
	// A state the radio cannot run changes nothing.
	if _, err := h.Apply(ctx, hal.RadioState{RadioID: 1, Band: hal.Band2GHz, Channel: 6, WidthMHz: 80}); err == nil {
		t.Fatal("80 MHz in 2.4 GHz was accepted")
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, got) {
		t.Error("a refused state changed the file")
	}
}

// TestParseReadsBackWhatRenderWrote: after a reboot the agent knows what
// the radios run from UCI alone.
func TestParseReadsBackWhatRenderWrote(t *testing.T) {
	h, _, _, path := newTestHAL(t)
	ctx := context.Background()
	want := map[uint8]hal.RadioState{}
	for _, st := range officeStates() {
		if _, err := h.Apply(ctx, st); err != nil {
			t.Fatal(err)
		}
		r, _ := h.Radios(ctx)
		resolved, _ := hal.Resolve(r[st.RadioID-1], st)
		want[st.RadioID] = resolved
	}
	b, _ := os.ReadFile(path)
	secs, err := uci.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	got := Parse(secs, h.managed)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse(Render(x)) (-want +got):\n%s", diff)
	}
	// A fresh backend on the same file starts from that state: applying
	// it again changes nothing.
	h2, err := New(Config{Observer: &fakeKernel{}, Path: path, Ubus: (&ubusLog{}).call, Sysfs: fakeSysfs(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range officeStates() {
		if restarted, err := h2.Apply(ctx, st); err != nil || restarted {
			t.Errorf("after restart, Apply radio %d: restarted=%v err=%v", st.RadioID, restarted, err)
		}
	}
}

func TestRuntimeActionsGoThroughHostapdUbus(t *testing.T) {
	h, u, k, _ := newTestHAL(t)
	ctx := context.Background()
	for _, st := range officeStates() {
		if _, err := h.Apply(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	sta := net.HardwareAddr{2, 0, 0, 0, 9, 9}
	k.stations["cap0-1"] = []hal.Station{{Interface: "cap0-1", MAC: sta, Signal: -50}}
	stas, err := h.Stations(ctx)
	if err != nil || len(stas) != 1 || stas[0].SSID != "guest" || stas[0].WLANID != 2 || stas[0].RadioID != 1 {
		t.Fatalf("Stations = %+v, %v", stas, err)
	}
	u.calls = nil
	if err := h.Kick(ctx, sta, 0); err != nil {
		t.Fatal(err)
	}
	if err := h.SwitchChannel(ctx, 1, 11, 5); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`hostapd.cap0-1 del_client {"addr":"02:00:00:00:09:09","ban_time":0,"deauth":true,"reason":1}`,
		`hostapd.cap0 switch_chan {"bandwidth":20,"bcn_count":5,"center_freq1":2462,"freq":2462,"he":false,"ht":true,"sec_channel_offset":0,"vht":false}`,
	}
	if diff := cmp.Diff(want, u.calls); diff != "" {
		t.Errorf("ubus calls (-want +got):\n%s", diff)
	}
	if err := h.Kick(ctx, net.HardwareAddr{2, 1, 1, 1, 1, 1}, 0); err == nil || !strings.Contains(err.Error(), "not associated") {
		t.Errorf("kicking an absent client: %v", err)
	}
}

// TestApplyChannelOnlyIsASwitch: a new state that differs only in its
// channel is a channel switch announcement through hostapd's ubus, written
// to UCI without a network reload and not a restart (the clients follow
// the radio); any other change reloads.
func TestApplyChannelOnlyIsASwitch(t *testing.T) {
	h, u, _, path := newTestHAL(t)
	ctx := context.Background()
	states := officeStates()
	for _, st := range states {
		if _, err := h.Apply(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	u.calls = nil
	moved := states[1]
	moved.Channel = 44 // the same 80 MHz block
	if restarted, err := h.Apply(ctx, moved); err != nil || restarted {
		t.Fatalf("Apply on channel 44: restarted=%v err=%v", restarted, err)
	}
	want := []string{`hostapd.cap1 switch_chan {"bandwidth":80,"bcn_count":5,"center_freq1":5210,"freq":5220,"he":false,"ht":true,"sec_channel_offset":1,"vht":true}`}
	if diff := cmp.Diff(want, u.calls); diff != "" {
		t.Errorf("ubus calls (-want +got):\n%s", diff)
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "option channel '44'") {
		t.Errorf("UCI does not keep channel 44:\n%s", b)
	}
	u.calls = nil
	renamed := moved
	renamed.WLANs = []hal.WLAN{{ID: 1, SSID: "renamed", Bridge: "br-lan"}}
	renamed.Channel = 36
	if _, err := h.Apply(ctx, renamed); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"network reload {}"}, u.calls); diff != "" {
		t.Errorf("a channel and SSID change (-want +got):\n%s", diff)
	}
}
