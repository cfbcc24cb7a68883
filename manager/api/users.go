package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/capstan-wifi/capstan/manager/admin"
)

type sessionKey struct{}

type sessionValue struct {
	ses   *admin.Session
	token string
}

func withSession(ctx context.Context, ses *admin.Session, token string) context.Context {
	return context.WithValue(ctx, sessionKey{}, sessionValue{ses, token})
}

// sessionOf returns the browser session of a request, if it came with one.
func sessionOf(ctx context.Context) (*admin.Session, string, bool) {
	v, ok := ctx.Value(sessionKey{}).(sessionValue)
	return v.ses, v.token, ok
}

// UserChange is the body of POST /api/v1/users and PATCH
// /api/v1/users/{name}.
type UserChange struct {
	Name     string      `json:"name,omitempty"`
	Group    admin.Group `json:"group,omitempty"`
	Password string      `json:"password,omitempty"`
}

func (s *Server) routeUsers(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/users", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.admins.List())
	})
	mux.HandleFunc("POST /api/v1/users", func(w http.ResponseWriter, r *http.Request) {
		var in UserChange
		if !readJSON(w, r, &in) {
			return
		}
		if in.Group == "" {
			in.Group = admin.Read
		}
		if err := s.admins.Add(in.Name, in.Group, in.Password); err != nil {
			writeUserError(w, err)
			return
		}
		u, _ := s.admins.Lookup(in.Name)
		writeJSON(w, http.StatusCreated, u)
	})
	mux.HandleFunc("PATCH /api/v1/users/{name}", func(w http.ResponseWriter, r *http.Request) {
		var in UserChange
		if !readJSON(w, r, &in) {
			return
		}
		name := r.PathValue("name")
		if in.Name != "" && in.Name != name {
			writeError(w, http.StatusBadRequest, "a user cannot be renamed: add a new one")
			return
		}
		if err := s.admins.Set(name, in.Group, in.Password); err != nil {
			writeUserError(w, err)
			return
		}
		// A new group or password ends the user's sessions.
		s.sessions.EndUser(name)
		u, _ := s.admins.Lookup(name)
		writeJSON(w, http.StatusOK, u)
	})
	mux.HandleFunc("DELETE /api/v1/users/{name}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		if err := s.admins.Remove(name); err != nil {
			writeUserError(w, err)
			return
		}
		s.sessions.EndUser(name)
		w.WriteHeader(http.StatusNoContent)
	})
}

func writeUserError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, admin.ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, admin.ErrExists), errors.Is(err, admin.ErrLastFull):
		writeError(w, http.StatusConflict, err.Error())
	default:
		writeError(w, http.StatusBadRequest, err.Error())
	}
}

// Users are the administrators of the web console.
func (s *Server) Users() *admin.Store { return s.admins }

// SetUsers replaces the administrators (the fleet's, when several managers
// share them); call it before Serve.
func (s *Server) SetUsers(u *admin.Store) { s.admins = u }
