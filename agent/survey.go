package agent

import (
	"context"
	"fmt"
	"slices"
	"sync"
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

// requestedSurveys carries out the scans a Join Response asks for (one
// Survey with Scan per radio whose channel the manager will select) and
// returns the surveys for the Configuration Status Request, all within
// surveyTimeout: the manager waits for that request. The radios
// are not yet configured by this session then; a scan of only the
// channels the manager may choose keeps the wait short.
func (a *Agent) requestedSurveys(ctx context.Context, m *wire.ControlMessage) []wire.Element {
	reqs := scanRequests(m)
	per := make([][]wire.Element, len(reqs))
	var wg sync.WaitGroup
	for i, req := range reqs { // radios scan at the same time
		wg.Go(func() { per[i] = a.survey(ctx, req.RadioID, scanOf(req)) })
	}
	wg.Wait()
	return slices.Concat(per...)
}

// survey surveys one radio, after scan unless it is nil, into Survey
// elements of at most surveyChunk channels each, leaving out channels the
// radio never spent time on; nil when it cannot.
func (a *Agent) survey(ctx context.Context, id uint8, scan *hal.Scan) []wire.Element {
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
	a.cfg.Logger.Debug("channel survey", "radio", id, "scan", scan != nil, "scanned", scanned(scan), "channels", len(entries), "measured", len(measured),
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

// scanRequests are the Survey elements of m that ask for a scan.
func scanRequests(m *wire.ControlMessage) []*wire.Survey {
	var out []*wire.Survey
	for _, e := range m.ElementsOf(wire.TypeVendorSpecificPayload) {
		if s, ok := e.(*wire.Survey); ok && s.Scan {
			out = append(out, s)
		}
	}
	return out
}

// scanOf is the scan a Survey request asks for.
func scanOf(req *wire.Survey) *hal.Scan {
	s := &hal.Scan{}
	for _, f := range req.Frequencies {
		s.FrequenciesMHz = append(s.FrequenciesMHz, int(f))
	}
	return s
}

// scanned says which channels a scan covered, for the log.
func scanned(s *hal.Scan) string {
	switch {
	case s == nil:
		return "none"
	case len(s.FrequenciesMHz) == 0:
		return "all"
	}
	return fmt.Sprint(s.FrequenciesMHz)
}

// reportSurvey carries out a scan request of the manager and sends the
// survey in a WTP Event Request.
func (a *Agent) reportSurvey(ctx context.Context, cc *transport.ControlConn, req *wire.Survey) {
	els := a.survey(ctx, req.RadioID, scanOf(req))
	if els == nil {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if _, err := cc.Request(rctx, &wire.ControlMessage{Type: wire.WTPEventRequest, Elements: els}); err != nil && ctx.Err() == nil {
		a.warn("survey not delivered", "radio", req.RadioID, "err", err)
	}
}
