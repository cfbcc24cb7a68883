package history

import (
	"testing"
	"time"
)

func TestRecorderKeepsTheLastSamples(t *testing.T) {
	n := 0
	r := New(func() Sample { n++; return Sample{Clients: n} }, time.Minute, 3)
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	r.now = func() time.Time { return now }
	for range 5 {
		r.Record()
		now = now.Add(time.Minute)
	}
	got := r.Samples(time.Time{})
	if len(got) != 3 || got[0].Clients != 3 || got[2].Clients != 5 || !got[2].Time.Equal(now.Add(-time.Minute)) {
		t.Fatalf("samples %+v", got)
	}
	if got := r.Samples(now.Add(-2 * time.Minute)); len(got) != 2 || got[0].Clients != 4 {
		t.Fatalf("since two minutes ago: %+v", got)
	}
}
