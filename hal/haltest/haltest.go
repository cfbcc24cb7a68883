// Package haltest provides a fake radio backend that keeps its state and
// renders it as canonical text, for tests of everything above the HAL:
// apply it states, add stations to it, and compare what it renders.
package haltest

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/capstan-wifi/capstan/hal"
)

// HAL is a fake hal.HAL. The zero value is not usable; call New.
type HAL struct {
	mu       sync.Mutex
	radios   []hal.Radio
	running  map[uint8]hal.RadioState
	restarts map[uint8]int
	stations map[string]hal.Station // by MAC
	banned   map[string]time.Duration
	actions  []string
	events   chan hal.Event
	survey   map[uint8][]hal.SurveyEntry
	scans    map[uint8]int
	scanned  map[uint8][]int
}

// New returns a fake with radios, which must have distinct IDs.
func New(radios ...hal.Radio) *HAL {
	return &HAL{radios: radios, running: map[uint8]hal.RadioState{}, restarts: map[uint8]int{},
		stations: map[string]hal.Station{}, banned: map[string]time.Duration{}, events: make(chan hal.Event, 64),
		survey: map[uint8][]hal.SurveyEntry{}, scans: map[uint8]int{}, scanned: map[uint8][]int{}}
}

// DualBand is a radio like the ones mac80211_hwsim simulates: 2.4 and
// 5 GHz, HT40 and VHT, eight APs; 5 GHz channels 52–64 need radar
// detection.
func DualBand(id uint8, name string, mac net.HardwareAddr) hal.Radio {
	ch := func(n, mhz int) hal.Channel { return hal.Channel{Number: n, FrequencyMHz: mhz, MaxPowerDBm: 20} }
	dfs := func(n, mhz int) hal.Channel {
		c := ch(n, mhz)
		c.Radar, c.NoIR = true, true
		return c
	}
	return hal.Radio{ID: id, Name: name, Interface: "wlan" + strings.TrimPrefix(name, "phy"), MAC: mac, MaxAP: 8,
		Bands: []hal.BandInfo{
			{Band: hal.Band2GHz, HT: true, HT40: true, Channels: []hal.Channel{ch(1, 2412), ch(6, 2437), ch(11, 2462)}},
			{Band: hal.Band5GHz, HT: true, HT40: true, VHT: true, Channels: []hal.Channel{ch(36, 5180), ch(40, 5200), ch(44, 5220), ch(48, 5240),
				dfs(52, 5260), dfs(56, 5280), dfs(60, 5300), dfs(64, 5320)}},
		}}
}

// Radios implements hal.Radios.
func (h *HAL) Radios(context.Context) ([]hal.Radio, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.radios), nil
}

// Apply implements hal.Applier like a real backend: it resolves and checks
// st, and restarts the radio only when the resolved state changes.
func (h *HAL) Apply(_ context.Context, st hal.RadioState) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	i := slices.IndexFunc(h.radios, func(r hal.Radio) bool { return r.ID == st.RadioID })
	if i < 0 {
		return false, &hal.ConfigError{RadioID: st.RadioID, Field: "radio", Reason: "no such radio"}
	}
	resolved, err := hal.Resolve(h.radios[i], st)
	if err != nil {
		return false, err
	}
	old, running := h.running[st.RadioID]
	if !resolved.Active() {
		delete(h.running, st.RadioID)
		h.dropStations(st.RadioID, 0)
		return running, nil
	}
	if running && old.Equal(resolved) {
		return false, nil
	}
	h.running[st.RadioID] = resolved
	h.restarts[st.RadioID]++
	h.dropStations(st.RadioID, 0)
	return true, nil
}

// dropStations removes the stations of a radio (or of one WLAN of it): a
// restarted radio loses its clients.
func (h *HAL) dropStations(radio, wlan uint8) {
	for k, s := range h.stations {
		if s.RadioID == radio && (wlan == 0 || s.WLANID == wlan) {
			delete(h.stations, k)
			h.emit(hal.Event{Kind: hal.StationDisassociated, RadioID: s.RadioID, WLANID: s.WLANID, Interface: s.Interface, MAC: s.MAC})
		}
	}
}

func (h *HAL) emit(ev hal.Event) {
	select {
	case h.events <- ev:
	default:
	}
}

// Associate adds a station to a running WLAN and sends its event.
func (h *HAL) Associate(s hal.Station) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	st, ok := h.running[s.RadioID]
	if !ok {
		return fmt.Errorf("radio %d is not running", s.RadioID)
	}
	w, ok := st.WLAN(s.WLANID)
	if !ok {
		return fmt.Errorf("radio %d has no WLAN %d", s.RadioID, s.WLANID)
	}
	if _, ok := h.banned[s.MAC.String()]; ok {
		return fmt.Errorf("%s is banned", s.MAC)
	}
	s.SSID = w.SSID
	h.stations[s.MAC.String()] = s
	h.emit(hal.Event{Kind: hal.StationAssociated, RadioID: s.RadioID, WLANID: s.WLANID, Interface: s.Interface, MAC: s.MAC})
	return nil
}

// Stations implements hal.Stations.
func (h *HAL) Stations(context.Context) ([]hal.Station, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]hal.Station, 0, len(h.stations))
	for _, s := range h.stations {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].MAC.String() < out[j].MAC.String() })
	return out, nil
}

// Events implements hal.Stations.
func (h *HAL) Events(context.Context) <-chan hal.Event { return h.events }

// Kick implements hal.Actions.
func (h *HAL) Kick(_ context.Context, mac net.HardwareAddr, ban time.Duration) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	s, ok := h.stations[mac.String()]
	if !ok {
		return fmt.Errorf("station %s is not associated", mac)
	}
	delete(h.stations, mac.String())
	if ban > 0 {
		h.banned[mac.String()] = ban
	}
	h.actions = append(h.actions, fmt.Sprintf("kick %s ban=%v", mac, ban))
	h.emit(hal.Event{Kind: hal.StationDisassociated, RadioID: s.RadioID, WLANID: s.WLANID, Interface: s.Interface, MAC: s.MAC})
	return nil
}

// SwitchChannel implements hal.Actions.
func (h *HAL) SwitchChannel(_ context.Context, radioID uint8, channel, count int) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	st, ok := h.running[radioID]
	if !ok {
		return fmt.Errorf("radio %d is not running", radioID)
	}
	i := slices.IndexFunc(h.radios, func(r hal.Radio) bool { return r.ID == radioID })
	st.Channel = channel
	st, err := hal.Resolve(h.radios[i], st)
	if err != nil {
		return err
	}
	h.running[radioID] = st
	h.actions = append(h.actions, fmt.Sprintf("csa radio=%d channel=%d count=%d", radioID, channel, count))
	return nil
}

// Restarts reports how often radio id was (re)started.
func (h *HAL) Restarts(id uint8) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.restarts[id]
}

// Render is the fake's whole state as canonical text: one line per running
// radio, per WLAN, per station, per ban and per action, in a fixed order.
func (h *HAL) Render() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var b strings.Builder
	for _, r := range h.radios {
		st, ok := h.running[r.ID]
		if !ok {
			fmt.Fprintf(&b, "radio %d %s off\n", r.ID, r.Name)
			continue
		}
		fmt.Fprintf(&b, "radio %d %s country=%q band=%s channel=%d width=%d txpower=%d", r.ID, r.Name, st.Country, st.Band, st.Channel, st.WidthMHz, st.TxPowerDBm)
		if len(st.BasicRates)+len(st.SupportedRates) > 0 {
			fmt.Fprintf(&b, " basic-rates=%v supported-rates=%v", st.BasicRates, st.SupportedRates)
		}
		b.WriteString("\n")
		for _, w := range st.WLANs {
			fmt.Fprintf(&b, "  wlan %d ssid=%q hidden=%v security=%s passphrase=%q max-clients=%d isolate=%v vlan=%d bridge=%q radius=%d clients=%d\n",
				w.ID, w.SSID, w.Hidden, w.Security, w.Passphrase, w.MaxClients, w.Isolate, w.VLAN, w.Bridge, len(w.RADIUS), len(w.Clients))
		}
	}
	macs := make([]string, 0, len(h.stations))
	for m := range h.stations {
		macs = append(macs, m)
	}
	sort.Strings(macs)
	for _, m := range macs {
		s := h.stations[m]
		fmt.Fprintf(&b, "station %s radio=%d wlan=%d ssid=%q\n", m, s.RadioID, s.WLANID, s.SSID)
	}
	bans := make([]string, 0, len(h.banned))
	for m, d := range h.banned {
		bans = append(bans, fmt.Sprintf("ban %s %v\n", m, d))
	}
	sort.Strings(bans)
	b.WriteString(strings.Join(bans, ""))
	for _, a := range h.actions {
		fmt.Fprintf(&b, "action %s\n", a)
	}
	return b.String()
}

// SetSurvey sets what Survey reports for radio id.
func (h *HAL) SetSurvey(id uint8, entries []hal.SurveyEntry) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.survey[id] = slices.Clone(entries)
}

// Survey implements hal.Surveyor with what SetSurvey set, counting scans.
func (h *HAL) Survey(_ context.Context, id uint8, scan *hal.Scan) ([]hal.SurveyEntry, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !slices.ContainsFunc(h.radios, func(r hal.Radio) bool { return r.ID == id }) {
		return nil, fmt.Errorf("haltest: no radio %d", id)
	}
	if scan != nil {
		h.scans[id]++
		h.scanned[id] = slices.Clone(scan.FrequenciesMHz)
	}
	return slices.Clone(h.survey[id]), nil
}

// Scanned is the frequencies the last scan of radio id asked for (nil:
// all channels).
func (h *HAL) Scanned(id uint8) []int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.scanned[id])
}

// Scans is how many surveys of radio id asked for a scan.
func (h *HAL) Scans(id uint8) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.scans[id]
}
