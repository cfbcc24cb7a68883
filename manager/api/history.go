package api

import (
	"net/http"
	"time"

	"github.com/capstan-wifi/capstan/manager/history"
)

// SetHistory serves rec at /api/v1/history. Call it before Serve.
func (s *Server) SetHistory(rec *history.Recorder) { s.history = rec }

// History is the answer of GET /api/v1/history.
type History struct {
	EverySeconds int              `json:"every_seconds"`
	Samples      []history.Sample `json:"samples"`
}

// routeHistory: GET /api/v1/history?hours=N (1 to 24, default 6).
func (s *Server) routeHistory(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/history", func(w http.ResponseWriter, r *http.Request) {
		if s.history == nil {
			writeJSON(w, http.StatusOK, History{Samples: []history.Sample{}})
			return
		}
		hours := 6
		if v := r.URL.Query().Get("hours"); v != "" {
			d, err := time.ParseDuration(v + "h")
			if err != nil || d < time.Hour || d > 24*time.Hour {
				writeJSON(w, http.StatusBadRequest, Error{Error: "hours: 1 to 24", Field: "hours"})
				return
			}
			hours = int(d.Hours())
		}
		writeJSON(w, http.StatusOK, History{EverySeconds: int(s.history.Every().Seconds()),
			Samples: s.history.Samples(time.Now().Add(-time.Duration(hours) * time.Hour))})
	})
}
