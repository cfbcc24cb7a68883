package hal

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// ConfigError is a desired state a radio cannot run. It names the setting.
type ConfigError struct {
	RadioID uint8
	WLANID  uint8 // 0 for a radio setting
	Field   string
	Reason  string
}

func (e *ConfigError) Error() string {
	if e.WLANID != 0 {
		return fmt.Sprintf("radio %d WLAN %d: %s: %s", e.RadioID, e.WLANID, e.Field, e.Reason)
	}
	return fmt.Sprintf("radio %d: %s: %s", e.RadioID, e.Field, e.Reason)
}

// Resolve checks st against what radio r can do and fills in the defaults
// (band, channel, width) that st leaves open. It changes nothing on the
// radio: a backend calls it before touching anything, so that a state it
// refuses is never half applied.
func Resolve(r Radio, st RadioState) (RadioState, error) {
	bad := func(field, format string, a ...any) error {
		return &ConfigError{RadioID: st.RadioID, Field: field, Reason: fmt.Sprintf(format, a...)}
	}
	if st.RadioID != r.ID {
		return st, bad("radio", "state for radio %d given to radio %d", st.RadioID, r.ID)
	}
	if st.Country != "" && !isCountry(st.Country) {
		return st, bad("country", "%q is not an ISO 3166-1 alpha-2 code", st.Country)
	}
	if st.WidthMHz == 0 {
		st.WidthMHz = DefaultWidthMHz
	}
	if st.TxPowerDBm < 0 || st.TxPowerDBm > 40 {
		return st, bad("tx-power", "%d dBm is outside 0–40", st.TxPowerDBm)
	}
	if len(r.Bands) > 0 {
		if err := resolveChannel(r, &st); err != nil {
			return st, err
		}
	} else if st.Band == "" {
		st.Band = Band2GHz
	}
	if st.Band == Band2GHz && st.WidthMHz > 40 {
		return st, bad("width", "%d MHz is not possible in 2.4 GHz", st.WidthMHz)
	}
	switch st.WidthMHz {
	case 20, 40, 80, 160:
	default:
		return st, bad("width", "%d MHz: want 20, 40, 80 or 160", st.WidthMHz)
	}
	if err := checkRates(st); err != nil {
		return st, err
	}
	if len(st.WLANs) > 1+MaxVirtualWLANs {
		return st, bad("wlans", "%d WLANs: at most a master and %d virtual", len(st.WLANs), MaxVirtualWLANs)
	}
	if r.MaxAP > 0 && len(st.WLANs) > r.MaxAP {
		return st, bad("wlans", "%d WLANs: this radio runs at most %d access points", len(st.WLANs), r.MaxAP)
	}
	seen := map[uint8]bool{}
	st.WLANs = slices.Clone(st.WLANs)
	for i, w := range st.WLANs {
		if w.Security == "" {
			st.WLANs[i].Security = SecurityOpen
		}
		if seen[w.ID] {
			return st, bad("wlans", "WLAN ID %d given twice", w.ID)
		}
		seen[w.ID] = true
		if err := checkWLAN(st.RadioID, w); err != nil {
			return st, err
		}
	}
	return st, nil
}

// resolveChannel checks band, channel and width against r's bands and picks
// the channel when st leaves it open.
func resolveChannel(r Radio, st *RadioState) error {
	bad := func(field, format string, a ...any) error {
		return &ConfigError{RadioID: st.RadioID, Field: field, Reason: fmt.Sprintf(format, a...)}
	}
	if st.Band == "" {
		st.Band = r.Bands[0].Band
	}
	if st.Band == Band2GHz && st.WidthMHz > 40 {
		return bad("width", "%d MHz is not possible in 2.4 GHz", st.WidthMHz)
	}
	bi, ok := r.Band(st.Band)
	if !ok {
		return bad("band", "radio %s has no %s band", r.Name, st.Band)
	}
	switch {
	case st.WidthMHz == 40 && !bi.HT40:
		return bad("width", "radio %s cannot use 40 MHz in %s", r.Name, st.Band)
	case st.WidthMHz == 80 && !bi.VHT:
		return bad("width", "radio %s cannot use 80 MHz (no 802.11ac) in %s", r.Name, st.Band)
	case st.WidthMHz == 160 && !bi.VHT160:
		return bad("width", "radio %s cannot use 160 MHz in %s", r.Name, st.Band)
	}
	if st.Channel == 0 {
		for _, pass := range []func(Channel) bool{
			func(c Channel) bool { return !c.Disabled && !c.Radar && !c.NoIR },
			func(c Channel) bool { return !c.Disabled && !c.Radar },
		} {
			for _, c := range bi.Channels {
				if pass(c) {
					st.Channel = c.Number
					return nil
				}
			}
		}
		return bad("channel", "no usable channel without radar detection in %s", st.Band)
	}
	for _, c := range bi.Channels {
		if c.Number != st.Channel {
			continue
		}
		switch {
		case c.Disabled:
			return bad("channel", "channel %d is disabled in this regulatory domain", c.Number)
		case c.Radar && c.DFS == DFSUnavailable:
			return bad("channel", "channel %d is unavailable: radar was detected on it", c.Number)
		case st.TxPowerDBm > 0 && c.MaxPowerDBm > 0 && float64(st.TxPowerDBm) > c.MaxPowerDBm:
			return bad("tx-power", "%d dBm is above channel %d's limit of %g dBm", st.TxPowerDBm, c.Number, c.MaxPowerDBm)
		}
		return nil
	}
	return bad("channel", "radio %s has no channel %d in %s", r.Name, st.Channel, st.Band)
}

func checkWLAN(radio uint8, w WLAN) error {
	bad := func(field, format string, a ...any) error {
		return &ConfigError{RadioID: radio, WLANID: w.ID, Field: field, Reason: fmt.Sprintf(format, a...)}
	}
	if w.ID == 0 {
		return bad("id", "WLAN ID 0 is reserved")
	}
	if len(w.SSID) == 0 || len(w.SSID) > MaxSSIDBytes || !utf8.ValidString(w.SSID) {
		return bad("ssid", "must be 1–%d bytes of UTF-8", MaxSSIDBytes)
	}
	if strings.ContainsAny(w.SSID, "\n\r\x00") {
		return bad("ssid", "must not contain line breaks or NUL")
	}
	switch w.Security {
	case "", SecurityOpen:
	case SecurityWPA2PSK, SecurityWPA3SAE, SecurityWPA2WPA3:
		if err := checkPassphrase(w.Passphrase); err != nil {
			return bad("passphrase", "%v", err)
		}
	case SecurityWPA2EAP:
		if len(w.RADIUS) == 0 {
			return bad("radius", "WPA2-Enterprise needs a RADIUS server")
		}
		for _, s := range w.RADIUS {
			if !s.Address.IsValid() || s.Address.Port() == 0 {
				return bad("radius", "server address %v needs an IP address and a port", s.Address)
			}
			if s.Secret == "" || strings.ContainsAny(s.Secret, "\n\r") {
				return bad("radius", "server %v needs a one-line shared secret", s.Address)
			}
		}
	default:
		return bad("security", "%q: want open, wpa2-psk, wpa3-sae, wpa2-wpa3 or wpa2-eap", w.Security)
	}
	for _, c := range w.Clients {
		if w.Security != SecurityWPA2PSK && w.Security != SecurityWPA2WPA3 {
			return bad("clients", "per-client passphrases need wpa2-psk or wpa2-wpa3")
		}
		if c.MAC != nil && len(c.MAC) != 6 {
			return bad("clients", "%v is not a MAC address", c.MAC)
		}
		if err := checkPassphrase(c.Passphrase); err != nil {
			return bad("clients", "passphrase of %v: %v", c.MAC, err)
		}
		if c.VLAN > 4094 {
			return bad("clients", "VLAN %d of %v is outside 1–4094", c.VLAN, c.MAC)
		}
	}
	if w.MaxClients < 0 || w.MaxClients > 2007 {
		return bad("max-clients", "%d is outside 0–2007", w.MaxClients)
	}
	if w.VLAN > 4094 {
		return bad("vlan-id", "%d is outside 0–4094", w.VLAN)
	}
	if w.Bridge != "" && !isInterfaceName(w.Bridge) {
		return bad("bridge", "%q is not an interface name", w.Bridge)
	}
	return nil
}

// checkPassphrase applies IEEE 802.11's rule: 8–63 printable ASCII
// characters, or 64 hex digits (the PSK itself).
func checkPassphrase(p string) error {
	if len(p) == 64 && strings.Trim(strings.ToLower(p), "0123456789abcdef") == "" {
		return nil
	}
	if len(p) < 8 || len(p) > 63 {
		return fmt.Errorf("%d characters: want 8–63 (or 64 hex digits)", len(p))
	}
	for _, c := range p {
		if c < 0x20 || c > 0x7e {
			return fmt.Errorf("only printable ASCII characters are allowed")
		}
	}
	return nil
}

func isCountry(c string) bool {
	return len(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' || c == "00"
}

func isInterfaceName(n string) bool {
	if n == "" || len(n) > 15 || n == "." || n == ".." {
		return false
	}
	return !strings.ContainsAny(n, "/ \t\n:")
}

// dsssRates are the 802.11b rates (100 kb/s), which only 2.4 GHz has.
var dsssRates = []int{10, 20, 55, 110}

// checkRates: every basic rate supported, no 802.11b rate outside 2.4 GHz.
func checkRates(st RadioState) error {
	bad := func(format string, a ...any) error {
		return &ConfigError{RadioID: st.RadioID, Field: "rates", Reason: fmt.Sprintf(format, a...)}
	}
	for _, r := range append(slices.Clone(st.BasicRates), st.SupportedRates...) {
		if st.Band != Band2GHz && slices.Contains(dsssRates, r) {
			return bad("%g Mb/s is an 802.11b rate, only in 2.4 GHz", float64(r)/10)
		}
	}
	for _, r := range st.BasicRates {
		if len(st.SupportedRates) > 0 && !slices.Contains(st.SupportedRates, r) {
			return bad("basic rate %g Mb/s is not supported", float64(r)/10)
		}
	}
	return nil
}
