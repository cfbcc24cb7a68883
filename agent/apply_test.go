package agent

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/hal/haltest"
)

func newApplyAgent(t *testing.T) (*Agent, *haltest.HAL) {
	t.Helper()
	h := haltest.New(
		haltest.DualBand(1, "phy0", net.HardwareAddr{2, 0, 0, 0, 0, 1}),
		haltest.DualBand(2, "phy1", net.HardwareAddr{2, 0, 0, 0, 0, 2}))
	cfg := DefaultConfig()
	cfg.HAL = h
	cfg.ManagerAddresses = []string{"192.0.2.1"}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a.radios, _ = h.Radios(context.Background())
	for _, r := range a.radios {
		a.status.Radios = append(a.status.Radios, RadioInfo{ID: r.ID, Name: r.Name})
	}
	return a, h
}

func wlanReq(es ...wire.Element) *wire.ControlMessage {
	return &wire.ControlMessage{Type: wire.IEEE80211WLANConfigurationRequest, Elements: es}
}

func radioReq(es ...wire.Element) *wire.ControlMessage {
	return &wire.ControlMessage{Type: wire.ConfigurationUpdateRequest, Elements: es}
}

func add(radio, id uint8, ssid string) *wire.IEEE80211AddWLAN {
	return &wire.IEEE80211AddWLAN{RadioID: radio, WLANID: id, AdvertiseSSID: true, SSID: []byte(ssid)}
}

func psk(radio, id uint8, pass string) *wire.WLANSecurity {
	return &wire.WLANSecurity{RadioID: radio, WLANID: id, Mode: wire.SecurityWPA2PSK, Passphrase: pass}
}

// apply sends one request the way a session does.
func apply(ctx context.Context, a *Agent, m *wire.ControlMessage) error {
	if m.Type == wire.ConfigurationUpdateRequest {
		return a.applyRadioConfig(ctx, m)
	}
	return a.applyWLANs(ctx, m)
}

// TestApplySteps walks one CAP through a manager's requests and compares
// the fake radios' rendered state and the refusals after each.
func TestApplySteps(t *testing.T) {
	a, h := newApplyAgent(t)
	ctx := context.Background()
	steps := []struct {
		name     string
		req      *wire.ControlMessage
		refusal  string // "" for success
		want     string
		restarts [2]int
	}{
		{"radio settings alone start nothing", radioReq(&wire.RadioConfig{RadioID: 1, Country: "PL", Channel: 6}), "",
			"radio 1 phy0 off\nradio 2 phy1 off\n", [2]int{0, 0}},
		{"a WLAN on both radios", wlanReq(add(1, 1, "office"), psk(1, 1, "office passphrase"), add(2, 1, "office"), psk(2, 1, "office passphrase")), "",
			"radio 1 phy0 country=\"PL\" band=2g channel=6 width=20 txpower=0\n" +
				"  wlan 1 ssid=\"office\" hidden=false security=wpa2-psk passphrase=\"office passphrase\" max-clients=0 isolate=false vlan=0 bridge=\"\" radius=0 clients=0\n" +
				"radio 2 phy1 country=\"\" band=2g channel=1 width=20 txpower=0\n" +
				"  wlan 1 ssid=\"office\" hidden=false security=wpa2-psk passphrase=\"office passphrase\" max-clients=0 isolate=false vlan=0 bridge=\"\" radius=0 clients=0\n",
			[2]int{1, 1}},
		{"the same again restarts nothing", wlanReq(add(1, 1, "office"), psk(1, 1, "office passphrase"), add(2, 1, "office"), psk(2, 1, "office passphrase")), "",
			"", [2]int{1, 1}},
		{"a short passphrase is refused and changes nothing", wlanReq(add(2, 1, "renamed"), add(1, 1, "office"), psk(1, 1, "short")),
			"radio 1 WLAN 1: passphrase: 5 characters: want 8–63 (or 64 hex digits)", "", [2]int{1, 1}},
		{"a channel the band lacks is refused", radioReq(&wire.RadioConfig{RadioID: 2, Band: "5g", Channel: 6}),
			"radio 2: channel: radio phy1 has no channel 6 in 5g", "", [2]int{1, 1}},
		{"80 MHz in 2.4 GHz is refused", radioReq(&wire.RadioConfig{RadioID: 2, WidthMHz: 80}),
			"radio 2: width: 80 MHz is not possible in 2.4 GHz", "", [2]int{1, 1}},
		{"an unknown radio is refused", wlanReq(add(9, 1, "x")), "radio 9 WLAN 1: radio: this CAP has no radio 9", "", [2]int{1, 1}},
		{"guest WLAN with datapath restarts radio 1 only", wlanReq(add(1, 2, "guest"),
			&wire.Datapath{RadioID: 1, WLANID: 2, LocalForwarding: true, Bridge: "br-guest", MaxClients: 10, ClientToClient: false}), "",
			"radio 1 phy0 country=\"PL\" band=2g channel=6 width=20 txpower=0\n" +
				"  wlan 1 ssid=\"office\" hidden=false security=wpa2-psk passphrase=\"office passphrase\" max-clients=0 isolate=false vlan=0 bridge=\"\" radius=0 clients=0\n" +
				"  wlan 2 ssid=\"guest\" hidden=false security=open passphrase=\"\" max-clients=10 isolate=true vlan=0 bridge=\"br-guest\" radius=0 clients=0\n" +
				"radio 2 phy1 country=\"\" band=2g channel=1 width=20 txpower=0\n" +
				"  wlan 1 ssid=\"office\" hidden=false security=wpa2-psk passphrase=\"office passphrase\" max-clients=0 isolate=false vlan=0 bridge=\"\" radius=0 clients=0\n",
			[2]int{2, 1}},
		{"5 GHz at 80 MHz moves radio 2", radioReq(&wire.RadioConfig{RadioID: 2, Band: "5g", Channel: 36, WidthMHz: 80, TxPowerDBm: 17}), "",
			"", [2]int{2, 2}},
		{"delete the guest WLAN", wlanReq(&wire.IEEE80211DeleteWLAN{RadioID: 1, WLANID: 2}), "", "", [2]int{3, 2}},
		{"disable radio 1", radioReq(&wire.RadioConfig{RadioID: 1, Disabled: true}), "",
			"radio 1 phy0 off\n" +
				"radio 2 phy1 country=\"\" band=5g channel=36 width=80 txpower=17\n" +
				"  wlan 1 ssid=\"office\" hidden=false security=wpa2-psk passphrase=\"office passphrase\" max-clients=0 isolate=false vlan=0 bridge=\"\" radius=0 clients=0\n",
			[2]int{3, 2}},
	}
	for _, s := range steps {
		err := apply(ctx, a, s.req)
		got := ""
		if err != nil {
			got = err.Error()
			var r *refusal
			if !errors.As(err, &r) || r.code != wire.ResultConfigurationFailureServiceNotProvided {
				t.Errorf("%s: error %v is not a refusal with Result Code 13", s.name, err)
			}
		}
		if got != s.refusal {
			t.Errorf("%s: refusal %q, want %q", s.name, got, s.refusal)
		}
		if s.want != "" {
			if diff := cmp.Diff(s.want, h.Render()); diff != "" {
				t.Errorf("%s: radios (-want +got):\n%s", s.name, diff)
			}
		}
		if got := [2]int{h.Restarts(1), h.Restarts(2)}; got != s.restarts {
			t.Errorf("%s: restarts %v, want %v", s.name, got, s.restarts)
		}
	}
}

// TestReconcileIsIdempotentInAnyOrder replays a set of complete desired
// states in random orders: whatever came before, applying a state makes the
// radios render the same text, and applying it again restarts nothing.
func TestReconcileIsIdempotentInAnyOrder(t *testing.T) {
	states := []struct {
		name string
		reqs []*wire.ControlMessage
	}{
		{"office", []*wire.ControlMessage{
			radioReq(&wire.RadioConfig{RadioID: 1, Country: "PL", Channel: 1}, &wire.RadioConfig{RadioID: 2, Band: "5g", Channel: 36}),
			wlanReq(add(1, 1, "office"), psk(1, 1, "office passphrase"), add(2, 1, "office"), psk(2, 1, "office passphrase")),
			wlanReq(&wire.IEEE80211DeleteWLAN{RadioID: 1, WLANID: 2}, &wire.IEEE80211DeleteWLAN{RadioID: 2, WLANID: 2})}},
		{"office+guest", []*wire.ControlMessage{
			radioReq(&wire.RadioConfig{RadioID: 1, Country: "PL", Channel: 1}, &wire.RadioConfig{RadioID: 2, Band: "5g", Channel: 36}),
			wlanReq(add(1, 1, "office"), psk(1, 1, "office passphrase"), add(2, 1, "office"), psk(2, 1, "office passphrase")),
			wlanReq(add(1, 2, "guest"), add(2, 2, "guest"))}},
		{"renamed 40 MHz", []*wire.ControlMessage{
			radioReq(&wire.RadioConfig{RadioID: 1, Country: "DE", Channel: 6, WidthMHz: 40}, &wire.RadioConfig{RadioID: 2, Band: "5g", Channel: 44, WidthMHz: 80}),
			wlanReq(add(1, 1, "renamed"), add(2, 1, "renamed"),
				&wire.WLANSecurity{RadioID: 1, WLANID: 1, Mode: wire.SecurityWPA3SAE, Passphrase: "sae passphrase"},
				&wire.WLANSecurity{RadioID: 2, WLANID: 1, Mode: wire.SecurityWPA3SAE, Passphrase: "sae passphrase"}),
			wlanReq(&wire.IEEE80211DeleteWLAN{RadioID: 1, WLANID: 2}, &wire.IEEE80211DeleteWLAN{RadioID: 2, WLANID: 2})}},
		{"radio 2 off", []*wire.ControlMessage{
			radioReq(&wire.RadioConfig{RadioID: 1, Country: "PL", Channel: 11}, &wire.RadioConfig{RadioID: 2, Disabled: true}),
			wlanReq(add(1, 1, "office"), psk(1, 1, "office passphrase"), add(2, 1, "office")),
			wlanReq(&wire.IEEE80211DeleteWLAN{RadioID: 1, WLANID: 2}, &wire.IEEE80211DeleteWLAN{RadioID: 2, WLANID: 2})}},
	}
	ctx := context.Background()
	// What each state renders when applied to fresh radios.
	want := map[string]string{}
	for _, s := range states {
		a, h := newApplyAgent(t)
		for _, r := range s.reqs {
			if err := apply(ctx, a, r); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
		}
		want[s.name] = h.Render()
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 20 {
		a, h := newApplyAgent(t)
		order := rng.Perm(len(states) * 3)
		var trail []string
		for _, i := range order {
			s := states[i%len(states)]
			trail = append(trail, s.name)
			for _, r := range s.reqs {
				if err := apply(ctx, a, r); err != nil {
					t.Fatalf("round %d after %v: %v", round, trail, err)
				}
			}
			if diff := cmp.Diff(want[s.name], h.Render()); diff != "" {
				t.Fatalf("round %d after %s: radios (-want +got):\n%s", round, strings.Join(trail, " → "), diff)
			}
			before := [2]int{h.Restarts(1), h.Restarts(2)}
			for _, r := range s.reqs {
				if err := apply(ctx, a, r); err != nil {
					t.Fatal(err)
				}
			}
			if after := [2]int{h.Restarts(1), h.Restarts(2)}; after != before {
				t.Fatalf("round %d: re-applying %s restarted radios: %v → %v", round, s.name, before, after)
			}
		}
	}
}
