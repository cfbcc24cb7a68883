package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/capstan-wifi/capstan/manager/events"
)

// SetEvents serves bus at /api/v1/events (the kept events, JSON) and
// /api/v1/events/stream (Server-Sent Events). Call it before Serve.
func (s *Server) SetEvents(bus *events.Bus) { s.events = bus }

// heartbeat keeps an idle stream open through proxies.
const heartbeat = 15 * time.Second

func (s *Server) routeEvents(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/events", func(w http.ResponseWriter, r *http.Request) {
		if s.events == nil {
			writeJSON(w, http.StatusOK, []events.Event{})
			return
		}
		since, _ := strconv.ParseUint(r.URL.Query().Get("since"), 10, 64)
		writeJSON(w, http.StatusOK, s.events.Since(since))
	})
	mux.HandleFunc("GET /api/v1/events/stream", s.eventStream)
}

// eventStream sends the events after Last-Event-ID (or after ?since=),
// then each new one as it happens, with a comment every 15 s.
func (s *Server) eventStream(w http.ResponseWriter, r *http.Request) {
	if s.events == nil {
		writeError(w, http.StatusNotFound, "no event log")
		return
	}
	ch, stop, err := s.events.Subscribe()
	if errors.Is(err, events.ErrTooManySubscribers) {
		w.Header().Set("Retry-After", "10")
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	defer stop()
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's write timeout
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = r.URL.Query().Get("since")
	}
	var sent uint64
	if id, err := strconv.ParseUint(last, 10, 64); err == nil {
		for _, e := range s.events.Since(id) {
			if writeEvent(w, e) != nil {
				return
			}
			sent = e.ID
		}
	}
	if rc.Flush() != nil {
		return
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case e := <-ch:
			if e.ID <= sent {
				continue
			}
			if writeEvent(w, e) != nil || rc.Flush() != nil {
				return
			}
			sent = e.ID
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		}
	}
}

func writeEvent(w http.ResponseWriter, e events.Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "id: %d\nevent: log\ndata: %s\n\n", e.ID, b)
	return err
}
