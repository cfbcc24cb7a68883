// Package events is the manager's event log: what the control plane
// reports at level INFO and above (joins, losses, refusals, applied
// configurations, enrollments) kept in a bounded ring and handed to live
// subscribers, the web console's stream among them. It is fed by a
// slog.Handler placed in front of the manager's own, so every event is
// also a log line and no call site needs to know about it.
package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Event is one entry of the log.
type Event struct {
	ID      uint64            `json:"id"`
	Time    time.Time         `json:"time"`
	Level   string            `json:"level"`
	Message string            `json:"message"`
	Attrs   map[string]string `json:"attrs,omitempty"`
}

// Bounds.
const (
	DefaultKeep    = 1000 // events kept for a page that opens
	MaxSubscribers = 64   // live streams at once
	subQueue       = 256  // events a slow subscriber may fall behind
)

// ErrTooManySubscribers: every stream slot is taken.
var ErrTooManySubscribers = errors.New("too many event streams open")

// Bus keeps the last events and fans new ones out.
type Bus struct {
	mu   sync.Mutex
	ring []Event // a circle once full: the oldest at head
	head int
	keep int
	next uint64
	subs map[chan Event]struct{}
}

// NewBus keeps the last keep events.
func NewBus(keep int) *Bus {
	return &Bus{keep: keep, next: 1, subs: map[chan Event]struct{}{}}
}

// Publish numbers e, keeps it and sends it to every subscriber; one that
// has fallen subQueue events behind misses it (its stream resumes from
// the ring with Last-Event-ID).
func (b *Bus) Publish(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e.ID = b.next
	b.next++
	switch {
	case b.keep <= 0:
	case len(b.ring) < b.keep:
		b.ring = append(b.ring, e)
	default: // full: the oldest, at head, gives way
		b.ring[b.head] = e
		b.head = (b.head + 1) % b.keep
	}
	for ch := range b.subs {
		select {
		case ch <- e:
		default:
		}
	}
}

// Since returns the kept events after id, oldest first.
func (b *Bus) Since(id uint64) []Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := []Event{}
	for i := range b.ring {
		if e := b.ring[(b.head+i)%len(b.ring)]; e.ID > id {
			out = append(out, e)
		}
	}
	return out
}

// Subscribe returns a channel of new events and the function that ends
// the subscription.
func (b *Bus) Subscribe() (<-chan Event, func(), error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.subs) >= MaxSubscribers {
		return nil, nil, ErrTooManySubscribers
	}
	ch := make(chan Event, subQueue)
	b.subs[ch] = struct{}{}
	return ch, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.subs, ch)
	}, nil
}

// Handler passes every record to next and publishes those at level INFO
// and above to bus.
func Handler(next slog.Handler, bus *Bus) slog.Handler {
	return &handler{next: next, bus: bus}
}

type handler struct {
	next  slog.Handler
	bus   *Bus
	attrs []slog.Attr // from WithAttrs, group-qualified
	group string
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo || h.next.Enabled(ctx, l)
}

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelInfo {
		e := Event{Time: r.Time.UTC(), Level: r.Level.String(), Message: r.Message, Attrs: map[string]string{}}
		for _, a := range h.attrs {
			addAttr(e.Attrs, "", a)
		}
		r.Attrs(func(a slog.Attr) bool {
			addAttr(e.Attrs, h.group, a)
			return true
		})
		h.bus.Publish(e)
	}
	if h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func addAttr(m map[string]string, prefix string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	key := a.Key
	if prefix != "" {
		key = prefix + "." + key
	}
	if a.Value.Kind() == slog.KindGroup {
		for _, g := range a.Value.Group() {
			addAttr(m, key, g)
		}
		return
	}
	if len(m) < 32 {
		s := a.Value.String()
		if len(s) > 512 {
			s = s[:512]
		}
		m[key] = s
	}
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.next = h.next.WithAttrs(attrs)
	c.attrs = append([]slog.Attr(nil), h.attrs...)
	for _, a := range attrs {
		if h.group != "" {
			a = slog.Attr{Key: fmt.Sprintf("%s.%s", h.group, a.Key), Value: a.Value}
		}
		c.attrs = append(c.attrs, a)
	}
	return &c
}

func (h *handler) WithGroup(name string) slog.Handler {
	c := *h
	c.next = h.next.WithGroup(name)
	if c.group != "" {
		c.group += "." + name
	} else {
		c.group = name
	}
	return &c
}
