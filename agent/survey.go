package agent

import (
	"context"
	"time"

	"github.com/capstan-wifi/capstan/capwap/transport"
	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/hal"
)

// surveyTimeout bounds one radio's scan and survey.
const surveyTimeout = 10 * time.Second

// surveyChunk is how many channels one Survey element carries: a capstan
// vendor element holds at most wire.MaxVendorData bytes (up to ~65 bytes per
// channel), and a radio can report a hundred channels.
const surveyChunk = 24

// surveys returns Survey elements for every radio the HAL can survey, for
// the manager's channel selection. The first call of the agent's life
// scans: the radios are idle then and the scan costs no client anything;
// later calls (rejoins) report what the kernel has counted since. A radio
// that cannot be surveyed is left out.
func (a *Agent) surveys(ctx context.Context, radios []hal.Radio) []wire.Element {
	if _, ok := a.cfg.HAL.(hal.Surveyor); !ok {
		return nil
	}
	a.mu.Lock()
	scan := !a.surveyed
	a.surveyed = true
	a.mu.Unlock()
	var out []wire.Element
	for _, r := range radios {
		out = append(out, a.survey(ctx, r.ID, scan)...)
	}
	return out
}

// survey surveys one radio into Survey elements of at most surveyChunk
// channels each, leaving out channels the radio never spent time on; nil
// when it cannot.
func (a *Agent) survey(ctx context.Context, id uint8, scan bool) []wire.Element {
	sv, ok := a.cfg.HAL.(hal.Surveyor)
	if !ok {
		return nil
	}
	sctx, cancel := context.WithTimeout(ctx, surveyTimeout)
	defer cancel()
	start := time.Now()
	entries, err := sv.Survey(sctx, id, scan)
	switch {
	case err != nil && len(entries) == 0:
		a.warn("channel survey failed", "radio", id, "err", err)
		return nil
	case err != nil:
		a.warn("channel scan failed: the survey covers the channels visited before", "radio", id, "err", err)
	}
	var measured []wire.SurveyEntry
	for _, e := range entries {
		if e.Active <= 0 {
			continue
		}
		measured = append(measured, wire.SurveyEntry{FrequencyMHz: uint32(e.FrequencyMHz), NoiseDBm: int8(e.NoiseDBm), InUse: e.InUse,
			ActiveMs: uint64(e.Active.Milliseconds()), BusyMs: uint64(e.Busy.Milliseconds()),
			RxMs: uint64(e.Rx.Milliseconds()), TxMs: uint64(e.Tx.Milliseconds())})
	}
	a.cfg.Logger.Debug("channel survey", "radio", id, "scan", scan, "channels", len(entries), "measured", len(measured),
		"took", time.Since(start).Round(time.Millisecond))
	out := []wire.Element{&wire.Survey{RadioID: id}} // an empty survey still says "surveyed"
	for len(measured) > 0 {
		n := min(len(measured), surveyChunk)
		last := out[len(out)-1].(*wire.Survey)
		if len(last.Entries) > 0 {
			last = &wire.Survey{RadioID: id}
			out = append(out, last)
		}
		last.Entries, measured = measured[:n], measured[n:]
	}
	return out
}

// surveyRequests are the radios a Configuration Update Request asks to
// scan and survey afresh.
func surveyRequests(m *wire.ControlMessage) []uint8 {
	var ids []uint8
	for _, e := range m.ElementsOf(wire.TypeVendorSpecificPayload) {
		if s, ok := e.(*wire.Survey); ok && s.Scan {
			ids = append(ids, s.RadioID)
		}
	}
	return ids
}

// reportSurvey scans radio id and sends the survey in a WTP Event Request.
func (a *Agent) reportSurvey(ctx context.Context, cc *transport.ControlConn, id uint8) {
	els := a.survey(ctx, id, true)
	if els == nil {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if _, err := cc.Request(rctx, &wire.ControlMessage{Type: wire.WTPEventRequest, Elements: els}); err != nil && ctx.Err() == nil {
		a.warn("survey not delivered", "radio", id, "err", err)
	}
}
