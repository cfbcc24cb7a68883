package openwrt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"os"
	"os/exec"
	"slices"
	"sync"
	"time"

	"github.com/capstan-wifi/capstan/hal"
	"github.com/capstan-wifi/capstan/internal/uci"
	"github.com/capstan-wifi/capstan/pki"
)

// Observer is what the backend needs of the kernel; *nl80211.Conn is one.
type Observer interface {
	Radios(ctx context.Context) ([]hal.Radio, error)
	Stations(ctx context.Context, ifname string) ([]hal.Station, error)
}

// Ubus runs `ubus call OBJECT METHOD JSON` and returns its output.
type Ubus func(ctx context.Context, object, method string, args any) ([]byte, error)

// Config configures the backend.
type Config struct {
	Observer Observer
	// Path is the wireless configuration, /etc/config/wireless by default.
	Path string
	// Ubus calls ubus; the default runs the ubus program.
	Ubus Ubus
	// Interfaces are the wifi-devices (radio0) or phys (phy0) the agent
	// may use; empty means every wifi-device.
	Interfaces []string
	// Bridge is the agent's bridge (br-lan): the network of WLANs the
	// manager gives no bridge. Empty: the network of the AP's own
	// access point on that radio.
	Bridge string
	// Sysfs is where sysfs is mounted (/sys): phys are matched to
	// wifi-devices by their device path.
	Sysfs  string
	Logger *slog.Logger
}

// HAL runs radios through UCI and netifd. It implements hal.HAL.
type HAL struct {
	cfg    Config
	log    *slog.Logger
	events chan hal.Event

	mu      sync.Mutex
	managed []Managed
	states  map[uint8]hal.RadioState // resolved, as netifd runs them
	// reload is set when the file was written but netifd's reload
	// failed: the next Apply reloads even if the file already matches.
	reload bool
}

// New returns the backend; nothing changes until Apply.
func New(cfg Config) (*HAL, error) {
	if cfg.Observer == nil {
		return nil, fmt.Errorf("openwrt: no observer")
	}
	if cfg.Path == "" {
		cfg.Path = "/etc/config/wireless"
	}
	if cfg.Ubus == nil {
		cfg.Ubus = runUbus
	}
	if cfg.Sysfs == "" {
		cfg.Sysfs = "/sys"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &HAL{cfg: cfg, log: cfg.Logger, events: make(chan hal.Event, 256), states: map[uint8]hal.RadioState{}}, nil
}

func runUbus(ctx context.Context, object, method string, args any) ([]byte, error) {
	b, err := json.Marshal(args)
	if err != nil {
		return nil, err
	}
	out, err := exec.CommandContext(ctx, "ubus", "call", object, method, string(b)).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("ubus call %s %s: %v: %s", object, method, err, bytes.TrimSpace(out))
	}
	return out, nil
}

func (h *HAL) read() ([]uci.Section, []byte, error) {
	b, err := os.ReadFile(h.cfg.Path)
	if err != nil {
		return nil, nil, fmt.Errorf("openwrt: %w", err)
	}
	secs, err := uci.Parse(bytes.NewReader(b))
	if err != nil {
		return nil, nil, fmt.Errorf("openwrt: %s: %w", h.cfg.Path, err)
	}
	return secs, b, nil
}

// Radios lists the managed wifi-devices, numbered from 1 in file order,
// with the capabilities of the phys they drive (matched as OpenWrt does:
// by path, then MAC address, then phy name).
func (h *HAL) Radios(ctx context.Context) ([]hal.Radio, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.inventory(ctx); err != nil {
		return nil, err
	}
	out := make([]hal.Radio, len(h.managed))
	for i, m := range h.managed {
		out[i] = m.Radio
	}
	return out, nil
}

func (h *HAL) inventory(ctx context.Context) error {
	if h.managed != nil {
		return nil
	}
	secs, _, err := h.read()
	if err != nil {
		return err
	}
	phys, err := h.cfg.Observer.Radios(ctx)
	if err != nil {
		return err
	}
	paths := phyPaths(h.cfg.Sysfs, phys)
	taken := map[string]bool{}
	for _, s := range secs {
		if s.Type != "wifi-device" {
			continue
		}
		phy, ok := matchPhy(s, phys, paths, taken)
		if !ok {
			h.log.Warn("wifi-device matches no radio: not managed", "device", s.Name, "path", s.Get("path"), "macaddr", s.Get("macaddr"), "phy", s.Get("phy"))
			continue
		}
		taken[phy.Name] = true
		if len(h.cfg.Interfaces) > 0 && !slices.Contains(h.cfg.Interfaces, s.Name) && !slices.Contains(h.cfg.Interfaces, phy.Name) {
			continue
		}
		r := phy
		r.ID = uint8(len(h.managed) + 1)
		r.Name = s.Name
		prefix := fmt.Sprintf("cap%d", r.ID-1)
		r.Interface = prefix
		if r.MAC == nil {
			r.MAC = net.HardwareAddr{0x02, 0, 0, 0, 0, r.ID}
		}
		h.managed = append(h.managed, Managed{Radio: r, Prefix: prefix})
		for _, o := range secs {
			if o.Type == "wifi-iface" && o.Get("device") == s.Name && !apMode(o) {
				h.log.Info("leaving a non-AP interface on a managed radio as it is: it may be this AP's uplink or backhaul, and it ties the radio to its channel",
					"iface", o.Name, "device", s.Name, "mode", o.Get("mode"))
			}
		}
	}
	if len(h.managed) == 0 {
		return fmt.Errorf("openwrt: no wifi-device to manage in %s (interfaces %v)", h.cfg.Path, h.cfg.Interfaces)
	}
	for id, st := range Parse(secs, h.managed) {
		h.states[id] = st
	}
	return nil
}

// Apply implements hal.Applier with ApplyAll.
func (h *HAL) Apply(ctx context.Context, st hal.RadioState) (bool, error) {
	restarted, err := h.ApplyAll(ctx, []hal.RadioState{st})
	return restarted[st.RadioID], err
}

// ApplyAll implements hal.BatchApplier: the states are checked first, then
// written to the wireless configuration at once and netifd reloads it
// once, only when the file changes (or an earlier reload failed). When
// every radio that changes changes only its channel, hostapd announces
// the switches and nothing reloads. A failed reload is an error, and the
// next ApplyAll reloads again even if the file then matches.
func (h *HAL) ApplyAll(ctx context.Context, states []hal.RadioState) (map[uint8]bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.inventory(ctx); err != nil {
		return nil, err
	}
	next := maps.Clone(h.states)
	var changed []int // indexes in h.managed
	for _, st := range states {
		i := slices.IndexFunc(h.managed, func(m Managed) bool { return m.Radio.ID == st.RadioID })
		if i < 0 {
			return nil, &hal.ConfigError{RadioID: st.RadioID, Field: "radio", Reason: "no such radio"}
		}
		resolved, err := hal.Resolve(h.managed[i].Radio, st)
		if err != nil {
			return nil, err
		}
		if cur, ok := h.states[st.RadioID]; !ok || !cur.Equal(resolved) {
			changed = append(changed, i)
		}
		next[st.RadioID] = resolved
	}
	secs, old, err := h.read()
	if err != nil {
		return nil, err
	}
	out, err := uci.Format(Render(secs, h.managed, next, h.cfg.Bridge))
	if err != nil {
		return nil, &hal.ConfigError{Field: "uci", Reason: err.Error()}
	}
	restarted := map[uint8]bool{}
	if bytes.Equal(out, old) && !h.reload {
		h.states = next
		return restarted, nil
	}
	if len(changed) > 0 && !h.reload && h.switchChannels(ctx, changed, next) {
		if err := pki.WriteFileAtomic(h.cfg.Path, out, 0o600); err != nil {
			return nil, fmt.Errorf("openwrt: %w", err)
		}
		h.states = next
		return restarted, nil
	}
	if !bytes.Equal(out, old) {
		if err := pki.WriteFileAtomic(h.cfg.Path, out, 0o600); err != nil {
			return nil, fmt.Errorf("openwrt: %w", err)
		}
	}
	if _, err := h.cfg.Ubus(ctx, "network", "reload", struct{}{}); err != nil {
		h.reload = true
		return nil, fmt.Errorf("openwrt: %s written but netifd did not reload it: %w", h.cfg.Path, err)
	}
	h.reload = false
	for _, i := range changed {
		m := h.managed[i]
		restarted[m.Radio.ID] = true
		st := next[m.Radio.ID]
		h.log.Info("radio configured", "device", m.Radio.Name, "channel", st.Channel, "wlans", len(st.WLANs))
	}
	h.states = next
	return restarted, nil
}

// switchChannels moves each changed radio to its new channel with a
// channel switch announcement, if each changed radio only moves channel
// and is on the air; it reports whether that was so and every switch
// worked (else the caller reloads, which puts every radio right).
func (h *HAL) switchChannels(ctx context.Context, changed []int, next map[uint8]hal.RadioState) bool {
	for _, i := range changed {
		id := h.managed[i].Radio.ID
		cur, ok := h.states[id]
		if !ok || !cur.Active() || !cur.OnlyChannelDiffers(next[id]) {
			return false
		}
	}
	for _, i := range changed {
		m := h.managed[i]
		if err := h.switchChannel(ctx, m, next[m.Radio.ID], CSACount); err != nil {
			h.log.Warn("channel switch failed: reloading the radio on the new channel", "device", m.Radio.Name, "err", err)
			return false
		}
		h.log.Info("radio switched channel", "device", m.Radio.Name, "channel", next[m.Radio.ID].Channel)
	}
	return true
}

// ifaces lists the managed interfaces with their radio and WLAN.
func (h *HAL) ifaces() []bssRef {
	var out []bssRef
	for _, m := range h.managed {
		st := h.states[m.Radio.ID]
		if !st.Active() {
			continue
		}
		for i, w := range st.WLANs {
			out = append(out, bssRef{iface: ifaceName(m.Prefix, i), radio: m.Radio.ID, wlan: w})
		}
	}
	return out
}

type bssRef struct {
	iface string
	radio uint8
	wlan  hal.WLAN
}

// Stations implements hal.Stations.
func (h *HAL) Stations(ctx context.Context) ([]hal.Station, error) {
	h.mu.Lock()
	refs := h.ifaces()
	h.mu.Unlock()
	var out []hal.Station
	for _, b := range refs {
		stas, err := h.cfg.Observer.Stations(ctx, b.iface)
		if err != nil {
			continue // netifd may still be bringing it up
		}
		for _, s := range stas {
			s.RadioID, s.WLANID, s.SSID = b.radio, b.wlan.ID, b.wlan.SSID
			out = append(out, s)
		}
	}
	return out, nil
}

// Events implements hal.Stations. The agent also polls Stations, which
// finds every association; Feed adds nl80211's events for speed.
func (h *HAL) Events(context.Context) <-chan hal.Event { return h.events }

// Feed passes kernel events (nl80211.Monitor) for the managed interfaces
// on to Events until in closes.
func (h *HAL) Feed(in <-chan hal.Event) {
	for ev := range in {
		h.mu.Lock()
		refs := h.ifaces()
		h.mu.Unlock()
		for _, b := range refs {
			if b.iface == ev.Interface {
				ev.RadioID, ev.WLANID = b.radio, b.wlan.ID
				select {
				case h.events <- ev:
				default:
				}
			}
		}
	}
}

// find returns the managed interface mac is associated with.
func (h *HAL) find(ctx context.Context, mac net.HardwareAddr) (string, error) {
	stas, err := h.Stations(ctx)
	if err != nil {
		return "", err
	}
	for _, s := range stas {
		if bytes.Equal(s.MAC, mac) {
			return s.Interface, nil
		}
	}
	return "", fmt.Errorf("station %s is not associated", mac)
}

// Kick implements hal.Actions with hostapd's ubus del_client.
func (h *HAL) Kick(ctx context.Context, mac net.HardwareAddr, ban time.Duration) error {
	iface, err := h.find(ctx, mac)
	if err != nil {
		return err
	}
	_, err = h.cfg.Ubus(ctx, "hostapd."+iface, "del_client", map[string]any{
		"addr": mac.String(), "reason": 1, "deauth": true, "ban_time": ban.Milliseconds()})
	return err
}

// SwitchChannel implements hal.Actions with hostapd's ubus switch_chan.
func (h *HAL) SwitchChannel(ctx context.Context, radioID uint8, channel, count int) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	i := slices.IndexFunc(h.managed, func(m Managed) bool { return m.Radio.ID == radioID })
	if i < 0 || !h.states[radioID].Active() {
		return fmt.Errorf("radio %d is not running", radioID)
	}
	next := h.states[radioID]
	next.Channel = channel
	next, err := hal.Resolve(h.managed[i].Radio, next)
	if err != nil {
		return err
	}
	return h.switchChannel(ctx, h.managed[i], next, count)
}

// switchChannel has the radio's hostapd announce a switch to st's channel
// (ubus switch_chan on its first interface) in count beacons.
func (h *HAL) switchChannel(ctx context.Context, m Managed, st hal.RadioState, count int) error {
	cs, err := hal.SwitchTo(m.Radio, st)
	if err != nil {
		return err
	}
	args := map[string]any{"freq": cs.FrequencyMHz, "bcn_count": max(count, 1), "ht": cs.HT, "vht": cs.VHT, "he": cs.HE}
	args["sec_channel_offset"], args["center_freq1"], args["bandwidth"] = cs.SecondaryOffset, cs.CentreMHz, cs.BandwidthMHz
	_, err = h.cfg.Ubus(ctx, "hostapd."+ifaceName(m.Prefix, 0), "switch_chan", args)
	return err
}

// CSACount is how many beacons announce a channel switch before it.
const CSACount = 5

var (
	_ hal.HAL          = (*HAL)(nil)
	_ hal.BatchApplier = (*HAL)(nil)
)

// Survey implements hal.Surveyor: on the radio's first netifd interface
// while it serves, else on the phy's own interface if it has one.
func (h *HAL) Survey(ctx context.Context, radioID uint8, scan *hal.Scan) ([]hal.SurveyEntry, error) {
	h.mu.Lock()
	err := h.inventory(ctx)
	var radios []hal.Radio
	for _, m := range h.managed {
		radios = append(radios, m.Radio)
	}
	ifname := ""
	for _, b := range h.ifaces() {
		if b.radio == radioID {
			ifname = b.iface
			break
		}
	}
	h.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return hal.SurveyWith(ctx, h.cfg.Observer, radios, radioID, ifname, scan)
}
