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
	mux.HandleFunc("GET /api/v1/provisioned-interfaces", func(w http.ResponseWriter, _ *http.Request) {
		rows := s.src.Interfaces()
		if rows == nil {
			rows = []provision.Interface{}
		}
		writeJSON(w, http.StatusOK, rows)
	})
	mux.HandleFunc("POST /api/v1/remote-caps/{ref}/provision", s.capAction(15*time.Second, s.src.ProvisionCAP))
	// A scan takes seconds per radio, and the CAP gets 20 s to report it.
	mux.HandleFunc("POST /api/v1/remote-caps/{ref}/reselect-channel", s.capAction(90*time.Second, s.src.ReselectChannels))
}

// capAction serves an action on one CAP that answers with its interfaces.
func (s *Server) capAction(timeout time.Duration, act func(context.Context, string) ([]provision.Interface, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		ifs, err := act(ctx, r.PathValue("ref"))
		if err != nil {
			code := http.StatusInternalServerError
			switch {
			case errors.Is(err, controlplane.ErrNoCAP):
				code = http.StatusNotFound
			case errors.Is(err, controlplane.ErrNoOpenChannel):
				code = http.StatusConflict
			}
			writeError(w, code, err.Error())
			return
		}
		if ifs == nil {
			ifs = []provision.Interface{}
		}
		writeJSON(w, http.StatusOK, ifs)
	}
}

func (s *Server) removeStation(w http.ResponseWriter, r *http.Request) {
	var req RemoveStationRequest
	if !readJSON(w, r, &req) {
		return
	}
	mac, err := net.ParseMAC(req.MAC)
	if err != nil || len(mac) != 6 {
		writeJSON(w, http.StatusBadRequest, Error{Error: "mac: " + req.MAC + " is not a MAC address", Field: "mac"})
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
