package controlplane

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/manager/access"
	"github.com/capstan-wifi/capstan/manager/model"
)

// RADIUSTimeout bounds a query-radius decision; a server that does not
// answer in time rejects the client (fail closed).
const RADIUSTimeout = 5 * time.Second

// association is a client the CAP reported as newly associated.
type association struct {
	radio, wlan uint8
	mac         net.HardwareAddr
	ssid        string
	signal      int
}

// interfaceName is the provisioned interface serving WLAN wlan of radio.
func (c *session) interfaceName(radio, wlan uint8) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, it := range c.ifaces[radio] {
		if it.WLANID == wlan {
			return it.Name
		}
	}
	return ""
}

// admit runs the access list for a client as it associates (or, with
// recheck, after the list changed) and removes it from the CAP if it may
// not stay. The decision is recorded in its registration row.
func (c *session) admit(ctx context.Context, a association) {
	cl := access.Client{MAC: a.mac, Interface: c.interfaceName(a.radio, a.wlan), SSID: a.ssid, Signal: a.signal, Time: time.Now()}
	v := access.Decide(c.srv.cfg.Store.Config(), cl)
	decision := "accept (no rule)"
	if v.Position >= 0 {
		decision = fmt.Sprintf("%s (rule *%d)", v.Action, v.Rule)
	}
	reject := v.Action == model.ActionReject
	if v.Action == model.ActionQueryRADIUS {
		qctx, cancel := context.WithTimeout(ctx, RADIUSTimeout)
		ans, err := access.QueryRADIUS(qctx, v.RADIUSServer, v.RADIUSSecret, c.srv.cfg.Name, cl)
		cancel()
		switch {
		case err != nil:
			decision, reject = fmt.Sprintf("reject: radius failed (rule *%d): %v", v.Rule, err), true
		case ans.Accept:
			decision = fmt.Sprintf("radius accept (rule *%d)", v.Rule)
			if ans.VLANID > 0 && ans.VLANID < 4095 {
				v.VLANID = ans.VLANID
			}
		default:
			decision, reject = fmt.Sprintf("radius reject (rule *%d)", v.Rule), true
		}
	}
	c.mu.Lock()
	if r := c.stations[a.mac.String()]; r != nil {
		r.Access = decision
	}
	// Manager forwarding carries an admitted client's frames only, in its
	// VLAN; a refused one's stop here before the CAP has removed it.
	if reject {
		c.ft.drop(macOf(a.mac))
	} else if c.ft != nil {
		vlan := uint16(0)
		if v.VLANID > 0 && v.VLANID < 4095 {
			vlan = uint16(v.VLANID)
		}
		c.ft.admit(macOf(a.mac), vlan, v.ClientToClient)
	}
	c.mu.Unlock()
	if !reject {
		c.log.Debug("client admitted", "mac", a.mac.String(), "interface", cl.Interface, "decision", decision)
		return
	}
	c.srv.metrics.rejects.Inc()
	c.log.Info("client refused by the access list", "mac", a.mac.String(), "interface", cl.Interface, "ssid", a.ssid, "decision", decision)
	rctx, cancel := context.WithTimeout(ctx, c.srv.cfg.JoinTimeout)
	defer cancel()
	resp, err := c.cc.Request(rctx, &wire.ControlMessage{Type: wire.StationConfigurationRequest, Elements: []wire.Element{
		&wire.DeleteStation{RadioID: a.radio, MAC: a.mac},
		&wire.AccessVerdict{RadioID: a.radio, WLANID: a.wlan, MAC: a.mac, Action: wire.AccessReject, Reason: decision},
	}})
	if err != nil {
		c.log.Warn("refused client not removed", "mac", a.mac.String(), "err", err)
		return
	}
	if why := refusalText(resp); why != "" {
		c.log.Warn("CAP did not remove a refused client", "mac", a.mac.String(), "reason", why)
		return
	}
	c.mu.Lock()
	c.dropStation(a.mac.String())
	c.mu.Unlock()
}

// recheck runs the access list again for every client of the CAP, after
// the configuration changed.
func (c *session) recheck(ctx context.Context) {
	c.mu.Lock()
	var all []association
	for _, r := range c.stations {
		mac, _ := net.ParseMAC(r.MAC)
		all = append(all, association{radio: r.RadioID, wlan: r.WLANID, mac: mac, ssid: r.SSID, signal: r.Signal})
	}
	c.mu.Unlock()
	for _, a := range all {
		c.admit(ctx, a)
	}
}

// accessClock decides every connected client again whenever a time window
// of the access list opens or closes, until ctx ends.
func (s *Server) accessClock(ctx context.Context) {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		var fire <-chan time.Time
		if next := access.NextChange(s.cfg.Store.Config(), time.Now()); !next.IsZero() {
			t.Reset(time.Until(next))
			fire = t.C
		}
		select {
		case <-ctx.Done():
			return
		case <-s.accessChanged:
		case <-fire:
			for _, c := range s.running() {
				go c.recheck(ctx)
			}
		}
		t.Stop()
	}
}
