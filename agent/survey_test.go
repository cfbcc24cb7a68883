package agent

import (
	"context"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/hal"
)

// TestSurveyElements: a radio's survey is split into elements that fit a
// vendor element, channels never visited are left out, only the first
// survey of the agent's life scans, and a radio without data still says
// it was surveyed.
func TestSurveyElements(t *testing.T) {
	a, h := newApplyAgent(t)
	var entries []hal.SurveyEntry
	for i := range 100 {
		e := hal.SurveyEntry{FrequencyMHz: 5000 + 5*i, NoiseDBm: -95, Active: 100 * time.Millisecond, Busy: 7 * time.Millisecond,
			Rx: time.Millisecond, Tx: 2 * time.Millisecond}
		if i%10 == 9 {
			e.Active = 0 // never visited
		}
		entries = append(entries, e)
	}
	h.SetSurvey(1, entries)
	radios, _ := h.Radios(context.Background())
	els := a.surveys(context.Background(), radios)
	per := map[uint8]int{}
	for _, e := range els {
		s := e.(*wire.Survey)
		if _, err := s.AppendBinary(nil); err != nil {
			t.Fatalf("radio %d: element of %d entries does not encode: %v", s.RadioID, len(s.Entries), err)
		}
		per[s.RadioID] += len(s.Entries)
	}
	if per[1] != 90 || len(els) != 5 {
		t.Errorf("radio 1: %d entries in %d elements (with radio 2's), want 90 in 4 + 1", per[1], len(els))
	}
	if s := els[len(els)-1].(*wire.Survey); s.RadioID != 2 || len(s.Entries) != 0 {
		t.Errorf("radio 2 without data: %+v, want an empty survey", s)
	}
	if h.Scans(1) != 1 || h.Scans(2) != 1 {
		t.Errorf("scans %d, %d; want one per radio", h.Scans(1), h.Scans(2))
	}
	a.surveys(context.Background(), radios)
	if h.Scans(1) != 1 {
		t.Errorf("a rejoin scanned again (%d scans)", h.Scans(1))
	}
}
