package model

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/capstan-wifi/capstan/hal"
)

// Resolve layers the settings of an interface as CAPsMAN does. For a
// profile setting such as channel.frequency the first that is set wins:
// the interface's own channel.frequency, the frequency of the channel
// profile the interface references, the configuration's own
// channel.frequency, the frequency of the channel profile the
// configuration references. For a configuration setting such as ssid: the
// interface's configuration.ssid, then the configuration's ssid.
//
// iface is a static interface, or for a dynamic one an item holding only
// "configuration". The result is keyed "ssid", "channel.frequency", ….
func (c *Config) Resolve(iface Item) map[string]any {
	conf, _ := c.Named("configuration", iface.String("configuration"))
	out := map[string]any{}
	for _, f := range configurationOwnFields {
		if v := first(iface.Values["configuration."+f.Key], conf.Values[f.Key]); v != nil {
			out[f.Key] = v
		}
	}
	for _, p := range Profiles {
		ifProf, _ := c.Named(p, iface.String(p))
		confProf, _ := c.Named(p, conf.String(p))
		for _, f := range profileFields(p) {
			key := p + "." + f.Key
			if v := first(iface.Values[key], ifProf.Values[f.Key], conf.Values[key], confProf.Values[f.Key]); v != nil {
				out[key] = v
			}
		}
	}
	return out
}

func first(vs ...any) any {
	for _, v := range vs {
		if v != nil {
			return v
		}
	}
	return nil
}

// Settings are the resolved settings of one interface, typed.
type Settings struct {
	SSID       string
	HideSSID   bool
	Country    string
	MaxClients int

	Frequencies  []int // MHz; one is a fixed channel
	Band         string
	WidthMHz     int
	TxPowerDBm   int
	SkipDFS      bool
	Reselect     DurationRange // zero: never
	SaveSelected bool

	Bridge string
	// ManagerForwarding is datapath.local-forwarding=no: the clients'
	// traffic goes to the manager, and Bridge is a bridge on the manager.
	ManagerForwarding bool
	ClientToClient    bool
	VLANID            int
	VLANTagged        bool

	Security     hal.Security
	Passphrase   string
	RADIUS       []netip.AddrPort
	RADIUSSecret string

	BasicRates, SupportedRates []int // in 500 kb/s units (IEEE 802.11 rate encoding)
}

// SettingsOf types resolved values and checks that they make a runnable
// interface; errors name the setting.
func SettingsOf(resolved map[string]any, owner string) (Settings, error) {
	it := Item{Values: resolved}
	s := Settings{
		SSID: it.String("ssid"), HideSSID: it.Bool("hide-ssid"), Country: it.String("country"),
		Band: it.String("channel.band"), SkipDFS: it.Bool("channel.skip-dfs-channels"),
		SaveSelected: it.Bool("channel.save-selected"), Bridge: it.String("datapath.bridge"),
		ClientToClient: it.Bool("datapath.client-to-client-forwarding"),
		VLANTagged:     it.String("datapath.vlan-mode") != "no-tag",
		// Unset is local forwarding, capstan's default (see the README).
		ManagerForwarding: resolved["datapath.local-forwarding"] == false,
		Passphrase:        it.String("security.passphrase"), RADIUSSecret: it.String("security.radius-secret"),
	}
	s.MaxClients = int(intOf(resolved["max-sta-count"]))
	s.TxPowerDBm = int(intOf(resolved["channel.tx-power"]))
	s.VLANID = int(intOf(resolved["datapath.vlan-id"]))
	s.WidthMHz, _ = strconv.Atoi(it.String("channel.width"))
	bad := func(field, format string, a ...any) error {
		return &FieldError{Resource: owner, Field: field, Reason: fmt.Sprintf(format, a...)}
	}
	for _, f := range it.Strings("channel.frequency") {
		mhz, _ := strconv.Atoi(f)
		if s.Band != "" && BandOfFrequency(mhz) != s.Band {
			return s, bad("channel.frequency", "%d MHz is not in band %s", mhz, s.Band)
		}
		s.Frequencies = append(s.Frequencies, mhz)
	}
	if len(s.Frequencies) > 0 && s.Band == "" {
		s.Band = BandOfFrequency(s.Frequencies[0])
		for _, f := range s.Frequencies {
			if BandOfFrequency(f) != s.Band {
				return s, bad("channel.frequency", "frequencies from more than one band: set channel.band")
			}
		}
	}
	if s.Band == "2ghz" && s.WidthMHz > 40 {
		return s, bad("channel.width", "%d MHz is not available in 2ghz", s.WidthMHz)
	}
	if r := it.String("channel.reselect-interval"); r != "" {
		s.Reselect, _ = ParseDurationRange(r)
	}
	var err error
	if s.Security, err = securityOf(it.Strings("security.authentication-types")); err != nil {
		return s, bad("security.authentication-types", "%v", err)
	}
	switch s.Security {
	case hal.SecurityWPA2PSK, hal.SecurityWPA3SAE, hal.SecurityWPA2WPA3:
		if s.Passphrase == "" {
			return s, bad("security.passphrase", "%s needs a passphrase", strings.Join(it.Strings("security.authentication-types"), ","))
		}
	case hal.SecurityWPA2EAP:
		if len(it.Strings("security.radius-server")) == 0 || s.RADIUSSecret == "" {
			return s, bad("security.radius-server", "wpa2-eap needs radius-server and radius-secret")
		}
	}
	for _, r := range it.Strings("security.radius-server") {
		ap, _ := ParseRADIUSServer(r)
		s.RADIUS = append(s.RADIUS, ap)
	}
	s.BasicRates = rateUnits(it.Strings("rates.basic"))
	s.SupportedRates = rateUnits(it.Strings("rates.supported"))
	for _, b := range s.BasicRates {
		if len(s.SupportedRates) > 0 && !slices.Contains(s.SupportedRates, b) {
			return s, bad("rates.basic", "%s Mbps is basic but not supported", rateText(b))
		}
	}
	return s, nil
}

func intOf(v any) int64 { n, _ := v.(int64); return n }

func securityOf(types []string) (hal.Security, error) {
	t := slices.Sorted(slices.Values(types))
	switch strings.Join(t, ",") {
	case "":
		return hal.SecurityOpen, nil
	case "wpa2-psk":
		return hal.SecurityWPA2PSK, nil
	case "wpa3-psk":
		return hal.SecurityWPA3SAE, nil
	case "wpa2-psk,wpa3-psk":
		return hal.SecurityWPA2WPA3, nil
	case "wpa2-eap":
		return hal.SecurityWPA2EAP, nil
	}
	return "", fmt.Errorf("%s cannot be combined: use wpa2-psk, wpa3-psk, wpa2-psk,wpa3-psk or wpa2-eap", strings.Join(types, ","))
}

func rateUnits(rates []string) []int {
	var out []int
	for _, r := range rates {
		f, _ := strconv.ParseFloat(r, 64)
		out = append(out, int(f*2))
	}
	return out
}

func rateText(units int) string { return strconv.FormatFloat(float64(units)/2, 'f', -1, 64) }
