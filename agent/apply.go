package agent

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/hal"
)

// refusal is a configuration the CAP will not run, with the Result Code and
// the Refusal element that tell the manager why.
type refusal struct {
	code wire.ResultCode
	el   *wire.Refusal
}

func (r *refusal) Error() string {
	if r.el.WLANID != 0 {
		return fmt.Sprintf("radio %d WLAN %d: %s: %s", r.el.RadioID, r.el.WLANID, r.el.Field, r.el.Reason)
	}
	return fmt.Sprintf("radio %d: %s: %s", r.el.RadioID, r.el.Field, r.el.Reason)
}

func refuse(radio, wlan uint8, field, format string, a ...any) *refusal {
	return &refusal{code: wire.ResultConfigurationFailureServiceNotProvided,
		el: &wire.Refusal{RadioID: radio, WLANID: wlan, Field: field, Reason: fmt.Sprintf(format, a...)}}
}

// answerElements is the Result Code of an apply and, for a refusal, the
// Refusal element.
func answerElements(err error) []wire.Element {
	if err == nil {
		return []wire.Element{&wire.ResultCodeElement{Code: wire.ResultSuccess}}
	}
	var r *refusal
	if errors.As(err, &r) {
		return []wire.Element{&wire.ResultCodeElement{Code: r.code}, r.el}
	}
	return []wire.Element{&wire.ResultCodeElement{Code: wire.ResultConfigurationFailureServiceNotProvided},
		&wire.Refusal{Field: "apply", Reason: err.Error()}}
}

// applyWLANs carries out an IEEE 802.11 WLAN Configuration Request (RFC 5416
// §3.1): Add WLAN with capstan's WLAN Security and Datapath elements, or
// Delete WLAN. An Add WLAN for a WLAN ID the radio already serves replaces
// that WLAN (RFC 5416's Update WLAN cannot change the SSID).
func (a *Agent) applyWLANs(ctx context.Context, m *wire.ControlMessage) error {
	next, touched := a.nextStates()
	for _, e := range m.Elements {
		switch e := e.(type) {
		case *wire.IEEE80211AddWLAN:
			if !a.hasRadio(e.RadioID) {
				return refuse(e.RadioID, e.WLANID, "radio", "this CAP has no radio %d", e.RadioID)
			}
			w, err := wlanOf(e, m)
			if err != nil {
				return err
			}
			next[e.RadioID] = next[e.RadioID].WithWLAN(w)
			touched[e.RadioID] = true
		case *wire.IEEE80211DeleteWLAN:
			if !a.hasRadio(e.RadioID) {
				return refuse(e.RadioID, e.WLANID, "radio", "this CAP has no radio %d", e.RadioID)
			}
			next[e.RadioID] = next[e.RadioID].WithoutWLAN(e.WLANID)
			touched[e.RadioID] = true
		case *wire.RadioConfig:
			// capstan sends a radio's settings beside its WLANs, so that a
			// change of both restarts the radio once.
			if err := a.mergeRadioConfig(next, touched, e); err != nil {
				return err
			}
		}
	}
	return a.reconcile(ctx, next, touched)
}

// mergeRadioConfig sets the radio settings of rc in next.
func (a *Agent) mergeRadioConfig(next map[uint8]hal.RadioState, touched map[uint8]bool, rc *wire.RadioConfig) error {
	if !a.hasRadio(rc.RadioID) {
		return refuse(rc.RadioID, 0, "radio", "this CAP has no radio %d", rc.RadioID)
	}
	st := next[rc.RadioID]
	st.Disabled, st.Country, st.Band = rc.Disabled, rc.Country, hal.Band(rc.Band)
	st.Channel, st.WidthMHz, st.TxPowerDBm = int(rc.Channel), int(rc.WidthMHz), int(rc.TxPowerDBm)
	st.BasicRates, st.SupportedRates = ints(rc.BasicRates), ints(rc.SupportedRates)
	next[rc.RadioID] = st
	touched[rc.RadioID] = true
	return nil
}

// applyRadioConfig applies capstan Radio Config elements (from the
// Configuration Status Response or a Configuration Update Request).
func (a *Agent) applyRadioConfig(ctx context.Context, m *wire.ControlMessage) error {
	next, touched := a.nextStates()
	for _, e := range m.ElementsOf(wire.TypeVendorSpecificPayload) {
		if rc, ok := e.(*wire.RadioConfig); ok {
			if err := a.mergeRadioConfig(next, touched, rc); err != nil {
				return err
			}
		}
	}
	return a.reconcile(ctx, next, touched)
}

// nextStates copies what the radios run, to be changed and reconciled.
func (a *Agent) nextStates() (map[uint8]hal.RadioState, map[uint8]bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	next := map[uint8]hal.RadioState{}
	for _, r := range a.radios {
		st := a.applied[r.ID]
		st.RadioID = r.ID
		next[r.ID] = st
	}
	return next, map[uint8]bool{}
}

// reconcile makes the touched radios run next. Every state is checked
// against its radio first, so that a bad request changes nothing; radios
// whose state does not change are not touched. The applied state outlives
// the session: when the manager is lost the radios keep serving it, and
// when a manager sends the same state again nothing restarts.
func (a *Agent) reconcile(ctx context.Context, next map[uint8]hal.RadioState, touched map[uint8]bool) error {
	for _, r := range a.radios {
		if !touched[r.ID] {
			continue
		}
		if _, err := hal.Resolve(r, next[r.ID]); err != nil {
			return refusalOf(err)
		}
	}
	if b, ok := a.cfg.HAL.(hal.BatchApplier); ok {
		return a.applyAll(ctx, b, next, touched)
	}
	for _, r := range a.radios {
		if !touched[r.ID] {
			continue
		}
		st := next[r.ID]
		restarted, err := a.cfg.HAL.Apply(ctx, st)
		if err != nil {
			return refusalOf(fmt.Errorf("radio %s: %w", r.Name, err))
		}
		a.mu.Lock()
		a.applied[r.ID] = st
		if restarted {
			a.restarts[r.ID]++
		}
		a.mu.Unlock()
		if restarted {
			a.cfg.Logger.Info("radio applied", "radio", r.Name, "active", st.Active(), "band", st.Band,
				"channel", st.Channel, "wlans", len(st.WLANs))
		}
	}
	return nil
}

// applyAll makes the touched radios run next in one step of the HAL.
func (a *Agent) applyAll(ctx context.Context, b hal.BatchApplier, next map[uint8]hal.RadioState, touched map[uint8]bool) error {
	var states []hal.RadioState
	for _, r := range a.radios {
		if touched[r.ID] {
			states = append(states, next[r.ID])
		}
	}
	restarted, err := b.ApplyAll(ctx, states)
	if err != nil {
		return refusalOf(err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, st := range states {
		a.applied[st.RadioID] = st
		if restarted[st.RadioID] {
			a.restarts[st.RadioID]++
			a.cfg.Logger.Info("radio applied", "radio", st.RadioID, "active", st.Active(), "band", st.Band,
				"channel", st.Channel, "wlans", len(st.WLANs))
		}
	}
	return nil
}

// refusalOf turns a HAL error into a refusal naming the setting.
func refusalOf(err error) error {
	var ce *hal.ConfigError
	if errors.As(err, &ce) {
		return refuse(ce.RadioID, ce.WLANID, ce.Field, "%s", ce.Reason)
	}
	return err
}

// wlanOf builds a WLAN from Add WLAN and the capstan elements of the same
// radio and WLAN in m.
func wlanOf(e *wire.IEEE80211AddWLAN, m *wire.ControlMessage) (hal.WLAN, error) {
	w := hal.WLAN{ID: e.WLANID, SSID: string(e.SSID), Hidden: !e.AdvertiseSSID, Security: hal.SecurityOpen}
	for _, v := range m.ElementsOf(wire.TypeVendorSpecificPayload) {
		switch v := v.(type) {
		case *wire.WLANSecurity:
			if v.RadioID != e.RadioID || v.WLANID != e.WLANID {
				continue
			}
			mode, ok := securityModes[v.Mode]
			if !ok {
				return w, refuse(e.RadioID, e.WLANID, "security", "unknown security mode %d", v.Mode)
			}
			w.Security, w.Passphrase = mode, v.Passphrase
			if v.VLAN != 0 {
				w.VLAN = v.VLAN
			}
			for _, c := range v.Clients {
				w.Clients = append(w.Clients, hal.ClientKey{MAC: c.MAC, Passphrase: c.Passphrase, VLAN: c.VLAN})
			}
			for _, r := range v.RADIUS {
				port := r.Port
				if port == 0 {
					port = hal.DefaultRADIUSPort
				}
				w.RADIUS = append(w.RADIUS, hal.RADIUSServer{Address: netip.AddrPortFrom(r.Address, port), Secret: r.Secret})
			}
		case *wire.Datapath:
			if v.RadioID != e.RadioID || v.WLANID != e.WLANID {
				continue
			}
			w.Bridge, w.Isolate, w.MaxClients = v.Bridge, !v.ClientToClient, int(v.MaxClients)
			if v.VLAN != 0 {
				w.VLAN = v.VLAN
			}
			if !v.LocalForwarding {
				// Manager forwarding: no bridge here, and clients
				// isolated so that the manager decides client to client.
				w.Tunneled, w.Bridge, w.VLAN, w.Isolate = true, "", 0, true
			}
		}
	}
	return w, nil
}

var securityModes = map[uint8]hal.Security{
	wire.SecurityOpen:     hal.SecurityOpen,
	wire.SecurityWPA2PSK:  hal.SecurityWPA2PSK,
	wire.SecurityWPA3SAE:  hal.SecurityWPA3SAE,
	wire.SecurityWPA2WPA3: hal.SecurityWPA2WPA3,
	wire.SecurityWPA2EAP:  hal.SecurityWPA2EAP,
}

func (a *Agent) hasRadio(id uint8) bool {
	for _, r := range a.radios {
		if r.ID == id {
			return true
		}
	}
	return false
}

// ints converts wire rates; none is nil, so that states compare equal.
func ints(in []uint32) []int {
	var out []int
	for _, v := range in {
		out = append(out, int(v))
	}
	return out
}
