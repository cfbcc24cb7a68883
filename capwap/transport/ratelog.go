package transport

import (
	"log/slog"
	"sync"
	"time"
)

// LogLimiter logs a problem at most once per key (a peer) per interval and
// counts what it held back, so that a peer sending garbage cannot flood the
// log. The zero value is not usable; use NewLogLimiter.
type LogLimiter struct {
	log   *slog.Logger
	attr  string // the key's name in the line, "" for none
	every time.Duration
	mu    sync.Mutex
	seen  map[string]*limitState
}

type limitState struct {
	last       time.Time
	suppressed int
}

// maxLimiterKeys bounds the memory one limiter uses under a spoofed flood.
const maxLimiterKeys = 4096

// NewLogLimiter returns a limiter writing to log (nil = silent).
func NewLogLimiter(log *slog.Logger, every time.Duration) *LogLimiter {
	return &LogLimiter{log: log, attr: "peer", every: every, seen: map[string]*limitState{}}
}

// NewKindLimiter is a limiter whose keys are kinds of trouble of one peer
// already named by log: the key is not printed.
func NewKindLimiter(log *slog.Logger, every time.Duration) *LogLimiter {
	l := NewLogLimiter(log, every)
	l.attr = ""
	return l
}

// Warn logs msg for key unless key was logged within the interval.
func (l *LogLimiter) Warn(key, msg string, args ...any) {
	if l == nil || l.log == nil {
		return
	}
	now := time.Now()
	l.mu.Lock()
	st, ok := l.seen[key]
	if !ok {
		if len(l.seen) >= maxLimiterKeys {
			clear(l.seen)
		}
		st = &limitState{}
		l.seen[key] = st
	}
	if ok && now.Sub(st.last) < l.every {
		st.suppressed++
		l.mu.Unlock()
		return
	}
	suppressed := st.suppressed
	st.last, st.suppressed = now, 0
	l.mu.Unlock()
	if suppressed > 0 {
		args = append(args, "suppressed", suppressed)
	}
	if l.attr != "" {
		args = append([]any{l.attr, key}, args...)
	}
	l.log.Warn(msg, args...)
}
