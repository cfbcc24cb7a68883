// Package sim simulates an AP's radios for demos, benchmarks and tests on
// machines without Wi-Fi (capstan-agent --hal sim).
package sim

import (
	"context"
	"fmt"
	"net"
	"sync"

	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/hal"
)

// HAL is a set of simulated radios derived from a base MAC: radio i has the
// base MAC with i added to its last byte.
type HAL struct {
	radios  []hal.Radio
	mu      sync.Mutex
	applied map[uint8]hal.RadioState
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
		h.radios = append(h.radios, hal.Radio{ID: uint8(i + 1), Name: fmt.Sprintf("sim%d", i), MAC: mac, Types: types})
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

// Apply implements hal.Applier: a simulated radio "restarts" whenever its
// state changes, as hostapd would.
func (h *HAL) Apply(_ context.Context, st hal.RadioState) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	found := false
	for _, r := range h.radios {
		found = found || r.ID == st.RadioID
	}
	if !found {
		return false, fmt.Errorf("sim: no radio %d", st.RadioID)
	}
	if h.applied == nil {
		h.applied = map[uint8]hal.RadioState{}
	}
	if old, ok := h.applied[st.RadioID]; ok && old.Equal(st) {
		return false, nil
	}
	h.applied[st.RadioID] = st
	return true, nil
}
