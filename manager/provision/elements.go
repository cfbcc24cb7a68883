package provision

import (
	"net"
	"slices"

	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/hal"
	"github.com/capstan-wifi/capstan/manager/model"
)

// MaxWLANID is the highest WLAN ID capstan uses on a radio: the master and
// hal.MaxVirtualWLANs slaves.
const MaxWLANID = hal.MaxVirtualWLANs + 1

// RadioElements is one radio's WLAN Configuration Request content: its
// Radio Config (from the master interface; the radio is off without an
// enabled, runnable master), Add WLAN with WLAN Security and Datapath for
// every enabled, runnable interface, and Delete WLAN for each ID in stale
// that is no longer served. It returns the WLAN IDs it adds.
func RadioElements(cfg *model.Config, id uint8, ifs []Interface, stale []uint8) ([]wire.Element, []uint8) {
	rc := &wire.RadioConfig{RadioID: id, Disabled: true}
	if len(ifs) > 0 && !ifs[0].Disabled && ifs[0].Error == "" {
		rc = radioConfig(id, ifs[0].Settings)
	}
	els := []wire.Element{rc}
	var served []uint8
	for _, it := range ifs {
		if rc.Disabled || it.Disabled || it.Error != "" {
			continue
		}
		els = append(els, wlanElements(cfg, id, it)...)
		served = append(served, it.WLANID)
	}
	for _, w := range stale {
		if !slices.Contains(served, w) {
			els = append(els, &wire.IEEE80211DeleteWLAN{RadioID: id, WLANID: w})
		}
	}
	return els, served
}

var wireBands = map[string]string{"2ghz": "2g", "5ghz": "5g", "6ghz": "6g"}

func radioConfig(id uint8, s model.Settings) *wire.RadioConfig {
	rc := &wire.RadioConfig{RadioID: id, Country: s.Country, Band: wireBands[s.Band],
		WidthMHz: uint16(s.WidthMHz), TxPowerDBm: uint8(s.TxPowerDBm)}
	for _, r := range s.BasicRates {
		rc.BasicRates = append(rc.BasicRates, uint32(r*5)) // 500 kb/s → 100 kb/s
	}
	for _, r := range s.SupportedRates {
		rc.SupportedRates = append(rc.SupportedRates, uint32(r*5))
	}
	if len(s.Frequencies) == 1 {
		rc.Channel = uint16(model.ChannelOf(s.Frequencies[0]))
	}
	return rc
}

var securityModes = map[hal.Security]uint8{
	hal.SecurityOpen: wire.SecurityOpen, hal.SecurityWPA2PSK: wire.SecurityWPA2PSK, hal.SecurityWPA3SAE: wire.SecurityWPA3SAE,
	hal.SecurityWPA2WPA3: wire.SecurityWPA2WPA3, hal.SecurityWPA2EAP: wire.SecurityWPA2EAP,
}

func wlanElements(cfg *model.Config, radio uint8, it Interface) []wire.Element {
	s := it.Settings
	add := &wire.IEEE80211AddWLAN{RadioID: radio, WLANID: it.WLANID, Capability: 1 << 15, AdvertiseSSID: !s.HideSSID,
		TunnelMode: wire.TunnelModeLocalBridge, MACMode: wire.MACModeLocal, SSID: []byte(s.SSID)}
	sec := &wire.WLANSecurity{RadioID: radio, WLANID: it.WLANID, Mode: securityModes[s.Security], Passphrase: s.Passphrase,
		Clients: ClientPassphrases(cfg, it)}
	for _, ap := range s.RADIUS {
		sec.RADIUS = append(sec.RADIUS, wire.RADIUSServer{Address: ap.Addr(), Port: ap.Port(), Secret: s.RADIUSSecret})
	}
	dp := &wire.Datapath{RadioID: radio, WLANID: it.WLANID, LocalForwarding: true, Bridge: s.Bridge,
		ClientToClient: s.ClientToClient, MaxClients: uint16(s.MaxClients)}
	if s.VLANTagged {
		dp.VLAN = uint16(s.VLANID)
	}
	if s.ManagerForwarding {
		// The CAP tunnels 802.3 frames (RFC 5416 §6.1 Tunnel Mode); the
		// bridge and the VLAN are the manager's.
		add.TunnelMode = wire.TunnelMode8023
		dp.LocalForwarding, dp.Bridge, dp.VLAN = false, "", 0
	}
	return []wire.Element{add, sec, dp}
}

// ClientPassphrases are the access list's private passphrases for it: the
// enabled accept rules with a private-passphrase whose interface and
// ssid-regexp match, in list order. hostapd's per-client keys take an exact
// MAC or any MAC, so a rule with a partial mask offers its passphrase to
// every client.
func ClientPassphrases(cfg *model.Config, it Interface) []wire.ClientPassphrase {
	if it.Settings.Security != hal.SecurityWPA2PSK && it.Settings.Security != hal.SecurityWPA2WPA3 {
		return nil
	}
	var out []wire.ClientPassphrase
	for _, r := range cfg.Items("access-list") {
		pass := r.String("private-passphrase")
		if pass == "" || r.Disabled() || (r.String("action") != "" && r.String("action") != model.ActionAccept) {
			continue
		}
		if ifname := r.String("interface"); ifname != "" && ifname != it.Name {
			continue
		}
		if re := r.String("ssid-regexp"); re != "" && !model.Compiled(re).MatchString(it.Settings.SSID) {
			continue
		}
		cp := wire.ClientPassphrase{Passphrase: pass}
		if mac := r.String("mac-address"); mac != "" {
			if mask := r.String("mac-address-mask"); mask == "" || mask == "ff:ff:ff:ff:ff:ff" {
				cp.MAC, _ = net.ParseMAC(mac)
			}
		}
		if v, ok := r.Get("vlan-id").(int64); ok && r.String("vlan-mode") != "no-tag" {
			cp.VLAN = uint16(v)
		}
		out = append(out, cp)
	}
	return out
}

// BandNames maps the wire's band bits to the model's names.
func BandNames(bits uint32) []string {
	var out []string
	for i, name := range []string{"2ghz", "5ghz", "6ghz"} {
		if bits&(1<<i) != 0 {
			out = append(out, name)
		}
	}
	return out
}
