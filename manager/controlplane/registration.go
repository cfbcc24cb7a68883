package controlplane

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/capstan-wifi/capstan/capwap/wire"
)

// Registration is one row of the registration table: a wireless client of
// a CAP.
type Registration struct {
	Interface  string `json:"interface"` // <CAP identity>/<radio interface>
	CAP        string `json:"cap"`
	RadioID    uint8  `json:"radio_id"`
	WLANID     uint8  `json:"wlan_id"`
	MAC        string `json:"mac"`
	SSID       string `json:"ssid"`
	Signal     int    `json:"signal"` // dBm
	SignalAvg  int    `json:"signal_avg"`
	TxRateKbps uint32 `json:"tx_rate_kbps"`
	RxRateKbps uint32 `json:"rx_rate_kbps"`
	TxBytes    uint64 `json:"tx_bytes"`
	RxBytes    uint64 `json:"rx_bytes"`
	TxPackets  uint64 `json:"tx_packets"`
	RxPackets  uint64 `json:"rx_packets"`
	Uptime     string `json:"uptime"`
	InactiveMs uint32 `json:"inactive_ms"`
	// Access is the access list's decision on the client.
	Access string `json:"access"`
	// For a client of a manager-forwarded interface: its VLAN on the
	// manager (0 for none) and its frames through the manager.
	VLANID    int           `json:"vlan_id,omitempty"`
	Forwarded *FlowCounters `json:"forwarded,omitempty"`
	Since     time.Time     `json:"since"`
	Updated   time.Time     `json:"updated"`
	// Manager holds the client's CAP; set when several managers share
	// one fleet store.
	Manager string `json:"manager,omitempty"`
}

// RegistrationTable lists every CAP's wireless clients, by interface and MAC.
func (s *Server) RegistrationTable() []Registration {
	var out []Registration
	for _, c := range s.joined() {
		out = append(out, c.registrations()...)
	}
	if d := s.cfg.Directory; d != nil {
		mine := make(map[string]bool, len(out))
		for i := range out {
			out[i].Manager = s.cfg.Name
			mine[out[i].MAC] = true
		}
		for _, r := range d.OtherRegistrations() {
			if !mine[r.MAC] {
				r.Uptime = time.Since(r.Since).Round(time.Second).String()
				out = append(out, r)
			}
		}
	}
	return sortedRows(out, func(a, b *Registration) int {
		return cmp.Or(strings.Compare(a.Interface, b.Interface), strings.Compare(a.MAC, b.MAC))
	})
}

// registrations are the session's rows of the registration table.
func (c *session) registrations() []Registration {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Registration, 0, len(c.stations))
	for mac, r := range c.stations {
		row := *r
		row.Uptime = time.Since(r.Since).Round(time.Second).String()
		if m, err := net.ParseMAC(mac); err == nil {
			if fc, vlan, ok := c.ft.counters(macOf(m)); ok {
				row.Forwarded, row.VLANID = &fc, int(vlan)
			}
		}
		out = append(out, row)
	}
	return out
}

// stationEvent records the Station and Delete Station elements of a WTP
// Event Request in the CAP's part of the registration table.
func (c *session) stationEvent(m *wire.ControlMessage) []association {
	c.mu.Lock()
	defer c.mu.Unlock()
	var fresh []association
	if c.stations == nil {
		c.stations, c.perWLAN = map[string]*Registration{}, map[wlanKey]int{}
	}
	now := time.Now()
	over := 0
	for _, e := range m.Elements {
		switch e := e.(type) {
		case *wire.Station:
			key := e.MAC.String()
			if e.State == wire.StationDisassociated {
				if _, ok := c.stations[key]; ok {
					c.log.Info("station left", "mac", key, "ssid", e.SSID)
				}
				c.dropStation(key)
				continue
			}
			r := c.stations[key]
			if r == nil {
				w := wlanKey{e.RadioID, e.WLANID}
				if len(c.stations) >= MaxStationsPerCAP || c.perWLAN[w] >= MaxStationsPerWLAN {
					over++
					continue
				}
				r = &Registration{Since: now.Add(-time.Duration(e.ConnectedSec) * time.Second), RadioID: e.RadioID, WLANID: e.WLANID}
				c.stations[key] = r
				c.stationGen++
				c.perWLAN[w]++
				c.ft.place(macOf(e.MAC), w)
				fresh = append(fresh, association{radio: e.RadioID, wlan: e.WLANID, mac: e.MAC, ssid: e.SSID, signal: int(e.Signal)})
				c.log.Info("station associated", "mac", key, "ssid", e.SSID, "interface", e.Interface, "signal", e.Signal)
			}
			if was, is := (wlanKey{r.RadioID, r.WLANID}), (wlanKey{e.RadioID, e.WLANID}); was != is {
				c.perWLAN[was]--
				c.perWLAN[is]++
				c.ft.place(macOf(e.MAC), is)
			}
			since, decision := r.Since, r.Access
			*r = Registration{Access: decision, Interface: c.identity + "/" + e.Interface, CAP: c.identity, RadioID: e.RadioID, WLANID: e.WLANID,
				MAC: key, SSID: e.SSID, Signal: int(e.Signal), SignalAvg: int(e.SignalAvg), TxRateKbps: e.TxRateKbps,
				RxRateKbps: e.RxRateKbps, TxBytes: e.TxBytes, RxBytes: e.RxBytes, TxPackets: e.TxPackets, RxPackets: e.RxPackets,
				InactiveMs: e.InactiveMs, Since: since, Updated: now}
		case *wire.DeleteStation:
			c.dropStation(e.MAC.String())
		}
	}
	if over > 0 {
		c.srv.metrics.limited.WithLabelValues("stations").Add(float64(over))
		c.warn.Warn("stations", "station limit reached: reported clients not recorded",
			"dropped", over, "per_cap", MaxStationsPerCAP, "per_wlan", MaxStationsPerWLAN)
	}
	return fresh
}

// Bounds of the registration table: a CAP, honest or not, cannot report
// more clients than a real AP serves (hostapd's max_num_sta is 2007 per
// BSS).
const (
	MaxStationsPerCAP  = 2048
	MaxStationsPerWLAN = 1024
)

type wlanKey struct{ radio, wlan uint8 }

// dropStation removes a client from the table; c.mu is held.
func (c *session) dropStation(mac string) {
	r, ok := c.stations[mac]
	if !ok {
		return
	}
	delete(c.stations, mac)
	c.stationGen++
	if m, err := net.ParseMAC(mac); err == nil {
		c.ft.drop(macOf(m))
	}
	w := wlanKey{r.RadioID, r.WLANID}
	if c.perWLAN[w]--; c.perWLAN[w] <= 0 {
		delete(c.perWLAN, w)
	}
}

// RemoveStation disconnects the client mac through the CAP it is
// associated with (Station Configuration Request with Delete Station, RFC
// 5415 §8.4) and drops it from the registration table.
func (s *Server) RemoveStation(ctx context.Context, mac net.HardwareAddr) error {
	return s.removeStation(ctx, mac, true)
}

// RemoveStationHere is RemoveStation for the CAPs this manager holds only:
// what another manager of the fleet asks of this one.
func (s *Server) RemoveStationHere(ctx context.Context, mac net.HardwareAddr) error {
	return s.removeStation(ctx, mac, false)
}

func (s *Server) removeStation(ctx context.Context, mac net.HardwareAddr, fleet bool) error {
	key := mac.String()
	var owner *session
	var radio uint8
	s.mu.Lock()
	for _, c := range s.caps {
		c.mu.Lock()
		if r, ok := c.stations[key]; ok {
			owner, radio = c, r.RadioID
		}
		c.mu.Unlock()
	}
	s.mu.Unlock()
	if owner == nil {
		if d := s.cfg.Directory; d != nil && fleet {
			if found, err := d.Kick(ctx, key); found {
				return err
			}
		}
		return fmt.Errorf("%w: %s", ErrNoStation, key)
	}
	resp, err := owner.cc.Request(ctx, &wire.ControlMessage{Type: wire.StationConfigurationRequest,
		Elements: []wire.Element{&wire.DeleteStation{RadioID: radio, MAC: mac}}})
	if err != nil {
		return fmt.Errorf("remove %s from %s: %w", key, owner.identity, err)
	}
	if why := refusalText(resp); why != "" {
		return fmt.Errorf("remove %s: CAP %s refused: %s", key, owner.identity, why)
	}
	owner.mu.Lock()
	owner.dropStation(key)
	owner.mu.Unlock()
	if d := s.cfg.Directory; d != nil && owner.State() == "run" {
		d.Held(owner.row(), owner.registrations())
	}
	owner.log.Info("station removed", "mac", key)
	return nil
}

// ErrNoStation: no CAP reports that client.
var ErrNoStation = fmt.Errorf("no such station in the registration table")
