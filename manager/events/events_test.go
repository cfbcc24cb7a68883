package events

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestHandlerPublishesInfoAndAbove(t *testing.T) {
	bus := NewBus(3)
	var out strings.Builder
	log := slog.New(Handler(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelWarn}), bus))
	log.Debug("not an event")
	log.With("component", "cp").Info("CAP joined", "cap", "cap1", slog.Group("radio", "id", 1))
	log.Warn("join failed", "peer", "192.0.2.1:5246")
	got := bus.Since(0)
	if len(got) != 2 || got[0].Message != "CAP joined" || got[0].Attrs["cap"] != "cap1" || got[0].Attrs["component"] != "cp" ||
		got[0].Attrs["radio.id"] != "1" || got[1].Level != "WARN" || got[1].ID != got[0].ID+1 {
		t.Fatalf("events %+v", got)
	}
	if strings.Contains(out.String(), "CAP joined") || !strings.Contains(out.String(), "join failed") {
		t.Errorf("the next handler's level was not kept:\n%s", out.String())
	}
	for i := range 5 {
		log.Info("e", "i", i)
	}
	if got := bus.Since(0); len(got) != 3 || got[2].Attrs["i"] != "4" {
		t.Errorf("ring of 3 kept %+v", got)
	}
}

func TestSubscribe(t *testing.T) {
	bus := NewBus(10)
	ch, stop, err := bus.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	bus.Publish(Event{Message: "hello"})
	select {
	case e := <-ch:
		if e.Message != "hello" {
			t.Fatalf("got %+v", e)
		}
	case <-time.After(time.Second):
		t.Fatal("no event")
	}
	stop()
	// A subscriber that never reads costs the publisher nothing.
	for range MaxSubscribers {
		if _, _, err := bus.Subscribe(); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := bus.Subscribe(); err != ErrTooManySubscribers {
		t.Fatalf("subscriber %d: %v", MaxSubscribers+1, err)
	}
	done := make(chan struct{})
	go func() {
		for range 10 * subQueue {
			bus.Publish(Event{Message: "flood"})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("publishing blocked on subscribers that do not read")
	}
}

// The bus keeps the last events, oldest first, however often it wrapped.
func TestBusKeepsTheLastEvents(t *testing.T) {
	b := NewBus(3)
	for i := range 8 {
		b.Publish(Event{Message: fmt.Sprint(i)})
		var ids []uint64
		for _, e := range b.Since(0) {
			ids = append(ids, e.ID)
		}
		first := uint64(max(1, i-1))
		want := []uint64{}
		for id := first; id <= uint64(i)+1; id++ {
			want = append(want, id)
		}
		if !slices.Equal(ids, want) {
			t.Fatalf("after %d events: kept %v, want %v", i+1, ids, want)
		}
	}
	if got := b.Since(7); len(got) != 1 || got[0].ID != 8 {
		t.Errorf("Since(7) = %v, want event 8 alone", got)
	}
}
