package controlplane

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/capstan-wifi/capstan/capwap/transport"
	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/manager/provision"
)

// join handles the Join Request (RFC 5415 §5.3–5.4).
func (c *session) join(ctx context.Context) error {
	req, err := c.expect(ctx, wire.JoinRequest)
	if err != nil {
		return err
	}
	if t, missing := req.MissingMandatory(); missing {
		return c.refuse(req, wire.ResultMissingMandatoryElement, "missing %v", t)
	}
	board := req.Element(wire.TypeWTPBoardData).(*wire.WTPBoardData)
	mac := net.HardwareAddr(board.Item(wire.BoardBaseMAC))
	if len(mac) != 6 && len(mac) != 8 {
		return c.refuse(req, wire.ResultJoinFailureIncorrectData, "WTP Board Data has no base MAC")
	}
	if cr := certificateRequest(req); cr != nil && c.cn == "" {
		return c.enroll(req, mac)
	}
	if c.enrollOnly {
		return c.refuseEnrollment(req, wire.EnrollmentRequired,
			"this manager requires a CAP certificate: set certificate=request (or scep) on the CAP")
	}
	if err := c.checkIdentity(mac); err != nil {
		return c.refuse(req, wire.ResultJoinFailureUnknownSource, "%v", err)
	}
	c.id = *req.Element(wire.TypeSessionID).(*wire.SessionID)
	if c.id == (wire.SessionID{}) {
		return c.refuse(req, wire.ResultJoinFailureIncorrectData, "all-zero Session ID")
	}
	desc := req.Element(wire.TypeWTPDescriptor).(*wire.WTPDescriptor)
	c.baseMAC = mac.String()
	c.identity = req.Element(wire.TypeWTPName).(*wire.WTPName).Name
	c.board = string(board.Item(wire.BoardModelNumber))
	c.version = string(desc.InfoData(wire.WTPInfoSoftwareVersion))
	radios := req.ElementsOf(wire.TypeIEEE80211WTPRadioInformation)
	c.radios = len(radios)
	c.radioInfo = radiosOf(req)
	c.key = "mac:" + c.baseMAC
	if c.cn != "" {
		c.key = "cn:" + c.cn
	}
	c.joinedAt = time.Now()
	c.srv.mu.Lock()
	other := c.srv.bySession[c.id]
	c.srv.mu.Unlock()
	if other != nil && other.key != c.key {
		return c.refuse(req, wire.ResultJoinFailureSessionIDInUse, "session ID in use by %s", other.key)
	}
	// The session logger is final before register publishes the session.
	c.log = c.log.With("cap", c.identity, "base_mac", c.baseMAC)
	if err := c.srv.register(c); err != nil {
		code := wire.ResultJoinFailureResourceDepletion
		if errors.Is(err, errInUse) {
			code = wire.ResultJoinFailureUnknownSource
		}
		return c.refuse(req, code, "%v", err)
	}
	d := c.upgradeDecision(req)
	if d.Refuse != "" {
		c.srv.unregister(c)
		resp := resultOnly(wire.ResultJoinFailureUnspecified)
		resp.Elements = append(resp.Elements, c.srv.acDescriptor(), &wire.ACName{Name: c.srv.cfg.Name},
			&wire.Refusal{Field: "version", Reason: d.Refuse})
		_ = c.cc.Respond(req, resp)
		return fmt.Errorf("refused: %s", d.Refuse)
	}
	if d.Note != "" {
		c.log.Warn("CAP runs another version", "reason", d.Note)
	}
	c.image = d.Offer
	local := transport.LocalIPv4For(c.cc.RemoteAddr())
	ac := c.srv.acDescriptor()
	// The data channel's policy is the one this Join Response announces,
	// for the whole session.
	c.dataDTLS = ac.DTLSPolicy == wire.ACDTLSDataChannel
	resp := &wire.ControlMessage{Elements: []wire.Element{
		&wire.ResultCodeElement{Code: wire.ResultSuccess},
		ac,
		&wire.ACName{Name: c.srv.cfg.Name},
		&wire.ECNSupport{},
		&wire.CAPWAPControlIPv4Address{Address: local, WTPCount: c.srv.wtpCount()},
		&wire.CAPWAPLocalIPv4Address{Address: local},
	}}
	resp.Elements = append(resp.Elements, radios...)
	if e := c.crlElement(); e != nil {
		resp.Elements = append(resp.Elements, e)
	}
	if c.image != nil {
		resp.Elements = append(resp.Elements, &wire.ImageIdentifier{Vendor: wire.EnterpriseNumber, Data: c.image.Name})
		c.log.Info("offering an upgrade", "from", c.version, "to", c.srv.cfg.Version, "image", c.image.Name)
	} else {
		// Provisioned now for the scans the channel selection needs; the
		// Configuration Status Request provisions again with what changed.
		if err := c.provision(false); err != nil {
			c.log.Warn("provisioning failed", "err", err)
		}
		resp.Elements = append(resp.Elements, c.scanRequests()...)
	}
	c.setState("configure")
	return c.cc.Respond(req, resp)
}

// configure handles the Configuration Status Request (RFC 5415 §8.2–8.3):
// the answer carries the timers the CAP runs with.
func (c *session) configure(ctx context.Context) error {
	req, err := c.expect(ctx, wire.ConfigurationStatusRequest)
	if err != nil {
		return err
	}
	if t, missing := req.MissingMandatory(); missing {
		return fmt.Errorf("configuration status request lacks %v", t)
	}
	resp := &wire.ControlMessage{Elements: []wire.Element{
		&wire.CAPWAPTimers{Discovery: 5, EchoRequest: uint8(c.srv.cfg.EchoInterval / time.Second)},
		&wire.IdleTimeout{Timeout: 300},
		&wire.WTPFallback{Mode: wire.Enabled},
	}}
	for id := 1; id <= max(c.radios, 1); id++ {
		resp.Elements = append(resp.Elements, &wire.DecryptionErrorReportPeriod{RadioID: uint8(id), Interval: 120})
	}
	c.takeSurveys(req)
	c.takeCurrentChannels(req)
	if err := c.provision(false); err != nil {
		c.log.Warn("provisioning failed", "err", err)
	}
	cfg := c.srv.cfg.Store.Config()
	c.mu.Lock()
	ifaces := c.ifaces
	c.mu.Unlock()
	for _, r := range c.radioInfo {
		els, _ := provision.RadioElements(cfg, r.ID, c.withChannel(r, ifaces[r.ID]), nil)
		resp.Elements = append(resp.Elements, els[0]) // the Radio Config
	}
	c.setState("data-check")
	return c.cc.Respond(req, resp)
}

// dataCheck handles the Change State Event Request and waits for the first
// Data Channel Keep-Alive (RFC 5415 §2.3, Data Check state).
func (c *session) dataCheck(ctx context.Context) error {
	req, err := c.expect(ctx, wire.ChangeStateEventRequest)
	if err != nil {
		return err
	}
	if err := c.cc.Respond(req, &wire.ControlMessage{}); err != nil {
		return err
	}
	t := time.NewTimer(c.srv.cfg.JoinTimeout)
	defer t.Stop()
	for {
		select {
		case <-c.data:
			return nil
		case m := <-c.cc.Requests():
			c.answer(m)
		case <-c.cc.Done():
			return c.cc.Err()
		case <-c.closed:
			return fmt.Errorf("replaced by a newer session")
		case <-t.C:
			return fmt.Errorf("no data channel keep-alive: %w", errTimeout)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// run serves a joined CAP until it goes silent for CAPTimeout, its channel
// fails or a newer session replaces it.
//
// One timer per session, set for the moment the CAP would have been silent
// too long: it fires about once per CAPTimeout rather than on a fixed tick,
// and costs nothing in between however many CAPs there are.
func (c *session) run(ctx context.Context) error {
	timeout := c.srv.cfg.CAPTimeout
	check := time.NewTimer(timeout)
	defer check.Stop()
	for {
		select {
		case m := <-c.cc.Requests():
			c.answer(m)
		case now := <-check.C:
			// The latest sign of life: a message the control channel
			// decoded, or a record the socket reader routed to this
			// session by its connection ID, which is what counts when
			// the manager itself is behind (a storm on a busy machine):
			// the CAP is not silent because the manager is slow.
			heard := c.cc.LastReceived()
			if in := c.peer.LastIn(); in.After(heard) {
				heard = in
			}
			silent := now.Sub(heard)
			if silent > timeout {
				c.close()
				return fmt.Errorf("CAP lost: silent for %v", silent.Round(time.Millisecond))
			}
			if c.leaf != nil && now.After(c.leaf.NotAfter) {
				c.close()
				return fmt.Errorf("CAP certificate expired at %s", c.leaf.NotAfter.UTC().Format(time.RFC3339))
			}
			next := timeout - silent + time.Millisecond
			if c.leaf != nil {
				next = min(next, max(time.Until(c.leaf.NotAfter)+time.Millisecond, time.Millisecond))
			}
			check.Reset(next)
		case <-c.cc.Done():
			return c.cc.Err()
		case <-c.closed:
			return fmt.Errorf("replaced by a newer session")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Rate of control requests a CAP may send in Data Check and Run: an honest
// one sends an Echo Request per echo interval and an event per change of
// its clients; beyond the rate requests are dropped unanswered, as a
// congested network would, and an honest CAP's retransmission gets through.
const (
	RequestsPerSecond = 20
	RequestBurst      = 100
)

// fastAnswer answers Echo Requests in Run on the control channel's read
// goroutine, the bulk of a fleet's steady traffic, within the session's
// request rate; everything else goes to the session's loop.
func (c *session) fastAnswer(m *wire.ControlMessage) (*wire.ControlMessage, bool) {
	if m.Type != wire.EchoRequest || c.State() != "run" {
		return nil, false
	}
	if !c.allowRequest(m) {
		return nil, true
	}
	return &wire.ControlMessage{}, true
}

// allowRequest applies the session's request rate to m.
func (c *session) allowRequest(m *wire.ControlMessage) bool {
	if c.requests.Allow() {
		return true
	}
	c.srv.metrics.limited.WithLabelValues("requests").Inc()
	c.warn.Warn("rate", "dropped control requests over the session's rate", "type", m.Type, "per_second", RequestsPerSecond)
	return false
}

// answer handles a request in the Data Check and Run states.
func (c *session) answer(m *wire.ControlMessage) {
	if !c.allowRequest(m) {
		c.cc.Unanswered(m)
		return
	}
	if t, missing := m.MissingMandatory(); missing {
		c.warn.Warn("mandatory", "request lacks a mandatory element", "type", m.Type, "missing", t)
		_ = c.cc.Respond(m, resultOnly(wire.ResultMissingMandatoryElement))
		return
	}
	switch m.Type {
	case wire.EchoRequest, wire.ChangeStateEventRequest:
		_ = c.cc.Respond(m, &wire.ControlMessage{})
	case wire.WTPEventRequest:
		if cr := certificateRequest(m); cr != nil {
			c.renew(m, cr)
			return
		}
		gen := c.stationGeneration()
		fresh := c.stationEvent(m)
		if d := c.srv.cfg.Directory; d != nil && c.stationGeneration() != gen && c.State() == "run" {
			d.Held(c.row(), c.registrations())
		}
		c.takeSurveys(m)
		_ = c.cc.Respond(m, &wire.ControlMessage{})
		for _, a := range fresh {
			go c.admit(c.ctx, a)
		}
	default:
		c.warn.Warn("unsupported", "unsupported request", "type", m.Type)
		_ = c.cc.Respond(m, resultOnly(wire.ResultMessageUnexpectedUnrecognized))
	}
}
