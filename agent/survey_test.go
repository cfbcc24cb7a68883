package agent

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/hal"
)

// TestSurveyElements: the scans a Join Response asks for are carried out
// (on the frequencies asked, or all channels), the survey is split into
// elements that fit a vendor element, channels never visited are left
// out, a radio without data still says it was surveyed, and radios the
// manager did not ask about are neither scanned nor reported.
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
	join := &wire.ControlMessage{Type: wire.JoinResponse, Elements: []wire.Element{
		&wire.Survey{RadioID: 1, Scan: true, Frequencies: []uint32{5180, 5200}},
		&wire.Survey{RadioID: 2, Scan: true},
	}}
	els := a.requestedSurveys(context.Background(), join)
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
	if got := h.Scanned(1); !slices.Equal(got, []int{5180, 5200}) {
		t.Errorf("radio 1 scanned %v, want the two frequencies asked for", got)
	}
	if got := h.Scanned(2); got != nil {
		t.Errorf("radio 2 scanned %v, want all channels (nil)", got)
	}
	if els := a.requestedSurveys(context.Background(), &wire.ControlMessage{Type: wire.JoinResponse}); len(els) != 0 || h.Scans(1) != 1 {
		t.Errorf("a Join Response without scan requests gave %d surveys and %d scans, want none", len(els), h.Scans(1)-1)
	}
}
