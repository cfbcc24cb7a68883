// Package history keeps the samples behind the web console's charts: every
// minute, the CAPs (all and in run), the wireless clients and the bytes
// their CAPs counted for them, for the last 24 hours, in a fixed ring
// (1,440 samples of a few dozen bytes). Samples live in memory: a restart
// starts the charts afresh.
package history

import (
	"context"
	"sync"
	"time"
)

// Sample is the fleet at one moment.
type Sample struct {
	Time    time.Time `json:"time"`
	CAPs    int       `json:"caps"`
	InRun   int       `json:"in_run"`
	Clients int       `json:"clients"`
	// Bytes is the sum of the clients' tx and rx byte counters as their
	// CAPs report them; the chart shows its rate between samples (a
	// client that leaves takes its bytes with it: a negative step counts
	// as none).
	Bytes uint64 `json:"bytes"`
}

// Defaults.
const (
	Every = time.Minute
	Keep  = 24 * 60
)

// Recorder samples with take every interval and keeps the last keep.
type Recorder struct {
	take  func() Sample
	every time.Duration
	mu    sync.Mutex
	ring  []Sample
	keep  int
	now   func() time.Time
}

// New returns a Recorder; Run starts it.
func New(take func() Sample, every time.Duration, keep int) *Recorder {
	return &Recorder{take: take, every: every, keep: keep, now: time.Now}
}

// Every is the interval between samples.
func (r *Recorder) Every() time.Duration { return r.every }

// Record takes one sample now.
func (r *Recorder) Record() {
	s := r.take()
	s.Time = r.now().UTC().Truncate(time.Second)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.ring) == r.keep {
		copy(r.ring, r.ring[1:])
		r.ring = r.ring[:r.keep-1]
	}
	r.ring = append(r.ring, s)
}

// Samples returns the kept samples since t, oldest first.
func (r *Recorder) Samples(since time.Time) []Sample {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := []Sample{}
	for _, s := range r.ring {
		if !s.Time.Before(since) {
			out = append(out, s)
		}
	}
	return out
}

// Run records a sample at once and then every interval until ctx ends.
func (r *Recorder) Run(ctx context.Context) {
	r.Record()
	t := time.NewTicker(r.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.Record()
		}
	}
}
