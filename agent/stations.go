package agent

import (
	"bytes"
	"context"
	"net"
	"time"

	"github.com/capstan-wifi/capstan/capwap/transport"
	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/hal"
)

// stationsPerEvent bounds the Station elements of one WTP Event Request
// (about 100 bytes each), so that a busy AP sends several small messages
// rather than one that needs many fragments.
const stationsPerEvent = 40

// reportStations tells the manager about the radios' clients during Run:
// at once on every association and departure the radios report, and every
// StationInterval with fresh statistics, found by comparing the station
// list with what the manager was told. A new session starts from nothing,
// so the manager learns every station again after a reconnection.
func (a *Agent) reportStations(ctx context.Context, cc *transport.ControlConn) {
	known := map[string]hal.Station{}
	events := a.cfg.HAL.Events(ctx)
	tick := time.NewTicker(a.cfg.StationInterval)
	defer tick.Stop()
	a.syncStations(ctx, cc, known, nil, false)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if ev.Kind == hal.StationAssociated || ev.Kind == hal.StationDisassociated {
				a.syncStations(ctx, cc, known, &ev, false)
			}
		case <-tick.C:
			a.syncStations(ctx, cc, known, nil, true)
		case <-ctx.Done():
			return
		}
	}
}

// syncStations compares the radios' stations with known and reports the
// differences (and, with updates, every known station's statistics). An
// event is trusted over a station list that has not caught up with it.
func (a *Agent) syncStations(ctx context.Context, cc *transport.ControlConn, known map[string]hal.Station, ev *hal.Event, updates bool) {
	list, err := a.cfg.HAL.Stations(ctx)
	if err != nil {
		a.warn("station list unavailable", "err", err)
		return
	}
	now := map[string]hal.Station{}
	for _, s := range list {
		now[s.MAC.String()] = s
	}
	if ev != nil {
		key := ev.MAC.String()
		switch _, listed := now[key]; {
		case ev.Kind == hal.StationDisassociated:
			delete(now, key)
		case ev.Kind == hal.StationAssociated && !listed:
			now[key] = hal.Station{RadioID: ev.RadioID, WLANID: ev.WLANID, Interface: ev.Interface, MAC: ev.MAC, SSID: a.ssidOf(ev.RadioID, ev.WLANID)}
		}
	}
	var els []wire.Element
	for key, s := range now {
		switch _, ok := known[key]; {
		case !ok:
			els = append(els, stationElement(s, wire.StationAssociated))
			a.cfg.Logger.Info("station associated", "mac", key, "interface", s.Interface, "ssid", s.SSID, "signal", s.Signal)
		case updates:
			els = append(els, stationElement(s, wire.StationUpdated))
		}
		known[key] = s
	}
	for key, s := range known {
		if _, ok := now[key]; !ok {
			els = append(els, stationElement(s, wire.StationDisassociated), &wire.DeleteStation{RadioID: s.RadioID, MAC: s.MAC})
			delete(known, key)
			a.cfg.Logger.Info("station disassociated", "mac", key, "interface", s.Interface)
		}
	}
	for len(els) > 0 {
		n := min(len(els), stationsPerEvent)
		rctx, cancel := context.WithTimeout(ctx, a.cfg.ManagerTimeout)
		_, err := cc.Request(rctx, &wire.ControlMessage{Type: wire.WTPEventRequest, Elements: els[:n]})
		cancel()
		if err != nil {
			return // the session is ending; the next one reports afresh
		}
		els = els[n:]
	}
}

func stationElement(s hal.Station, state uint8) *wire.Station {
	clamp := func(v int) int8 { return int8(max(-128, min(127, v))) }
	return &wire.Station{RadioID: s.RadioID, WLANID: s.WLANID, MAC: s.MAC, State: state, Interface: s.Interface, SSID: s.SSID,
		Signal: clamp(s.Signal), SignalAvg: clamp(s.SignalAvg), TxRateKbps: uint32(max(0, s.TxRateKbps)), RxRateKbps: uint32(max(0, s.RxRateKbps)),
		TxBytes: s.TxBytes, RxBytes: s.RxBytes, TxPackets: s.TxPackets, RxPackets: s.RxPackets,
		ConnectedSec: uint32(s.Connected / time.Second), InactiveMs: uint32(s.Inactive / time.Millisecond)}
}

func (a *Agent) ssidOf(radio, wlan uint8) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	w, _ := a.applied[radio].WLAN(wlan)
	return w.SSID
}

// configureStations carries out a Station Configuration Request (RFC 5415
// §8.4): Delete Station disconnects the client through the radio backend.
// Add Station is accepted as is: in local MAC mode the AP itself admits
// clients.
func (a *Agent) configureStations(ctx context.Context, m *wire.ControlMessage) []wire.Element {
	for _, e := range m.ElementsOf(wire.TypeDeleteStation) {
		d := e.(*wire.DeleteStation)
		var ban time.Duration
		if v := verdictFor(m, d.MAC); v != nil && v.Action == wire.AccessReject {
			// Refused by the access list: kept out for a while, so that it
			// does not associate again at once; after that the manager
			// decides again.
			ban = RejectBan
		}
		if err := a.cfg.HAL.Kick(ctx, d.MAC, ban); err != nil {
			a.warn("station not removed", "mac", net.HardwareAddr(d.MAC).String(), "err", err)
			return []wire.Element{&wire.ResultCodeElement{Code: wire.ResultConfigurationFailureServiceNotProvided}, &wire.Refusal{RadioID: d.RadioID, Field: "station", Reason: err.Error()}}
		}
		a.cfg.Logger.Info("station removed by the manager", "mac", net.HardwareAddr(d.MAC).String(), "ban", ban)
	}
	return []wire.Element{&wire.ResultCodeElement{Code: wire.ResultSuccess}}
}

// RejectBan is how long a client the access list refused is kept out.
const RejectBan = 30 * time.Second

// verdictFor is the manager's Access Verdict for mac in m, nil if none.
func verdictFor(m *wire.ControlMessage, mac net.HardwareAddr) *wire.AccessVerdict {
	for _, e := range m.ElementsOf(wire.TypeVendorSpecificPayload) {
		if v, ok := e.(*wire.AccessVerdict); ok && bytes.Equal(v.MAC, mac) {
			return v
		}
	}
	return nil
}
