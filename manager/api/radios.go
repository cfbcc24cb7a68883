package api

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/capstan-wifi/capstan/manager/controlplane"
	"github.com/capstan-wifi/capstan/manager/provision"
)

// DefaultsChange is the answer to a change of the default configuration.
type DefaultsChange struct {
	Defaults provision.Defaults `json:"defaults"` // secrets redacted
	PushedTo int                `json:"pushed_to"`
}

// RemoveStationRequest names a client to disconnect.
type RemoveStationRequest struct {
	MAC string `json:"mac"`
}

func (s *Server) routeRadios(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/registration-table", func(w http.ResponseWriter, _ *http.Request) {
		rows := s.src.RegistrationTable()
		if rows == nil {
			rows = []controlplane.Registration{}
		}
		writeJSON(w, http.StatusOK, rows)
	})
	mux.HandleFunc("POST /api/v1/registration-table/remove", s.removeStation)
	mux.HandleFunc("GET /api/v1/default-configuration", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.src.Defaults().Redacted())
	})
	mux.HandleFunc("POST /api/v1/default-configuration", s.setDefaults)
}

func (s *Server) removeStation(w http.ResponseWriter, r *http.Request) {
	var req RemoveStationRequest
	if !readJSON(w, r, &req) {
		return
	}
	mac, err := net.ParseMAC(req.MAC)
	if err != nil || len(mac) != 6 {
		writeError(w, http.StatusBadRequest, "mac: "+req.MAC+" is not a MAC address")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	if err := s.src.RemoveStation(ctx, mac); err != nil {
		code := http.StatusBadGateway
		if errors.Is(err, controlplane.ErrNoStation) {
			code = http.StatusNotFound
		}
		writeError(w, code, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"removed": mac.String()})
}

// setDefaults takes key=value settings (CLI keys) as a JSON object,
// validates the result, writes it to the state directory and only then
// pushes it to the CAPs.
func (s *Server) setDefaults(w http.ResponseWriter, r *http.Request) {
	var params map[string]string
	if !readJSON(w, r, &params) {
		return
	}
	s.defaultsMu.Lock()
	defer s.defaultsMu.Unlock()
	d, err := s.src.Defaults().Apply(params)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := provision.Save(s.stateDir, d); err != nil {
		writeError(w, http.StatusInternalServerError, "save: "+err.Error())
		return
	}
	n, err := s.src.SetDefaults(d)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, DefaultsChange{Defaults: d.Redacted(), PushedTo: n})
}
