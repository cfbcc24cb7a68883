package controlplane

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/manager/model"
	"github.com/capstan-wifi/capstan/manager/provision"
)

// capInfo is what provisioning matches a CAP on.
func (c *session) capInfo() provision.CAP {
	info := provision.CAP{Identity: c.identity, CommonName: c.cn, Radios: c.radioInfo}
	if ap, err := netip.ParseAddrPort(c.addr); err == nil {
		info.Address = ap.Addr().Unmap()
	}
	return info
}

// radiosOf reads the radios of a Join Request: their IDs from the IEEE
// 802.11 WTP Radio Information elements, MAC and bands from capstan's
// Radio Capabilities (one element per radio and band).
func radiosOf(req *wire.ControlMessage) []provision.Radio {
	var out []provision.Radio
	idx := map[uint8]int{}
	for _, e := range req.ElementsOf(wire.TypeIEEE80211WTPRadioInformation) {
		id := e.(*wire.IEEE80211WTPRadioInformation).RadioID
		if _, dup := idx[id]; !dup {
			idx[id] = len(out)
			out = append(out, provision.Radio{ID: id})
		}
	}
	for _, e := range req.ElementsOf(wire.TypeVendorSpecificPayload) {
		rc, ok := e.(*wire.RadioCapabilities)
		if !ok {
			continue
		}
		i, known := idx[rc.RadioID]
		if !known {
			continue
		}
		if len(rc.MAC) == 6 {
			out[i].MAC = rc.MAC.String()
		}
		for _, ch := range rc.Channels {
			out[i].Channels = append(out[i].Channels, halChannel(ch))
		}
		for _, b := range provision.BandNames(rc.Bands) {
			if !slices.Contains(out[i].Bands, b) {
				out[i].Bands = append(out[i].Bands, b)
			}
		}
	}
	return out
}

// provision runs the rules for the CAP and records its interfaces. With
// fresh, the CAP's dynamic interfaces are dropped first, so that their
// names and rules are chosen again (`remote-cap provision`). Static
// interfaces a rule creates are written to the configuration, whose
// announcement provisions the CAP again with them.
func (c *session) provision(fresh bool) error {
	for range 2 {
		created, err := c.provisionOnce(fresh)
		if err != nil || !created {
			return err
		}
		fresh = false
	}
	return nil
}

func (c *session) provisionOnce(fresh bool) (created bool, err error) {
	s := c.srv
	s.provMu.Lock()
	if fresh {
		s.releaseNames(c)
	}
	cfg := s.cfg.Store.Config()
	res := provision.Provision(cfg, c.capInfo(), s.names.forCAP(c))
	if len(res.Create) == 0 {
		s.releaseNames(c)
		for _, ifs := range res.Interfaces {
			for _, it := range ifs {
				if !it.Static {
					s.names.take(c, it.Name)
				}
			}
		}
		c.mu.Lock()
		c.ifaces = res.Interfaces
		c.mu.Unlock()
		s.provMu.Unlock()
		return false, nil
	}
	s.provMu.Unlock()
	_, err = s.cfg.Store.Update(func(cfg *model.Config) error {
		for _, ch := range res.Create {
			if _, taken := cfg.Named("interface", ch["name"].(string)); taken {
				return fmt.Errorf("interface %q exists", ch["name"])
			}
			if _, err := cfg.Add("interface", ch, -1); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("create static interfaces: %w", err)
	}
	c.log.Info("static interfaces created", "count", len(res.Create))
	return true, nil
}

// releaseNames forgets c's dynamic interface names; s.provMu is held.
func (s *Server) releaseNames(c *session) { s.names.release(c) }

// reprovisionAll runs provisioning for every CAP in Run after each change
// of the configuration, coalescing bursts of changes, and pushes what
// changed.
func (s *Server) reprovisionAll(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.changed:
		}
		for _, c := range s.running() {
			if err := c.provision(false); err != nil {
				c.log.Warn("provisioning failed", "err", err)
				continue
			}
			// A bounded number of pushes in flight: a thousand CAPs
			// answering in the same millisecond overflow the socket and
			// cost a retransmission (1 s) each.
			select {
			case s.pushSlots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			go func() {
				c.push(ctx)
				<-s.pushSlots
				c.recheck(ctx)
			}()
		}
	}
}

func (s *Server) running() []*session {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*session
	for _, c := range s.caps {
		if c.State() == "run" {
			out = append(out, c)
		}
	}
	return out
}

// push sends the radios of the CAP whose configuration differs from what
// they were last sent, together in one IEEE 802.11 WLAN Configuration
// Request (RFC 5416 §3.1) that also carries each radio's settings (capstan
// Radio Config), so that a change costs each radio one restart and an
// OpenWrt CAP one write and one reload. The CAP applies such a request
// whole or refuses it whole. The first push of a session deletes every
// other WLAN ID, so that a CAP coming from another manager or an older
// configuration serves only what it is told.
func (c *session) push(ctx context.Context) {
	c.pushMu.Lock()
	defer c.pushMu.Unlock()
	cfg := c.srv.cfg.Store.Config()
	c.mu.Lock()
	ifaces := c.ifaces
	c.mu.Unlock()
	selected := map[uint8][]provision.Interface{} // with the channels the manager selects
	type change struct {
		id     uint8
		enc    []byte
		served []uint8
	}
	var changes []change
	msg := &wire.ControlMessage{Type: wire.IEEE80211WLANConfigurationRequest}
	for _, r := range c.radioInfo {
		stale := c.served[r.ID]
		if _, pushed := c.sent[r.ID]; !pushed {
			stale = allWLANIDs
		}
		selected[r.ID] = c.withChannel(r, ifaces[r.ID])
		els, served := provision.RadioElements(cfg, r.ID, selected[r.ID], stale)
		enc, err := (&wire.ControlMessage{Type: wire.IEEE80211WLANConfigurationRequest, Elements: els}).MarshalPayload()
		if err != nil {
			c.log.Error("configuration not encodable", "radio", r.ID, "err", err)
			return
		}
		if prev, ok := c.sent[r.ID]; ok && bytes.Equal(prev, enc) && c.refused[r.ID] == "" {
			continue
		}
		changes = append(changes, change{r.ID, enc, served})
		msg.Elements = append(msg.Elements, els...)
	}
	if len(changes) > 0 {
		rctx, cancel := context.WithTimeout(ctx, c.srv.cfg.JoinTimeout)
		resp, err := c.cc.Request(rctx, msg)
		cancel()
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				c.log.Warn("configuration not delivered", "radios", len(changes), "err", err)
			}
			return
		}
		c.srv.metrics.pushes.Inc()
		why := refusalText(resp)
		for _, ch := range changes {
			c.sent[ch.id], c.served[ch.id], c.refused[ch.id] = ch.enc, ch.served, why
			if why == "" {
				c.log.Info("configuration applied", "radio", ch.id, "wlans", len(ch.served), "interfaces", interfaceNames(ifaces[ch.id]))
			}
		}
		if why != "" {
			c.log.Warn("CAP refused the configuration", "radios", len(changes), "reason", why)
		} else {
			c.bindForwarding(selected)
		}
	} else {
		// What the CAP runs is unchanged, but what only the manager does
		// (its side of manager forwarding: bridge, VLAN,
		// client-to-client) may have changed.
		c.bindForwarding(selected)
	}
	text := c.errorText(selected)
	c.mu.Lock()
	c.configError = text
	c.mu.Unlock()
	if !c.reselecting && wantsReselect(ifaces) {
		// Started on the first push that asks for it, not for every
		// session: most fleets set no reselect-interval.
		c.reselecting = true
		go c.reselectLoop(c.ctx)
	}
	select {
	case c.pushed <- struct{}{}:
	default:
	}
}

// wantsReselect reports whether a radio's channel profile has a
// reselect-interval.
func wantsReselect(ifaces map[uint8][]provision.Interface) bool {
	for _, ifs := range ifaces {
		if len(ifs) > 0 && ifs[0].Settings.Reselect.Max > 0 {
			return true
		}
	}
	return false
}

// errorText is why radios or interfaces of the CAP do not run: refusals
// and interfaces whose settings cannot run, radio by radio.
func (c *session) errorText(ifaces map[uint8][]provision.Interface) string {
	var errs []string
	for _, r := range c.radioInfo {
		if why := c.refused[r.ID]; why != "" {
			errs = append(errs, why)
		}
		for _, it := range ifaces[r.ID] {
			if it.Error != "" && !it.Disabled {
				errs = append(errs, it.Error)
			}
		}
	}
	return strings.Join(errs, "; ")
}

func interfaceNames(ifs []provision.Interface) string {
	names := make([]string, len(ifs))
	for i, it := range ifs {
		names[i] = it.Name
	}
	return strings.Join(names, ",")
}

var allWLANIDs = func() []uint8 {
	ids := make([]uint8, provision.MaxWLANID)
	for i := range ids {
		ids[i] = uint8(i + 1)
	}
	return ids
}()

// refusalText is "" for a successful answer, else its Result Code and the
// CAP's Refusal.
func refusalText(resp *wire.ControlMessage) string {
	rc, ok := resp.Element(wire.TypeResultCode).(*wire.ResultCodeElement)
	if ok && rc.Code.IsSuccess() {
		return ""
	}
	text := "no result code"
	if ok {
		text = fmt.Sprintf("result %d (%v)", uint32(rc.Code), rc.Code)
	}
	for _, e := range resp.ElementsOf(wire.TypeVendorSpecificPayload) {
		if r, ok := e.(*wire.Refusal); ok {
			text += ": " + r.Field + ": " + r.Reason
			if r.WLANID != 0 {
				text = fmt.Sprintf("radio %d WLAN %d %s", r.RadioID, r.WLANID, text)
			} else if r.RadioID != 0 {
				text = fmt.Sprintf("radio %d %s", r.RadioID, text)
			}
		}
	}
	return text
}
