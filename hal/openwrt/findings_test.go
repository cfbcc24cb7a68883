package openwrt

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-wifi/capstan/hal"
	"github.com/capstan-wifi/capstan/internal/uci"
)

// testdata/wireless.uci-commit was written by libuci's own `uci commit`
// (openwrt/uci built from source): a key with ', " and \, a station uplink
// on radio1 and a mesh point on radio0.

// TestReadsAndKeepsWhatUciWrote: the file libuci wrote is read, and what
// capstan does not manage is written back byte for byte as libuci would.
func TestReadsAndKeepsWhatUciWrote(t *testing.T) {
	h, _, _, path := newTestHALFrom(t, "testdata/wireless.uci-commit", Config{})
	ctx := context.Background()
	if _, err := h.ApplyAll(ctx, officeStates()); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	for _, line := range []string{
		"\toption key 'it'\\''s \"quoted\" \\ $x'\n",
		"\toption ssid 'upstream'\\''s AP'\n",
		"\toption key 'it'\\''s a passphrase'\n", // capstan's own, escaped as libuci does
	} {
		if !strings.Contains(string(b), line) {
			t.Errorf("%q missing from:\n%s", line, b)
		}
	}
}

// TestNonAPInterfacesAreLeftAlone: a station uplink and a mesh point on
// managed radios are not disabled; the AP's own access points are.
func TestNonAPInterfacesAreLeftAlone(t *testing.T) {
	h, _, _, path := newTestHALFrom(t, "testdata/wireless.uci-commit", Config{})
	if _, err := h.ApplyAll(context.Background(), officeStates()); err != nil {
		t.Fatal(err)
	}
	secs := readSections(t, path)
	for name, want := range map[string]string{"uplink": "", "mesh": "", "default_radio0": "1", "default_radio1": "1"} {
		if got := section(secs, name).Get("disabled"); got != want {
			t.Errorf("%s: disabled=%q, want %q", name, got, want)
		}
	}
}

// TestFailedReloadIsRetried: when netifd's reload fails the change is an
// error, and the same state pushed again reloads instead of finding the
// file already written and reporting success.
func TestFailedReloadIsRetried(t *testing.T) {
	h, u, _, _ := newTestHAL(t)
	ctx := context.Background()
	fail := true
	h.cfg.Ubus = func(ctx context.Context, object, method string, args any) ([]byte, error) {
		u.call(ctx, object, method, args)
		if fail {
			return nil, errors.New("ubus call network reload: Command failed: Not found")
		}
		return []byte("{}"), nil
	}
	st := officeStates()[0]
	if _, err := h.Apply(ctx, st); err == nil || !strings.Contains(err.Error(), "did not reload") {
		t.Fatalf("Apply with a failing reload: %v", err)
	}
	fail = false
	restarted, err := h.Apply(ctx, st)
	if err != nil || !restarted {
		t.Fatalf("second Apply: restarted=%v err=%v", restarted, err)
	}
	if diff := cmp.Diff([]string{"network reload {}", "network reload {}"}, u.calls); diff != "" {
		t.Errorf("ubus calls (-want +got):\n%s", diff)
	}
	if restarted, err := h.Apply(ctx, st); err != nil || restarted || len(u.calls) != 2 {
		t.Errorf("third Apply: restarted=%v err=%v calls=%v", restarted, err, u.calls)
	}
}

// TestWLANWithoutBridgeJoinsANetwork: a WLAN the manager gives no bridge
// goes into the agent's bridge, else the network of the AP's own access
// point on that radio, never into nothing.
func TestWLANWithoutBridgeJoinsANetwork(t *testing.T) {
	st := hal.RadioState{RadioID: 1, Band: hal.Band2GHz, Channel: 6, WLANs: []hal.WLAN{{ID: 1, SSID: "nobridge"}}}
	for _, c := range []struct{ bridge, want string }{{"", "lan"}, {"br-office", "office"}} {
		h, _, _, path := newTestHALFrom(t, "testdata/wireless.orig", Config{Bridge: c.bridge})
		if _, err := h.Apply(context.Background(), st); err != nil {
			t.Fatal(err)
		}
		if got := section(readSections(t, path), "capstan_radio0_1").Get("network"); got != c.want {
			t.Errorf("agent bridge %q: network %q, want %q", c.bridge, got, c.want)
		}
	}
}

// TestDevicesMatchPhysLikeOpenWrt: wifi-devices find their phys by path
// (+N for a device's further phys), then macaddr, then phy, not by order.
func TestDevicesMatchPhysLikeOpenWrt(t *testing.T) {
	orig, _ := os.ReadFile("testdata/wireless.orig")
	swapped := strings.Replace(strings.Replace(string(orig), "18000000.wifi+1'", "18000000.wifi+X'", 1),
		"18000000.wifi'", "18000000.wifi+1'", 1)
	swapped = strings.Replace(swapped, "18000000.wifi+X'", "18000000.wifi'", 1)
	byMAC := strings.NewReplacer("option path 'platform/soc/18000000.wifi'", "option macaddr '02:00:00:00:01:00'",
		"option path 'platform/soc/18000000.wifi+1'", "option phy 'phy0'").Replace(string(orig))
	for name, c := range map[string]struct {
		file string
		want map[string]string // wifi-device → MAC of its phy
	}{
		"path":         {string(orig), map[string]string{"radio0": "02:00:00:00:00:00", "radio1": "02:00:00:00:01:00"}},
		"path swapped": {swapped, map[string]string{"radio0": "02:00:00:00:01:00", "radio1": "02:00:00:00:00:00"}},
		"macaddr, phy": {byMAC, map[string]string{"radio0": "02:00:00:00:01:00", "radio1": "02:00:00:00:00:00"}},
	} {
		f := t.TempDir() + "/wireless"
		if err := os.WriteFile(f, []byte(c.file), 0o600); err != nil {
			t.Fatal(err)
		}
		h, _, _, _ := newTestHALFrom(t, f, Config{})
		radios, err := h.Radios(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := map[string]string{}
		for _, r := range radios {
			got[r.Name] = r.MAC.String()
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	// A device that matches no phy is not managed.
	f := t.TempDir() + "/wireless"
	_ = os.WriteFile(f, []byte(strings.Replace(string(orig), "18000000.wifi+1'", "19000000.wifi'", 1)), 0o600)
	h, _, _, _ := newTestHALFrom(t, f, Config{})
	if radios, err := h.Radios(context.Background()); err != nil || len(radios) != 1 || radios[0].Name != "radio0" {
		t.Errorf("with radio1's path unknown: %+v, %v", radios, err)
	}
}

// TestOneWriteAndReloadPerChange: a change of two radios writes the file
// once and reloads netifd once.
func TestOneWriteAndReloadPerChange(t *testing.T) {
	h, u, _, path := newTestHAL(t)
	before, _ := os.Stat(path)
	restarted, err := h.ApplyAll(context.Background(), officeStates())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[uint8]bool{1: true, 2: true}, restarted); diff != "" {
		t.Errorf("restarted (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"network reload {}"}, u.calls); diff != "" {
		t.Errorf("ubus calls (-want +got):\n%s", diff)
	}
	if after, _ := os.Stat(path); os.SameFile(before, after) {
		t.Error("the file was not replaced")
	}
}

// TestChannelSwitchAt20MHzSaysItsWidth: switch_chan names the bandwidth
// and centre frequency at 20 MHz too, so hostapd keeps no wider width.
func TestChannelSwitchAt20MHzSaysItsWidth(t *testing.T) {
	h, u, _, _ := newTestHAL(t)
	ctx := context.Background()
	if _, err := h.ApplyAll(ctx, officeStates()); err != nil {
		t.Fatal(err)
	}
	u.calls = nil
	moved := officeStates()[0]
	moved.Channel = 1
	if _, err := h.Apply(ctx, moved); err != nil {
		t.Fatal(err)
	}
	want := []string{`hostapd.cap0 switch_chan {"bandwidth":20,"bcn_count":5,"center_freq1":2412,"freq":2412,"he":false,"ht":true,"sec_channel_offset":0,"vht":false}`}
	if diff := cmp.Diff(want, u.calls); diff != "" {
		t.Errorf("ubus calls (-want +got):\n%s", diff)
	}
}

func readSections(t *testing.T, path string) []uci.Section {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	secs, err := uci.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return secs
}

func section(secs []uci.Section, name string) *uci.Section {
	for _, s := range secs {
		if s.Name == name {
			return &s
		}
	}
	return &uci.Section{}
}

// A channel left open (a radio that reports no channels, as the simulated
// ones) is written as OpenWrt's "auto", not "0", and read back as open.
func TestOpenChannelIsAuto(t *testing.T) {
	secs := Render(nil, []Managed{{Radio: hal.Radio{ID: 1, Name: "radio0"}}}, map[uint8]hal.RadioState{1: {RadioID: 1, Band: hal.Band2GHz}}, "")
	if len(secs) != 0 {
		t.Fatalf("Render without the device's section: %d sections", len(secs))
	}
	dev := []uci.Section{{Type: "wifi-device", Name: "radio0"}}
	out := Render(dev, []Managed{{Radio: hal.Radio{ID: 1, Name: "radio0"}}}, map[uint8]hal.RadioState{1: {RadioID: 1, Band: hal.Band2GHz}}, "")
	if got := out[0].Get("channel"); got != "auto" {
		t.Errorf("channel %q, want auto", got)
	}
	if st := Parse(out, []Managed{{Radio: hal.Radio{ID: 1, Name: "radio0"}}}); st[1].Channel != 0 {
		t.Errorf("read back channel %d, want 0 (open)", st[1].Channel)
	}
}
