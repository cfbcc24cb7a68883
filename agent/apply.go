package agent

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/hal"
)

// applyWLANs carries out an IEEE 802.11 WLAN Configuration Request (RFC 5416
// §3.1). Every change is checked before any is applied, so a bad request
// changes nothing; radios whose state does not change are not touched. The
// applied state outlives the session: when the manager is lost the radios
// keep serving it, and when a manager sends the same state again nothing
// restarts.
func (a *Agent) applyWLANs(ctx context.Context, m *wire.ControlMessage) (wire.ResultCode, error) {
	a.mu.Lock()
	next := map[uint8]hal.RadioState{}
	for id, st := range a.applied {
		next[id] = st
	}
	a.mu.Unlock()
	touched := map[uint8]bool{}
	for _, e := range m.Elements {
		switch e := e.(type) {
		case *wire.IEEE80211AddWLAN:
			if !a.hasRadio(e.RadioID) {
				return wire.ResultConfigurationFailureServiceNotProvided, fmt.Errorf("add WLAN %d: no radio %d", e.WLANID, e.RadioID)
			}
			if len(e.SSID) == 0 || len(e.SSID) > 32 || !utf8.Valid(e.SSID) {
				return wire.ResultConfigurationFailureServiceNotProvided, fmt.Errorf("add WLAN %d: SSID must be 1–32 bytes of UTF-8", e.WLANID)
			}
			st := next[e.RadioID]
			st.RadioID = e.RadioID
			next[e.RadioID] = st.WithWLAN(hal.WLAN{ID: e.WLANID, SSID: string(e.SSID), Hidden: !e.AdvertiseSSID})
			touched[e.RadioID] = true
		case *wire.IEEE80211DeleteWLAN:
			if !a.hasRadio(e.RadioID) {
				return wire.ResultConfigurationFailureServiceNotProvided, fmt.Errorf("delete WLAN %d: no radio %d", e.WLANID, e.RadioID)
			}
			next[e.RadioID] = next[e.RadioID].WithoutWLAN(e.WLANID)
			touched[e.RadioID] = true
		case *wire.IEEE80211UpdateWLAN:
			// Keys and capabilities arrive with the radios issue.
		}
	}
	for _, r := range a.radios {
		if !touched[r.ID] {
			continue
		}
		st := next[r.ID]
		st.RadioID = r.ID
		restarted, err := a.cfg.HAL.Apply(ctx, st)
		if err != nil {
			return wire.ResultConfigurationFailureServiceNotProvided, fmt.Errorf("radio %d: %w", r.ID, err)
		}
		a.mu.Lock()
		a.applied[r.ID] = st
		if restarted {
			a.restarts[r.ID]++
		}
		a.mu.Unlock()
		if restarted {
			a.cfg.Logger.Info("radio applied", "radio", r.Name, "wlans", len(st.WLANs))
		}
	}
	return wire.ResultSuccess, nil
}

func (a *Agent) hasRadio(id uint8) bool {
	for _, r := range a.radios {
		if r.ID == id {
			return true
		}
	}
	return false
}
