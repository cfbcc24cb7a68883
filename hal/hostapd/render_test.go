package hostapd

import (
	"flag"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-wifi/capstan/hal"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testRadio is a dual-band 802.11ax radio like the ones hwsim simulates.
func testRadio() hal.Radio {
	ch := func(n, mhz int, radar bool) hal.Channel {
		return hal.Channel{Number: n, FrequencyMHz: mhz, Radar: radar, MaxPowerDBm: 20}
	}
	return hal.Radio{ID: 1, Name: "phy0", Interface: "wlan0", MAC: net.HardwareAddr{2, 0, 0, 0, 0, 0},
		MaxAP: 8,
		Bands: []hal.BandInfo{
			{Band: hal.Band2GHz, HT: true, HT40: true, HE: true, Channels: []hal.Channel{ch(1, 2412, false), ch(6, 2437, false), ch(11, 2462, false)}},
			{Band: hal.Band5GHz, HT: true, HT40: true, VHT: true, VHT160: true, HE: true, Channels: []hal.Channel{
				ch(36, 5180, false), ch(40, 5200, false), ch(44, 5220, false), ch(48, 5240, false), ch(100, 5500, true)}},
		}}
}

func TestRenderGolden(t *testing.T) {
	radius := []hal.RADIUSServer{
		{Address: netip.MustParseAddrPort("192.0.2.1:1812"), Secret: "radius-secret"},
		{Address: netip.MustParseAddrPort("[2001:db8::1]:1645"), Secret: "second"},
	}
	cases := []struct {
		name string
		st   hal.RadioState
	}{
		{"wpa2-psk-2g", hal.RadioState{RadioID: 1, Country: "PL", Band: hal.Band2GHz, Channel: 6,
			WLANs: []hal.WLAN{{ID: 1, SSID: "office", Security: hal.SecurityWPA2PSK, Passphrase: "correct horse"}}}},
		{"open-auto-channel", hal.RadioState{RadioID: 1,
			WLANs: []hal.WLAN{{ID: 1, SSID: "guest"}}}},
		{"wpa3-sae-5g-80", hal.RadioState{RadioID: 1, Country: "DE", Band: hal.Band5GHz, Channel: 44, WidthMHz: 80,
			WLANs: []hal.WLAN{{ID: 1, SSID: "secure", Security: hal.SecurityWPA3SAE, Passphrase: "sae password"}}}},
		{"mixed-hidden-limits", hal.RadioState{RadioID: 1, Band: hal.Band2GHz, Channel: 11, WidthMHz: 40,
			WLANs: []hal.WLAN{{ID: 1, SSID: "mixed", Hidden: true, Security: hal.SecurityWPA2WPA3, Passphrase: "transition mode",
				MaxClients: 25, Isolate: true, Bridge: "br-lan"}}}},
		{"enterprise-5g-160", hal.RadioState{RadioID: 1, Band: hal.Band5GHz, Channel: 100, WidthMHz: 160,
			WLANs: []hal.WLAN{{ID: 7, SSID: "corp", Security: hal.SecurityWPA2EAP, RADIUS: radius}}}},
		{"three-bss", hal.RadioState{RadioID: 1, Band: hal.Band2GHz, Channel: 1,
			WLANs: []hal.WLAN{
				{ID: 1, SSID: "main", Security: hal.SecurityWPA2PSK, Passphrase: "main passphrase"},
				{ID: 2, SSID: "guest"},
				{ID: 5, SSID: "iot", Security: hal.SecurityWPA2PSK, Passphrase: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
			}}},
		{"per-client-vlan", hal.RadioState{RadioID: 1, Band: hal.Band2GHz, Channel: 1,
			WLANs: []hal.WLAN{{ID: 1, SSID: "ppsk", Security: hal.SecurityWPA2PSK, Passphrase: "shared passphrase", VLAN: 10,
				Clients: []hal.ClientKey{
					{MAC: net.HardwareAddr{0x02, 0x11, 0x22, 0x33, 0x44, 0x55}, Passphrase: "only for this one", VLAN: 20},
					{Passphrase: "any client, default vlan"},
				}}}}},
		{"rates-2g", hal.RadioState{RadioID: 1, Band: hal.Band2GHz, Channel: 1, BasicRates: []int{60, 120, 240},
			SupportedRates: []int{60, 90, 120, 180, 240, 360, 480, 540}, WLANs: []hal.WLAN{{ID: 1, SSID: "no-11b"}}}},
		{"quoted-ssid", hal.RadioState{RadioID: 1, Band: hal.Band2GHz, Channel: 1,
			WLANs: []hal.WLAN{{ID: 1, SSID: `Café "Zażółć" \ 📶`}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := hal.Resolve(testRadio(), c.st)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			f, err := Render(testRadio(), st, "/var/run/capstan/hostapd", "/var/run/capstan")
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			got := string(f.Config)
			names := make([]string, 0, len(f.PSK))
			for n := range f.PSK {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				got += "\n==> " + n + " <==\n" + string(f.PSK[n])
			}
			golden := filepath.Join("testdata", c.name+".conf")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"plain":      `P"plain"`,
		`a"b\c`:      `P"a\"b\\c"`,
		"é":          `P"\xc3\xa9"`,
		"tab\there":  `P"tab\x09here"`,
		"=equals= #": `P"=equals= #"`,
	} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestBSSID(t *testing.T) {
	base := net.HardwareAddr{0x02, 0, 0, 0, 0, 0}
	seen := map[string]bool{base.String(): true}
	for i := 1; i <= hal.MaxVirtualWLANs; i++ {
		b := BSSID(base, i).String()
		if seen[b] {
			t.Fatalf("BSSID %d = %s collides", i, b)
		}
		seen[b] = true
		if !strings.HasSuffix(b, ":00:00:00:00:00") {
			t.Errorf("BSSID %d = %s changed more than the first octet", i, b)
		}
	}
}

func TestCentreChannel(t *testing.T) {
	for _, c := range []struct{ ch, width, want int }{
		{36, 80, 42}, {48, 80, 42}, {100, 80, 106}, {149, 80, 155}, {161, 80, 155}, {36, 160, 50}, {100, 160, 114}, {128, 160, 114},
	} {
		if got := centreChannel(hal.Band5GHz, c.ch, c.width); got != c.want {
			t.Errorf("centreChannel(%d, %d) = %d, want %d", c.ch, c.width, got, c.want)
		}
	}
}
