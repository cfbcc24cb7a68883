// Package provision decides what a CAP's radios run. For now that is the
// default configuration: one SSID with its security, country, channel and
// power, applied to every radio of every CAP when nothing more specific
// exists, stored in the state directory and changed live from the CLI or
// API. The rules and profiles of a full configuration model build on it.
package provision

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/hal"
	"github.com/capstan-wifi/capstan/pki"
)

// DefaultsFile is the default configuration's file in the state directory.
const DefaultsFile = "default-configuration.json"

// Defaults is the default configuration. JSON keys are the CLI's keys with
// underscores.
type Defaults struct {
	SSID           string `json:"ssid"`
	Hidden         bool   `json:"hidden"`
	Security       string `json:"security"` // open, wpa2-psk, wpa3-sae, wpa2-wpa3, wpa2-eap
	Passphrase     string `json:"passphrase,omitempty"`
	RADIUSServer   string `json:"radius_server,omitempty"` // address:port
	RADIUSSecret   string `json:"radius_secret,omitempty"`
	Country        string `json:"country"`
	Band           string `json:"band"`    // 2g, 5g, 6g; "" the radio's first
	Channel        int    `json:"channel"` // 0: the CAP picks
	Width          int    `json:"width"`   // MHz
	TxPower        int    `json:"tx_power"`
	Disabled       bool   `json:"disabled"`
	MaxClients     int    `json:"max_clients"`
	ClientToClient bool   `json:"client_to_client_forwarding"`
	VLANID         int    `json:"vlan_id"`
	Bridge         string `json:"bridge"`
}

// Keys are the settable keys, in the order `print` shows them.
var Keys = []string{"ssid", "hidden", "security", "passphrase", "radius-server", "radius-secret", "country",
	"band", "channel", "width", "tx-power", "disabled", "max-clients", "client-to-client-forwarding", "vlan-id", "bridge"}

// Set changes one setting from its text form; the error names the key.
func (d *Defaults) Set(key, value string) error {
	num := func(min, max int) (int, error) {
		n, err := strconv.Atoi(value)
		if err != nil || n < min || n > max {
			return 0, fmt.Errorf("%s=%q: want a whole number from %d to %d", key, value, min, max)
		}
		return n, nil
	}
	flag := func() (bool, error) {
		switch strings.ToLower(value) {
		case "yes", "true", "1":
			return true, nil
		case "no", "false", "0":
			return false, nil
		}
		return false, fmt.Errorf("%s=%q: want yes or no", key, value)
	}
	var err error
	switch key {
	case "ssid":
		d.SSID = value
	case "hidden":
		d.Hidden, err = flag()
	case "security":
		d.Security = value
	case "passphrase":
		d.Passphrase = value
	case "radius-server":
		d.RADIUSServer = value
	case "radius-secret":
		d.RADIUSSecret = value
	case "country":
		d.Country = strings.ToUpper(value)
	case "band":
		d.Band = value
	case "channel":
		d.Channel, err = num(0, 233)
	case "width":
		d.Width, err = num(0, 160)
	case "tx-power":
		d.TxPower, err = num(0, 40)
	case "disabled":
		d.Disabled, err = flag()
	case "max-clients":
		d.MaxClients, err = num(0, 2007)
	case "client-to-client-forwarding":
		d.ClientToClient, err = flag()
	case "vlan-id":
		d.VLANID, err = num(0, 4094)
	case "bridge":
		d.Bridge = value
	default:
		return fmt.Errorf("unknown key %q (known: %s)", key, strings.Join(Keys, ", "))
	}
	return err
}

// Validate checks the whole configuration as a CAP would, with the field's
// CLI name in the error.
func (d Defaults) Validate() error {
	switch d.Band {
	case "", string(hal.Band2GHz), string(hal.Band5GHz), string(hal.Band6GHz):
	default:
		return fmt.Errorf("band=%q: want 2g, 5g or 6g", d.Band)
	}
	if d.RADIUSServer != "" {
		if _, err := parseRADIUS(d.RADIUSServer); err != nil {
			return err
		}
	}
	if d.SSID == "" {
		if d.Security != "" || d.Passphrase != "" {
			return errors.New("ssid: set an SSID before its security")
		}
		return nil
	}
	st := d.radioState(1)
	if _, err := hal.Resolve(hal.Radio{ID: 1, Name: "check"}, st); err != nil {
		var ce *hal.ConfigError
		if errors.As(err, &ce) {
			return fmt.Errorf("%s: %s", ce.Field, ce.Reason)
		}
		return err
	}
	return nil
}

// radioState is the hal view of the defaults, for checks.
func (d Defaults) radioState(radio uint8) hal.RadioState {
	st := hal.RadioState{RadioID: radio, Disabled: d.Disabled, Country: d.Country, Band: hal.Band(d.Band),
		Channel: d.Channel, WidthMHz: d.Width, TxPowerDBm: d.TxPower}
	w := hal.WLAN{ID: 1, SSID: d.SSID, Hidden: d.Hidden, Security: hal.Security(d.Security), Passphrase: d.Passphrase,
		MaxClients: d.MaxClients, Isolate: !d.ClientToClient, VLAN: uint16(d.VLANID), Bridge: d.Bridge}
	if ap, err := parseRADIUS(d.RADIUSServer); err == nil && d.RADIUSServer != "" {
		w.RADIUS = []hal.RADIUSServer{{Address: ap, Secret: d.RADIUSSecret}}
	}
	st.WLANs = []hal.WLAN{w}
	return st
}

func parseRADIUS(s string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap, nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.AddrPortFrom(a, hal.DefaultRADIUSPort), nil
	}
	return netip.AddrPort{}, fmt.Errorf("radius-server=%q: want an IP address with an optional :port", s)
}

// Redacted is d with its secrets replaced, for printing.
func (d Defaults) Redacted() Defaults {
	if d.Passphrase != "" {
		d.Passphrase = "********"
	}
	if d.RADIUSSecret != "" {
		d.RADIUSSecret = "********"
	}
	return d
}

// RadioConfig is the radio part of the defaults for one radio.
func (d Defaults) RadioConfig(radio uint8) *wire.RadioConfig {
	return &wire.RadioConfig{RadioID: radio, Disabled: d.Disabled, Country: d.Country, Band: d.Band,
		Channel: uint16(d.Channel), WidthMHz: uint16(d.Width), TxPowerDBm: uint8(d.TxPower)}
}

// DefaultWLANID is the WLAN the default SSID runs as on every radio.
const DefaultWLANID = 1

// WLANElements is the WLAN Configuration Request content for one radio:
// Add WLAN with capstan's WLAN Security and Datapath, or Delete WLAN when
// there is no SSID.
func (d Defaults) WLANElements(radio uint8) []wire.Element {
	if d.SSID == "" {
		return []wire.Element{&wire.IEEE80211DeleteWLAN{RadioID: radio, WLANID: DefaultWLANID}}
	}
	add := &wire.IEEE80211AddWLAN{RadioID: radio, WLANID: DefaultWLANID, Capability: 1 << 15, AdvertiseSSID: !d.Hidden,
		TunnelMode: wire.TunnelModeLocalBridge, MACMode: wire.MACModeLocal, SSID: []byte(d.SSID)}
	sec := &wire.WLANSecurity{RadioID: radio, WLANID: DefaultWLANID, Mode: securityModes[d.Security], Passphrase: d.Passphrase}
	if sec.Mode == 0 {
		sec.Mode = wire.SecurityOpen
	}
	if ap, err := parseRADIUS(d.RADIUSServer); err == nil && d.RADIUSServer != "" {
		sec.RADIUS = []wire.RADIUSServer{{Address: ap.Addr(), Port: ap.Port(), Secret: d.RADIUSSecret}}
	}
	dp := &wire.Datapath{RadioID: radio, WLANID: DefaultWLANID, LocalForwarding: true, Bridge: d.Bridge,
		VLAN: uint16(d.VLANID), ClientToClient: d.ClientToClient, MaxClients: uint16(d.MaxClients)}
	return []wire.Element{add, sec, dp}
}

var securityModes = map[string]uint8{
	"": wire.SecurityOpen, string(hal.SecurityOpen): wire.SecurityOpen, string(hal.SecurityWPA2PSK): wire.SecurityWPA2PSK,
	string(hal.SecurityWPA3SAE): wire.SecurityWPA3SAE, string(hal.SecurityWPA2WPA3): wire.SecurityWPA2WPA3,
	string(hal.SecurityWPA2EAP): wire.SecurityWPA2EAP,
}

// Load reads the defaults from dir; a missing file is the zero Defaults
// and false.
func Load(dir string) (Defaults, bool, error) {
	var d Defaults
	b, err := os.ReadFile(filepath.Join(dir, DefaultsFile))
	if errors.Is(err, os.ErrNotExist) {
		return d, false, nil
	}
	if err != nil {
		return d, false, err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return d, false, fmt.Errorf("%s: %w", DefaultsFile, err)
	}
	if err := d.Validate(); err != nil {
		return d, false, fmt.Errorf("%s: %w", DefaultsFile, err)
	}
	return d, true, nil
}

// Save writes the defaults to dir atomically (temp file, fsync, rename),
// readable by the owner only: they hold the passphrase.
func Save(dir string, d Defaults) error {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	return pki.WriteFileAtomic(filepath.Join(dir, DefaultsFile), append(b, '\n'), 0o600)
}

// Apply sets every key=value of params on a copy of d and validates the
// result; keys are applied in sorted order so that errors are repeatable.
func (d Defaults) Apply(params map[string]string) (Defaults, error) {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := d.Set(k, params[k]); err != nil {
			return d, err
		}
	}
	return d, d.Validate()
}
