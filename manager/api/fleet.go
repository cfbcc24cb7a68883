package api

import (
	"context"
	"net/http"
	"time"
)

// FleetMember is one manager of the fleet (GET /api/v1/fleet).
type FleetMember struct {
	Name    string    `json:"name"`
	Control string    `json:"control"`
	Version string    `json:"version"`
	Since   time.Time `json:"since"`
	Leader  bool      `json:"leader"`
	CAPs    int       `json:"caps"`
}

// SetFleet gives the API the fleet's managers, when this manager shares a
// fleet store; call it before Serve.
func (s *Server) SetFleet(members func(context.Context) []FleetMember) { s.fleet = members }

func (s *Server) routeFleet(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/fleet", func(w http.ResponseWriter, r *http.Request) {
		if s.fleet == nil {
			writeError(w, http.StatusNotFound, "this manager shares no fleet store (serve --store)")
			return
		}
		writeJSON(w, http.StatusOK, s.fleet(r.Context()))
	})
}
