package hostapd

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/capstan-wifi/capstan/hal"
)

// Files is what one radio needs on disk: hostapd's configuration and, per
// WLAN with per-client passphrases or a VLAN, a wpa_psk_file.
type Files struct {
	Config []byte
	// PSK maps a file name (inside the run directory) to its contents.
	PSK map[string][]byte
}

// BSSInterface is the interface name of the radio's i-th WLAN (0 is the
// master): OpenWrt's wlan0, wlan0-1, wlan0-2, ...
func BSSInterface(radioIface string, i int) string { return hal.WLANInterface(radioIface, i) }

// BSSID is the address of the radio's i-th WLAN: the master keeps the
// radio's address; a virtual one gets it with the locally administered bit
// set and i in bits 2–7 of the first octet, so that the addresses of 32
// virtual WLANs never collide with each other or with the radio's.
func BSSID(radioMAC net.HardwareAddr, i int) net.HardwareAddr {
	b := append(net.HardwareAddr(nil), radioMAC...)
	if i > 0 && len(b) == 6 {
		b[0] = (b[0] | 0x02) ^ byte(i<<2)
	}
	return b
}

// Render writes the hostapd configuration that makes radio r run st, which
// hal.Resolve has checked and completed. ctrlDir is hostapd's control
// socket directory; runDir holds the wpa_psk_files.
func Render(r hal.Radio, st hal.RadioState, ctrlDir, runDir string) (Files, error) {
	if !st.Active() {
		return Files{}, fmt.Errorf("radio %d is disabled or has no WLANs: nothing to render", st.RadioID)
	}
	var b strings.Builder
	f := Files{PSK: map[string][]byte{}}
	line := func(k string, v any) { fmt.Fprintf(&b, "%s=%v\n", k, v) }
	fmt.Fprintf(&b, "# capstan-agent: radio %d (%s); rewritten on every change\n", st.RadioID, r.Name)
	line("interface", r.Interface)
	line("driver", "nl80211")
	line("ctrl_interface", ctrlDir)
	if st.Country != "" {
		line("country_code", st.Country)
		line("ieee80211d", 1)
		if st.Band == hal.Band5GHz {
			line("ieee80211h", 1)
		}
	}
	renderChannel(&b, r, st)
	line("beacon_int", 100)
	line("dtim_period", 2)
	line("wmm_enabled", 1)
	line("utf8_ssid", 1)
	line("bss_transition", 1)
	for i, w := range st.WLANs {
		iface := BSSInterface(r.Interface, i)
		if i > 0 {
			b.WriteString("\n")
			line("bss", iface)
			line("bssid", BSSID(r.MAC, i))
		}
		fmt.Fprintf(&b, "# WLAN %d\n", w.ID)
		if psk := renderWLAN(&b, runDir, iface, w); psk != nil {
			f.PSK["psk-"+iface] = psk
		}
	}
	f.Config = []byte(b.String())
	return f, nil
}

// renderChannel writes the operating channel: hw_mode and channel, and the
// HT/VHT/HE settings for widths above 20 MHz.
func renderChannel(b *strings.Builder, r hal.Radio, st hal.RadioState) {
	line := func(k string, v any) { fmt.Fprintf(b, "%s=%v\n", k, v) }
	bi, _ := r.Band(st.Band)
	switch st.Band {
	case hal.Band2GHz:
		line("hw_mode", "g")
	case hal.Band6GHz:
		line("hw_mode", "a")
		line("op_class", 131+widthIndex(st.WidthMHz))
	default:
		line("hw_mode", "a")
	}
	line("channel", st.Channel)
	if len(st.SupportedRates) > 0 {
		line("supported_rates", joinInts(st.SupportedRates))
	}
	if len(st.BasicRates) > 0 {
		line("basic_rates", joinInts(st.BasicRates))
	}
	if bi.HT || st.WidthMHz > 20 {
		line("ieee80211n", 1)
		if st.WidthMHz >= 40 {
			if plusSecondary(st.Band, st.Channel) {
				line("ht_capab", "[HT40+]")
			} else {
				line("ht_capab", "[HT40-]")
			}
		}
	}
	if st.WidthMHz >= 80 || (bi.VHT && st.Band == hal.Band5GHz) {
		line("ieee80211ac", 1)
		if st.WidthMHz >= 80 {
			line("vht_oper_chwidth", vhtWidth(st.WidthMHz))
			line("vht_oper_centr_freq_seg0_idx", centreChannel(st.Band, st.Channel, st.WidthMHz))
		}
	}
	if bi.HE {
		line("ieee80211ax", 1)
		if st.WidthMHz >= 80 {
			line("he_oper_chwidth", vhtWidth(st.WidthMHz))
			line("he_oper_centr_freq_seg0_idx", centreChannel(st.Band, st.Channel, st.WidthMHz))
		}
	}
}

func renderWLAN(b *strings.Builder, runDir, iface string, w hal.WLAN) []byte {
	line := func(k string, v any) { fmt.Fprintf(b, "%s=%v\n", k, v) }
	line("ssid2", quote(w.SSID))
	if w.Hidden {
		line("ignore_broadcast_ssid", 1)
	}
	if w.MaxClients > 0 {
		line("max_num_sta", w.MaxClients)
	}
	if w.Isolate {
		line("ap_isolate", 1)
	}
	if w.Bridge != "" {
		line("bridge", w.Bridge)
	}
	var psk []byte
	switch w.Security {
	case hal.SecurityWPA2PSK, hal.SecurityWPA2WPA3:
		line("wpa", 2)
		if w.Security == hal.SecurityWPA2PSK {
			line("wpa_key_mgmt", "WPA-PSK")
		} else {
			line("wpa_key_mgmt", "WPA-PSK SAE")
			line("sae_password", w.Passphrase)
			line("ieee80211w", 1)
		}
		line("rsn_pairwise", "CCMP")
		if len(w.Passphrase) == 64 {
			line("wpa_psk", w.Passphrase)
		} else {
			line("wpa_passphrase", w.Passphrase)
		}
		if len(w.Clients) > 0 || w.VLAN != 0 {
			psk = pskFile(w)
			line("wpa_psk_file", runDir+"/psk-"+iface)
		}
	case hal.SecurityWPA3SAE:
		line("wpa", 2)
		line("wpa_key_mgmt", "SAE")
		line("rsn_pairwise", "CCMP")
		line("sae_password", w.Passphrase)
		line("ieee80211w", 2)
		line("sae_require_mfp", 1)
	case hal.SecurityWPA2EAP:
		line("wpa", 2)
		line("wpa_key_mgmt", "WPA-EAP")
		line("rsn_pairwise", "CCMP")
		line("ieee8021x", 1)
		line("eapol_version", 2)
		for _, s := range w.RADIUS {
			line("auth_server_addr", s.Address.Addr())
			line("auth_server_port", s.Address.Port())
			line("auth_server_shared_secret", s.Secret)
		}
	}
	if w.VLAN != 0 {
		// hostapd puts the BSS's clients on the VLAN of their wpa_psk_file
		// entry: <iface>.<vid> in bridge br-vlan<vid>.
		line("dynamic_vlan", 1)
		line("vlan_naming", 1)
	}
	return psk
}

// pskFile renders a wpa_psk_file: per-client entries first, then the
// WLAN's own passphrase for any other client, on the WLAN's VLAN.
func pskFile(w hal.WLAN) []byte {
	var b strings.Builder
	entry := func(vlan uint16, mac net.HardwareAddr, pass string) {
		if mac == nil {
			mac = net.HardwareAddr{0, 0, 0, 0, 0, 0}
		}
		if vlan != 0 {
			fmt.Fprintf(&b, "vlanid=%d ", vlan)
		}
		fmt.Fprintf(&b, "%s %s\n", mac, pass)
	}
	for _, c := range w.Clients {
		vlan := c.VLAN
		if vlan == 0 {
			vlan = w.VLAN
		}
		entry(vlan, c.MAC, c.Passphrase)
	}
	if w.VLAN != 0 {
		entry(w.VLAN, nil, w.Passphrase)
	}
	return []byte(b.String())
}

// quote writes s as hostapd's printf-escaped string (P"..."), so that any
// UTF-8 SSID survives the configuration file.
func quote(s string) string {
	var b strings.Builder
	b.WriteString(`P"`)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// plusSecondary reports whether a 40 MHz channel's secondary is above it.
func plusSecondary(band hal.Band, ch int) bool {
	return hal.ChannelGroup(band, ch, 40)[1] > ch
}

// centreChannel is the centre channel of the 80 or 160 MHz block ch is in.
func centreChannel(band hal.Band, ch, width int) int {
	g := hal.ChannelGroup(band, ch, width)
	return (g[0] + g[len(g)-1]) / 2
}

func vhtWidth(width int) int {
	if width >= 160 {
		return 2
	}
	return 1
}

func widthIndex(width int) int {
	switch width {
	case 40:
		return 1
	case 80:
		return 2
	case 160:
		return 3
	}
	return 0
}

func joinInts(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, " ")
}
