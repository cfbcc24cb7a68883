// Package sim simulates an AP's radios for demos, benchmarks and tests on
// machines without Wi-Fi (capstan-agent --hal sim).
package sim

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/hal"
)

// HAL is a set of simulated radios derived from a base MAC: radio i has the
// base MAC with i added to its last byte.
type HAL struct {
	radios   []hal.Radio
	mu       sync.Mutex
	applied  map[uint8]hal.RadioState
	stations []net.HardwareAddr
}

// SetStations makes clients with these MACs associated to the first WLAN
// of the first radio whenever that radio serves one, for tests that carry
// real frames through a stand-in for the WLAN's interface.
func (h *HAL) SetStations(macs []net.HardwareAddr) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stations = macs
}

// New returns n simulated dual-band radios (n from 1 to 31).
func New(base net.HardwareAddr, n int) (*HAL, error) {
	if len(base) != 6 {
		return nil, fmt.Errorf("sim: base MAC %v is not 6 bytes", base)
	}
	if n < 1 || n > 31 {
		return nil, fmt.Errorf("sim: %d radios, want 1 to 31", n)
	}
	h := &HAL{}
	for i := range n {
		mac := append(net.HardwareAddr(nil), base...)
		mac[5] += byte(i)
		types := uint32(wire.RadioType80211b | wire.RadioType80211g | wire.RadioType80211n)
		if i%2 == 1 {
			types = wire.RadioType80211a | wire.RadioType80211n
		}
		h.radios = append(h.radios, hal.Radio{ID: uint8(i + 1), Name: fmt.Sprintf("sim%d", i), Interface: fmt.Sprintf("sim%d", i), MAC: mac, Types: types})
	}
	return h, nil
}

// Radios implements hal.Radios.
func (h *HAL) Radios(context.Context) ([]hal.Radio, error) {
	return append([]hal.Radio(nil), h.radios...), nil
}

// Simulated marks a HAL whose radios are not real; the agent reports its
// board as capstan-sim.
func (h *HAL) Simulated() {}

// Apply implements hal.Applier: a simulated radio "restarts" whenever the
// state it serves changes, as hostapd would; settings without a WLAN to
// serve start nothing.
func (h *HAL) Apply(_ context.Context, st hal.RadioState) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	found := false
	for _, r := range h.radios {
		found = found || r.ID == st.RadioID
	}
	if !found {
		return false, &hal.ConfigError{RadioID: st.RadioID, Field: "radio", Reason: "no such radio"}
	}
	for _, r := range h.radios {
		if r.ID == st.RadioID {
			var err error
			if st, err = hal.Resolve(r, st); err != nil {
				return false, err
			}
		}
	}
	if h.applied == nil {
		h.applied = map[uint8]hal.RadioState{}
	}
	old, ok := h.applied[st.RadioID]
	h.applied[st.RadioID] = st
	switch {
	case !st.Active():
		return ok && old.Active(), nil // off: a restart only if it was on
	case ok && old.Equal(st):
		return false, nil
	}
	return true, nil
}

// Stations implements hal.Stations: the clients SetStations gave, on the
// first radio's first WLAN while it serves one.
func (h *HAL) Stations(context.Context) ([]hal.Station, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.stations) == 0 || len(h.radios) == 0 {
		return nil, nil
	}
	r := h.radios[0]
	st, ok := h.applied[r.ID]
	if !ok || !st.Active() {
		return nil, nil
	}
	var out []hal.Station
	for _, mac := range h.stations {
		out = append(out, hal.Station{RadioID: r.ID, WLANID: st.WLANs[0].ID, Interface: r.Interface, SSID: st.WLANs[0].SSID,
			MAC: mac, Signal: -50, SignalAvg: -50})
	}
	return out, nil
}

// Events implements hal.Stations: simulated radios send no events.
func (h *HAL) Events(context.Context) <-chan hal.Event { return nil }

// Kick implements hal.Actions: a client of SetStations leaves (and stays
// away); any other is not associated.
func (h *HAL) Kick(_ context.Context, mac net.HardwareAddr, _ time.Duration) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, m := range h.stations {
		if bytes.Equal(m, mac) {
			h.stations = append(h.stations[:i:i], h.stations[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("sim: station %s is not associated", mac)
}

// SwitchChannel implements hal.Actions.
func (h *HAL) SwitchChannel(_ context.Context, radioID uint8, channel, _ int) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	st, ok := h.applied[radioID]
	if !ok {
		return fmt.Errorf("sim: radio %d is not running", radioID)
	}
	st.Channel = channel
	h.applied[radioID] = st
	return nil
}
