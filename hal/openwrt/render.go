// Package openwrt runs radios the OpenWrt way: the desired state goes into
// UCI /etc/config/wireless (netifd renders hostapd's configuration from
// it) and is applied with `ubus call network reload`; runtime actions go to
// hostapd through ubus (hostapd.<ifname>); radios and stations come from
// the kernel (hal/nl80211). UCI stays the source of truth on the AP.
package openwrt

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/capstan-wifi/capstan/hal"
	"github.com/capstan-wifi/capstan/internal/uci"
)

// Managed is one radio capstan runs: its CAPWAP radio, its UCI
// wifi-device and the interface name prefix of its WLANs.
type Managed struct {
	Radio  hal.Radio // resolved capabilities; Radio.Name is the wifi-device
	Prefix string    // interface names: Prefix, Prefix-1, Prefix-2, ...
}

// sectionName is the wifi-iface section capstan owns for a WLAN.
func sectionName(device string, wlan uint8) string {
	return fmt.Sprintf("capstan_%s_%d", device, wlan)
}

// ifaceName is the interface of the i-th WLAN of a radio.
func ifaceName(prefix string, i int) string { return hal.WLANInterface(prefix, i) }

// Render returns the wireless configuration with the managed radios set to
// states (resolved, one per managed radio): each wifi-device gets band,
// channel, htmode, country, txpower and disabled; each WLAN becomes a
// wifi-iface named capstan_<device>_<wlan id>, in the network of its
// bridge, else of bridge (the agent's), else of the AP's own access point
// on that radio. The AP's own access points on a managed radio are
// disabled, not deleted (CAP mode takes the radio over, and `capstan-agent
// unlock` plus a reset can give it back); its stations, mesh points and
// other non-AP interfaces stay as they are, since they may carry the AP's
// own uplink. Sections of radios capstan does not manage are left alone.
func Render(existing []uci.Section, managed []Managed, states map[uint8]hal.RadioState, bridge string) []uci.Section {
	byDevice := map[string]Managed{}
	networks := map[string]string{} // default network by device
	for _, m := range managed {
		byDevice[m.Radio.Name] = m
		networks[m.Radio.Name] = strings.TrimPrefix(bridge, "br-")
		if bridge == "" {
			networks[m.Radio.Name] = ownNetwork(existing, m.Radio.Name)
		}
	}
	var out []uci.Section
	for _, s := range existing {
		s.Options = append([]uci.Option(nil), s.Options...)
		switch {
		case s.Type == "wifi-iface" && strings.HasPrefix(s.Name, "capstan_"):
			continue // rewritten below
		case s.Type == "wifi-device":
			if m, ok := byDevice[s.Name]; ok {
				renderDevice(&s, m, states[m.Radio.ID])
			}
		case s.Type == "wifi-iface":
			if _, ok := byDevice[s.Get("device")]; ok && apMode(s) {
				s.Set("disabled", "1")
			}
		}
		out = append(out, s)
	}
	for _, m := range managed {
		st := states[m.Radio.ID]
		for i, w := range st.WLANs {
			out = append(out, renderIface(m, i, w, networks[m.Radio.Name]))
		}
	}
	return out
}

func renderDevice(s *uci.Section, m Managed, st hal.RadioState) {
	s.Set("band", string(st.Band))
	s.Set("channel", channel(st.Channel))
	s.Set("htmode", htmode(m.Radio, st))
	s.Set("country", st.Country)
	if st.TxPowerDBm > 0 {
		s.Set("txpower", strconv.Itoa(st.TxPowerDBm))
	} else {
		s.Set("txpower", "")
	}
	s.SetList("basic_rate", kbps(st.BasicRates))
	s.SetList("supported_rates", kbps(st.SupportedRates))
	if st.Active() {
		s.Set("disabled", "0")
	} else {
		s.Set("disabled", "1")
	}
	// The manager's "disabled" apart from "no WLANs", for Parse.
	if st.Disabled {
		s.Set("capstan_disabled", "1")
	} else {
		s.Set("capstan_disabled", "")
	}
}

// channel is the UCI value: "auto" (OpenWrt's word for its own choice) for
// a channel still open, which Resolve leaves only on a radio that reports
// no channels.
func channel(n int) string {
	if n == 0 {
		return "auto"
	}
	return strconv.Itoa(n)
}

// htmode is OpenWrt's name for the PHY mode and width: HE above VHT above
// HT, as far as the band supports.
func htmode(r hal.Radio, st hal.RadioState) string {
	bi, _ := r.Band(st.Band)
	w := strconv.Itoa(max(st.WidthMHz, 20))
	switch {
	case bi.HE:
		return "HE" + w
	case bi.VHT:
		return "VHT" + w
	case bi.HT:
		return "HT" + w
	}
	return "NOHT"
}

var encryptions = map[hal.Security]string{
	"": "none", hal.SecurityOpen: "none", hal.SecurityWPA2PSK: "psk2+ccmp", hal.SecurityWPA3SAE: "sae",
	hal.SecurityWPA2WPA3: "sae-mixed", hal.SecurityWPA2EAP: "wpa2+ccmp",
}

func renderIface(m Managed, i int, w hal.WLAN, network string) uci.Section {
	s := uci.Section{Type: "wifi-iface", Name: sectionName(m.Radio.Name, w.ID)}
	set := s.Set
	set("device", m.Radio.Name)
	set("mode", "ap")
	set("ifname", ifaceName(m.Prefix, i))
	set("ssid", w.SSID)
	set("encryption", encryptions[w.Security])
	set("key", w.Passphrase)
	for n, r := range w.RADIUS {
		if n > 0 {
			break // OpenWrt's wifi-iface has one auth server
		}
		set("auth_server", r.Address.Addr().String())
		set("auth_port", strconv.Itoa(int(r.Address.Port())))
		set("auth_secret", r.Secret)
	}
	if w.Hidden {
		set("hidden", "1")
	}
	if w.MaxClients > 0 {
		set("maxassoc", strconv.Itoa(w.MaxClients))
	}
	if w.Isolate {
		set("isolate", "1")
	}
	// netifd bridges a wifi-iface into its network: br-lan is network lan.
	// Without one, clients would associate and get no DHCP or traffic.
	if w.Bridge != "" {
		network = strings.TrimPrefix(w.Bridge, "br-")
	}
	if w.Tunneled {
		network = "" // manager forwarding: the agent carries the frames
		set("capstan_tunnel", "1")
	}
	set("network", network)
	set("capstan_bridge", w.Bridge) // what the manager asked for, for Parse
	if w.VLAN != 0 {
		set("vlan_id", strconv.Itoa(int(w.VLAN))) // recorded; tagging is the network's (DSA) job
	}
	set("capstan_wlan_id", strconv.Itoa(int(w.ID)))
	return s
}

// Parse reads back the state of the managed radios from a wireless
// configuration capstan rendered: what a radio runs after a reboot, before
// the manager answers.
func Parse(sections []uci.Section, managed []Managed) map[uint8]hal.RadioState {
	out := map[uint8]hal.RadioState{}
	byDevice := map[string]hal.Radio{}
	for _, m := range managed {
		byDevice[m.Radio.Name] = m.Radio
	}
	for _, s := range sections {
		switch {
		case s.Type == "wifi-device":
			r, ok := byDevice[s.Name]
			if !ok {
				continue
			}
			st := out[r.ID]
			st.RadioID = r.ID
			st.Band = hal.Band(s.Get("band"))
			st.Channel, _ = strconv.Atoi(s.Get("channel")) // "auto": 0
			st.Country = s.Get("country")
			st.TxPowerDBm, _ = strconv.Atoi(s.Get("txpower"))
			mode := s.Get("htmode")
			st.WidthMHz, _ = strconv.Atoi(strings.TrimLeft(mode, "NOHTVE"))
			if st.WidthMHz == 0 {
				st.WidthMHz = hal.DefaultWidthMHz
			}
			st.Disabled = s.Get("capstan_disabled") == "1"
			st.BasicRates, st.SupportedRates = fromKbps(s.GetList("basic_rate")), fromKbps(s.GetList("supported_rates"))
			out[r.ID] = st
		case s.Type == "wifi-iface" && strings.HasPrefix(s.Name, "capstan_"):
			r, ok := byDevice[s.Get("device")]
			if !ok {
				continue
			}
			st := out[r.ID]
			st.RadioID = r.ID
			st.WLANs = append(st.WLANs, parseIface(s))
			out[r.ID] = st
		}
	}
	return out
}

func parseIface(s uci.Section) hal.WLAN {
	id, _ := strconv.Atoi(s.Get("capstan_wlan_id"))
	w := hal.WLAN{ID: uint8(id), SSID: s.Get("ssid"), Hidden: s.Get("hidden") == "1", Passphrase: s.Get("key"),
		Isolate: s.Get("isolate") == "1"}
	for sec, enc := range encryptions {
		if enc == s.Get("encryption") && sec != "" {
			w.Security = sec
		}
	}
	w.MaxClients, _ = strconv.Atoi(s.Get("maxassoc"))
	w.Bridge = s.Get("capstan_bridge")
	w.Tunneled = s.Get("capstan_tunnel") == "1"
	vlan, _ := strconv.Atoi(s.Get("vlan_id"))
	w.VLAN = uint16(vlan)
	if srv := s.Get("auth_server"); srv != "" {
		port, _ := strconv.Atoi(s.Get("auth_port"))
		if ap, err := parseAddrPort(srv, port); err == nil {
			w.RADIUS = []hal.RADIUSServer{{Address: ap, Secret: s.Get("auth_secret")}}
		}
	}
	return w
}

func parseAddrPort(addr string, port int) (netip.AddrPort, error) {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return netip.AddrPort{}, err
	}
	if port == 0 {
		port = hal.DefaultRADIUSPort
	}
	return netip.AddrPortFrom(a, uint16(port)), nil
}

// kbps is OpenWrt's form of legacy rates (basic_rate, supported_rates: kb/s).
func kbps(rates []int) []string {
	var out []string
	for _, r := range rates {
		out = append(out, strconv.Itoa(r*100))
	}
	return out
}

func fromKbps(list []string) []int {
	var out []int
	for _, v := range list {
		if n, err := strconv.Atoi(v); err == nil {
			out = append(out, n/100)
		}
	}
	return out
}
