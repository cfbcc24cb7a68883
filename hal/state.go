package hal

import (
	"context"
	"net"
	"net/netip"
	"reflect"
	"slices"
	"sort"
	"strconv"
)

// Security is a WLAN's security mode.
type Security string

// Security modes.
const (
	SecurityOpen      Security = "open"
	SecurityWPA2PSK   Security = "wpa2-psk"
	SecurityWPA3SAE   Security = "wpa3-sae"
	SecurityWPA2WPA3  Security = "wpa2-wpa3" // transition mode: WPA2-PSK and WPA3-SAE
	SecurityWPA2EAP   Security = "wpa2-eap"  // WPA2-Enterprise, 802.1X against RADIUS
	MaxVirtualWLANs            = 32          // per radio, beside the master WLAN
	DefaultWidthMHz            = 20
	MaxSSIDBytes               = 32
	DefaultRADIUSPort          = 1812
)

// RADIUSServer is an authentication server of a WPA2-Enterprise WLAN.
type RADIUSServer struct {
	Address netip.AddrPort
	Secret  string
}

// ClientKey is a per-client passphrase, optionally with the VLAN the
// client's traffic goes to.
type ClientKey struct {
	MAC        net.HardwareAddr
	Passphrase string
	VLAN       uint16
}

// WLAN is the desired state of one WLAN (one BSS) on a radio.
type WLAN struct {
	// ID is the CAPWAP WLAN ID (RFC 5416 §6.1), 1–255 in capstan. The WLAN
	// with the lowest ID is the radio's master and uses its interface.
	ID     uint8
	SSID   string
	Hidden bool

	Security   Security // "" is open
	Passphrase string   // WPA2-PSK/WPA3-SAE: 8–63 characters or 64 hex digits
	RADIUS     []RADIUSServer

	// Clients are per-client passphrases (and VLANs) of a WPA2-PSK WLAN,
	// accepted beside Passphrase; MAC nil matches any client.
	Clients []ClientKey

	MaxClients int  // 0: no limit beyond the radio's
	Isolate    bool // no client-to-client forwarding
	VLAN       uint16
	Bridge     string // local forwarding: the bridge the WLAN joins
	// Tunneled is manager forwarding: the WLAN's interface is in no bridge
	// and the agent carries its clients' frames to the manager; the
	// clients are isolated so that even their frames to each other go
	// there.
	Tunneled bool
}

// Equal reports whether w and o ask for the same WLAN.
func (w WLAN) Equal(o WLAN) bool {
	if len(w.RADIUS)+len(o.RADIUS) == 0 {
		w.RADIUS, o.RADIUS = nil, nil
	}
	if len(w.Clients)+len(o.Clients) == 0 {
		w.Clients, o.Clients = nil, nil
	}
	return reflect.DeepEqual(w, o)
}

// RadioState is the desired state of one radio: its channel and power and
// the WLANs it serves, sorted by ID.
type RadioState struct {
	RadioID  uint8
	Disabled bool
	// Country is the ISO 3166-1 alpha-2 regulatory domain; "" keeps the
	// radio's own.
	Country string
	// Band, Channel and Width choose the operating channel. Band "" is the
	// radio's first band; Channel 0 is the band's first usable channel that
	// needs no radar detection.
	Band     Band
	Channel  int
	WidthMHz int // 20, 40, 80 or 160; 0 is 20
	// TxPowerDBm caps the transmit power; 0 is the regulatory maximum.
	TxPowerDBm int
	// BasicRates and SupportedRates are legacy rates in 100 kb/s (hostapd's
	// unit: 10 is 1 Mb/s, 55 is 5.5 Mb/s); nil keeps the driver's.
	BasicRates, SupportedRates []int
	WLANs                      []WLAN
}

// Equal reports whether s and o ask for the same radio.
func (s RadioState) Equal(o RadioState) bool {
	if !slices.EqualFunc(s.WLANs, o.WLANs, WLAN.Equal) {
		return false
	}
	s.WLANs, o.WLANs = nil, nil
	return reflect.DeepEqual(s, o)
}

// Active reports whether the radio should be on the air.
func (s RadioState) Active() bool { return !s.Disabled && len(s.WLANs) > 0 }

// WithWLAN returns s with w added or replacing the WLAN of the same ID.
func (s RadioState) WithWLAN(w WLAN) RadioState {
	out := s.WithoutWLAN(w.ID)
	out.WLANs = append(out.WLANs, w)
	// sort.Slice: slices.SortFunc would add about 12 KB of code for
	// WLAN to the AP's agent package.
	sort.Slice(out.WLANs, func(i, j int) bool { return out.WLANs[i].ID < out.WLANs[j].ID })
	return out
}

// WithoutWLAN returns s without the WLAN id.
func (s RadioState) WithoutWLAN(id uint8) RadioState {
	out := s
	out.WLANs = nil
	for _, x := range s.WLANs {
		if x.ID != id {
			out.WLANs = append(out.WLANs, x)
		}
	}
	return out
}

// WLAN returns the WLAN id, false if s has none.
func (s RadioState) WLAN(id uint8) (WLAN, bool) {
	for _, w := range s.WLANs {
		if w.ID == id {
			return w, true
		}
	}
	return WLAN{}, false
}

// Applier is the desired-state plane. Apply makes one radio run exactly
// state and reports whether that restarted it; a radio already running
// state is left alone, so that re-applying after a manager returns costs
// the clients nothing. A state the radio cannot run is refused with a
// *ConfigError before anything changes.
type Applier interface {
	Apply(ctx context.Context, state RadioState) (restarted bool, err error)
}

// BatchApplier is an Applier that makes several radios run their states
// in one step: OpenWrt writes /etc/config/wireless once and netifd
// reloads once. ApplyAll checks every state before anything changes and
// reports the radios it restarted.
type BatchApplier interface {
	Applier
	ApplyAll(ctx context.Context, states []RadioState) (restarted map[uint8]bool, err error)
}

// WLANInterface is the network interface of a radio's i-th WLAN (in
// RadioState.WLANs order), as every backend names it: the radio's
// interface for the first, then radioIface-1, radioIface-2, ...
func WLANInterface(radioIface string, i int) string {
	if i == 0 {
		return radioIface
	}
	return radioIface + "-" + strconv.Itoa(i)
}
