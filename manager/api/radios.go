package api

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/capstan-wifi/capstan/manager/controlplane"
	"github.com/capstan-wifi/capstan/manager/provision"
)

// registrationFields are the registration-table fields a query may filter
// on, by JSON name.
var registrationFields = map[string]func(*controlplane.Registration) string{
	"interface": func(r *controlplane.Registration) string { return r.Interface },
	"cap":       func(r *controlplane.Registration) string { return r.CAP },
	"radio_id":  func(r *controlplane.Registration) string { return strconv.Itoa(int(r.RadioID)) },
	"wlan_id":   func(r *controlplane.Registration) string { return strconv.Itoa(int(r.WLANID)) },
	"mac":       func(r *controlplane.Registration) string { return r.MAC },
	"ssid":      func(r *controlplane.Registration) string { return r.SSID },
	"access":    func(r *controlplane.Registration) string { return r.Access },
	"manager":   func(r *controlplane.Registration) string { return r.Manager },
}

// interfaceFields are the provisioned-interface fields a query may filter
// on, by JSON name.
var interfaceFields = map[string]func(*provision.Interface) string{
	"name":             func(i *provision.Interface) string { return i.Name },
	"cap":              func(i *provision.Interface) string { return i.CAP },
	"master_interface": func(i *provision.Interface) string { return i.Master },
	"radio_id":         func(i *provision.Interface) string { return strconv.Itoa(int(i.RadioID)) },
	"radio_mac":        func(i *provision.Interface) string { return i.RadioMAC },
	"wlan_id":          func(i *provision.Interface) string { return strconv.Itoa(int(i.WLANID)) },
	"configuration":    func(i *provision.Interface) string { return i.Configuration },
	"static":           func(i *provision.Interface) string { return strconv.FormatBool(i.Static) },
	"disabled":         func(i *provision.Interface) string { return strconv.FormatBool(i.Disabled) },
	"error":            func(i *provision.Interface) string { return i.Error },
}

// RemoveStationRequest names a client to disconnect.
type RemoveStationRequest struct {
	MAC string `json:"mac"`
}

func (s *Server) routeRadios(mux *http.ServeMux) {
	// Both lists page and filter as remote-caps does; without offset or
	// limit they answer every row, as they did before paging.
	mux.HandleFunc("GET /api/v1/registration-table", serveList(registrationFields, -1, func(q listQuery[controlplane.Registration]) ([]controlplane.Registration, int) {
		return controlplane.PageRows(s.src.RegistrationTable(), q.match, q.offset, q.limit)
	}))
	mux.HandleFunc("POST /api/v1/registration-table/remove", s.removeStation)
	mux.HandleFunc("GET /api/v1/provisioned-interfaces", serveList(interfaceFields, -1, func(q listQuery[provision.Interface]) ([]provision.Interface, int) {
		return controlplane.PageRows(s.src.Interfaces(), q.match, q.offset, q.limit)
	}))
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
