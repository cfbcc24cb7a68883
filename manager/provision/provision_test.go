package provision

import (
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/manager/model"
	"github.com/google/go-cmp/cmp"
)

func config(t *testing.T, lines ...string) *model.Config {
	t.Helper()
	c := model.New()
	for _, line := range lines {
		words := strings.Fields(line)
		r, _ := model.Lookup(words[0])
		raw := map[string]any{}
		for _, kv := range words[1:] {
			k, v, _ := strings.Cut(kv, "=")
			raw[k] = v
		}
		ch, err := model.ParseChange(r, raw)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if _, err := c.Add(r.Name, ch, -1); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return c
}

var (
	profiles = []string{"configuration name=office ssid=office", "configuration name=guest ssid=guest", "configuration name=lab ssid=lab"}
	radio2g  = Radio{ID: 1, MAC: "02:00:00:00:01:01", Bands: []string{"2ghz"}}
	radio5g  = Radio{ID: 2, MAC: "02:00:00:00:01:02", Bands: []string{"2ghz", "5ghz"}}
	cap1     = CAP{Identity: "ap-lobby", CommonName: "CAP-020000000100", Address: netip.MustParseAddr("192.0.2.10"), Radios: []Radio{radio2g, radio5g}}
)

func none(string) bool { return false }

// configurations is what each radio got: its interfaces'
// configuration names, master first; "-" for none.
func configurations(res Result, cap CAP) []string {
	var out []string
	for _, r := range cap.Radios {
		ifs := res.Interfaces[r.ID]
		if len(ifs) == 0 {
			out = append(out, "-")
			continue
		}
		var names []string
		for _, it := range ifs {
			names = append(names, it.Configuration)
		}
		out = append(out, strings.Join(names, "+"))
	}
	return out
}

// TestMatchers: every matcher alone, first match wins, disabled rules are
// skipped.
func TestMatchers(t *testing.T) {
	rule := func(match string, conf string) string {
		return "provisioning " + match + " action=create-dynamic-enabled master-configuration=" + conf
	}
	tests := []struct {
		name  string
		rules []string
		want  []string // per radio (2g, 5g)
	}{
		{"no rules", nil, []string{"-", "-"}},
		{"catch-all", []string{rule("", "office")}, []string{"office", "office"}},
		{"radio-mac", []string{rule("radio-mac=02:00:00:00:01:02", "lab"), rule("", "office")}, []string{"office", "lab"}},
		{"hw-supported-modes", []string{rule("hw-supported-modes=5ghz", "lab"), rule("", "office")}, []string{"office", "lab"}},
		{"hw-supported-modes needs every band", []string{rule("hw-supported-modes=2ghz,5ghz", "lab"), rule("", "office")}, []string{"office", "lab"}},
		{"identity-regexp match", []string{rule("identity-regexp=^ap-lob", "lab"), rule("", "office")}, []string{"lab", "lab"}},
		{"identity-regexp miss", []string{rule("identity-regexp=^ap-roof", "lab"), rule("", "office")}, []string{"office", "office"}},
		{"common-name-regexp", []string{rule("common-name-regexp=^CAP-0200", "guest")}, []string{"guest", "guest"}},
		{"common-name-regexp miss", []string{rule("common-name-regexp=^CAP-FF", "guest")}, []string{"-", "-"}},
		{"ip-address-ranges prefix", []string{rule("ip-address-ranges=192.0.2.0/28", "lab")}, []string{"lab", "lab"}},
		{"ip-address-ranges range", []string{rule("ip-address-ranges=198.51.100.1/32,192.0.2.5-192.0.2.10", "lab")}, []string{"lab", "lab"}},
		{"ip-address-ranges miss", []string{rule("ip-address-ranges=192.0.2.11-192.0.2.20", "lab")}, []string{"-", "-"}},
		{"first match wins", []string{rule("", "guest"), rule("", "office")}, []string{"guest", "guest"}},
		{"disabled rule skipped", []string{rule("disabled=yes", "guest"), rule("", "office")}, []string{"office", "office"}},
		{"all matchers together", []string{rule("identity-regexp=lobby common-name-regexp=CAP hw-supported-modes=5ghz ip-address-ranges=192.0.2.0/24 radio-mac=02:00:00:00:01:02", "lab"), rule("", "office")},
			[]string{"office", "lab"}},
		{"action none stops matching", []string{"provisioning identity-regexp=lobby action=none", rule("", "office")}, []string{"-", "-"}},
		{"slave configurations", []string{"provisioning action=create-dynamic-enabled master-configuration=office slave-configurations=guest,lab"},
			[]string{"office+guest+lab", "office+guest+lab"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config(t, append(append([]string{}, profiles...), tt.rules...)...)
			got := configurations(Provision(cfg, cap1, TakenFunc(none)), cap1)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestActions: dynamic, static enabled and disabled, and a static
// interface bound to the radio winning over the rules.
func TestActions(t *testing.T) {
	t.Run("create-dynamic-enabled", func(t *testing.T) {
		cfg := config(t, append(profiles, "provisioning action=create-dynamic-enabled master-configuration=office slave-configurations=guest")...)
		res := Provision(cfg, cap1, TakenFunc(none))
		want := []Interface{
			{Name: "cap1", CAP: "ap-lobby", RadioID: 1, RadioMAC: radio2g.MAC, WLANID: 1, Configuration: "office", Rule: 4},
			{Name: "cap1-1", CAP: "ap-lobby", Master: "cap1", RadioID: 1, RadioMAC: radio2g.MAC, WLANID: 2, Configuration: "guest", Rule: 4},
		}
		if diff := cmp.Diff(want, res.Interfaces[1], cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Settings" }, cmp.Ignore())); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if res.Interfaces[2][0].Name != "cap2" || len(res.Create) != 0 {
			t.Errorf("second radio %q, creates %d", res.Interfaces[2][0].Name, len(res.Create))
		}
		if s := res.Interfaces[1][1].Settings; s.SSID != "guest" {
			t.Errorf("slave settings: %+v", s)
		}
	})
	for _, act := range []string{"create-enabled", "create-disabled"} {
		t.Run(act, func(t *testing.T) {
			cfg := config(t, append(profiles, "provisioning action="+act+" master-configuration=office slave-configurations=guest name-format=%I")...)
			res := Provision(cfg, cap1, TakenFunc(none))
			disabled := act == "create-disabled"
			want := []model.Change{
				{"name": "ap-lobby", "configuration": "office", "radio-mac": radio2g.MAC},
				{"name": "ap-lobby-1", "configuration": "guest", "master-interface": "ap-lobby"},
				{"name": "ap-lobby-2", "configuration": "office", "radio-mac": radio5g.MAC},
				{"name": "ap-lobby-2-1", "configuration": "guest", "master-interface": "ap-lobby-2"},
			}
			if disabled {
				for _, ch := range want {
					ch["disabled"] = true
				}
			}
			if diff := cmp.Diff(want, res.Create); diff != "" {
				t.Fatalf("creates (-want +got):\n%s", diff)
			}
			// Once created, the static interfaces bind and the rules are not consulted.
			for _, ch := range res.Create {
				cfg.Add("interface", ch, -1)
			}
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			again := Provision(cfg, cap1, TakenFunc(none))
			if len(again.Create) != 0 || again.Interfaces[2][1].Name != "ap-lobby-2-1" || !again.Interfaces[2][1].Static ||
				again.Interfaces[2][0].Disabled != disabled {
				t.Errorf("after creation: %+v", again)
			}
		})
	}
	t.Run("static interface wins over rules", func(t *testing.T) {
		cfg := config(t, append(profiles,
			"provisioning action=create-dynamic-enabled master-configuration=office",
			"interface name=lab-radio radio-mac=02:00:00:00:01:02 configuration=lab channel.frequency=5180",
			"interface name=lab-guest master-interface=lab-radio configuration=guest")...)
		res := Provision(cfg, cap1, TakenFunc(none))
		if diff := cmp.Diff([]string{"office", "lab+guest"}, configurations(res, cap1)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if f := res.Interfaces[2][0].Settings.Frequencies; len(f) != 1 || f[0] != 5180 {
			t.Errorf("static interface setting not applied: %v", f)
		}
	})
}

func TestNameFormats(t *testing.T) {
	tests := []struct {
		rule  string
		taken []string
		want  []string // radio 1, radio 2
	}{
		{"", nil, []string{"cap1", "cap2"}},
		{"", []string{"cap1", "cap3"}, []string{"cap2", "cap4"}},
		{"name-prefix=lobby", nil, []string{"lobby1", "lobby2"}},
		{"name-format=%I", nil, []string{"ap-lobby", "ap-lobby-2"}},
		{"name-format=%I-%R", nil, []string{"ap-lobby-020000000101", "ap-lobby-020000000102"}},
		{"name-format=%C", nil, []string{"CAP-020000000100", "CAP-020000000100-2"}},
		{"name-format=-%I name-prefix=hq", nil, []string{"hq-ap-lobby", "hq-ap-lobby-2"}},
		{"name-format=%I", []string{"ap-lobby"}, []string{"ap-lobby-2", "ap-lobby-3"}},
		{"name-format=100%%-%I", nil, []string{"100--ap-lobby", "100--ap-lobby-2"}},
	}
	for _, tt := range tests {
		cfg := config(t, append(profiles, "provisioning action=create-dynamic-enabled master-configuration=office "+tt.rule)...)
		taken := func(n string) bool {
			for _, x := range tt.taken {
				if x == n {
					return true
				}
			}
			return false
		}
		res := Provision(cfg, cap1, TakenFunc(taken))
		got := []string{res.Interfaces[1][0].Name, res.Interfaces[2][0].Name}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%q taken %v (-want +got):\n%s", tt.rule, tt.taken, diff)
		}
	}
	// An identity with characters names cannot hold.
	odd := cap1
	odd.Identity = "Lobby AP #1"
	cfg := config(t, append(profiles, "provisioning action=create-dynamic-enabled master-configuration=office name-format=%I")...)
	if got := Provision(cfg, odd, TakenFunc(none)).Interfaces[1][0].Name; got != "Lobby-AP--1" {
		t.Errorf("sanitised name = %q", got)
	}
}

func TestRadioElements(t *testing.T) {
	cfg := config(t,
		"security name=psk authentication-types=wpa2-psk passphrase=office-pass",
		"configuration name=office ssid=office country=PL security=psk channel.frequency=5180 channel.width=80 channel.tx-power=17 datapath.vlan-id=10 datapath.bridge=br-lan",
		"configuration name=guest ssid=guest hide-ssid=yes datapath.client-to-client-forwarding=yes max-sta-count=20",
		"provisioning action=create-dynamic-enabled master-configuration=office slave-configurations=guest",
		"access-list mac-address=02:00:00:00:aa:01 private-passphrase=alice-only vlan-id=30",
		"access-list mac-address=02:00:00:00:aa:02 private-passphrase=bob-secret action=reject",
		"access-list ssid-regexp=^guest$ private-passphrase=guest-pass",
	)
	res := Provision(cfg, cap1, TakenFunc(none))
	els, served := RadioElements(cfg, 2, res.Interfaces[2], []uint8{1, 2, 3})
	alice, _ := net.ParseMAC("02:00:00:00:aa:01")
	want := []wire.Element{
		&wire.RadioConfig{RadioID: 2, Country: "PL", Band: "5g", Channel: 36, WidthMHz: 80, TxPowerDBm: 17},
		&wire.IEEE80211AddWLAN{RadioID: 2, WLANID: 1, Capability: 1 << 15, AdvertiseSSID: true, TunnelMode: wire.TunnelModeLocalBridge, MACMode: wire.MACModeLocal, SSID: []byte("office")},
		&wire.WLANSecurity{RadioID: 2, WLANID: 1, Mode: wire.SecurityWPA2PSK, Passphrase: "office-pass",
			Clients: []wire.ClientPassphrase{{MAC: alice, Passphrase: "alice-only", VLAN: 30}}},
		&wire.Datapath{RadioID: 2, WLANID: 1, LocalForwarding: true, Bridge: "br-lan", VLAN: 10},
		&wire.IEEE80211AddWLAN{RadioID: 2, WLANID: 2, Capability: 1 << 15, TunnelMode: wire.TunnelModeLocalBridge, MACMode: wire.MACModeLocal, SSID: []byte("guest")},
		&wire.WLANSecurity{RadioID: 2, WLANID: 2, Mode: wire.SecurityOpen},
		&wire.Datapath{RadioID: 2, WLANID: 2, LocalForwarding: true, ClientToClient: true, MaxClients: 20},
		&wire.IEEE80211DeleteWLAN{RadioID: 2, WLANID: 3},
	}
	if diff := cmp.Diff(want, els); diff != "" {
		t.Errorf("elements (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]uint8{1, 2}, served); diff != "" {
		t.Errorf("served (-want +got):\n%s", diff)
	}
	// A disabled master switches the radio off and serves nothing.
	ifs := res.Interfaces[2]
	ifs[0].Disabled = true
	els, served = RadioElements(cfg, 2, ifs, []uint8{1, 2})
	want = []wire.Element{&wire.RadioConfig{RadioID: 2, Disabled: true}, &wire.IEEE80211DeleteWLAN{RadioID: 2, WLANID: 1}, &wire.IEEE80211DeleteWLAN{RadioID: 2, WLANID: 2}}
	if diff := cmp.Diff(want, els); diff != "" || len(served) != 0 {
		t.Errorf("disabled master (-want +got):\n%s served %v", diff, served)
	}
}
