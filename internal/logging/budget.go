package logging

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Budget bounds the lines a process logs, whatever floods it: beyond
// PerSecond lines a second (bursts of Burst) lines below Error are
// dropped, and a line saying how many were dropped follows once the
// budget allows again, at most every 10 s. Errors are always written.
type Budget struct {
	PerSecond float64
	Burst     int
}

// DefaultBudget: 200 lines a second, bursts of 2,000 (a storm of joins
// logs its start, then a summary).
var DefaultBudget = Budget{PerSecond: 200, Burst: 2000}

// Limit wraps h in the budget.
func (b Budget) Limit(h slog.Handler) slog.Handler {
	return &budgetHandler{h: h, st: &budgetState{lim: rate.NewLimiter(rate.Limit(b.PerSecond), b.Burst)}}
}

type budgetState struct {
	lim     *rate.Limiter
	mu      sync.Mutex
	dropped int
	since   time.Time
	said    time.Time // when the last count of dropped lines was written
}

// summaryEvery: the count of dropped lines is written at most this often.
const summaryEvery = 10 * time.Second

type budgetHandler struct {
	h  slog.Handler
	st *budgetState
}

func (b *budgetHandler) Enabled(ctx context.Context, l slog.Level) bool { return b.h.Enabled(ctx, l) }

func (b *budgetHandler) Handle(ctx context.Context, r slog.Record) error {
	st := b.st
	if r.Level < slog.LevelError && !st.lim.Allow() {
		st.mu.Lock()
		if st.dropped == 0 {
			st.since = r.Time
		}
		st.dropped++
		st.mu.Unlock()
		return nil
	}
	st.mu.Lock()
	dropped, since := st.dropped, st.since
	if dropped > 0 && r.Time.Sub(st.said) >= summaryEvery {
		st.dropped, st.said = 0, r.Time
	} else {
		dropped = 0 // said at most every summaryEvery; the count goes on
	}
	st.mu.Unlock()
	if dropped > 0 {
		note := slog.NewRecord(r.Time, slog.LevelWarn, "log lines dropped: over the log budget", 0)
		note.AddAttrs(slog.Int("dropped", dropped), slog.Time("since", since))
		_ = b.h.Handle(ctx, note)
	}
	return b.h.Handle(ctx, r)
}

func (b *budgetHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &budgetHandler{h: b.h.WithAttrs(as), st: b.st}
}

func (b *budgetHandler) WithGroup(name string) slog.Handler {
	return &budgetHandler{h: b.h.WithGroup(name), st: b.st}
}
