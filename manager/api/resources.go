package api

import (
	"errors"
	"fmt"
	"github.com/capstan-wifi/capstan/manager/fleetstore"
	"net/http"

	"github.com/capstan-wifi/capstan/manager/model"
)

// Error is the body of every failed request; Field names the setting at
// fault when there is one.
type Error struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

// routeResources serves every resource of the configuration model:
//
//	GET    /api/v1/<resource>                   list, secrets redacted
//	POST   /api/v1/<resource>                   add ({"key": value, …, "place-before": ref})
//	GET    /api/v1/<resource>/<ref>             one item
//	PATCH  /api/v1/<resource>/<ref>             set (null or "" unsets a field)
//	DELETE /api/v1/<resource>/<ref>             remove
//	POST   /api/v1/<resource>/<ref>/enable      and /disable
//	POST   /api/v1/<resource>/<ref>/move        {"destination": ref} ("" = to the end)
//
// A ref is a name, a position in list order, or *ID. Singletons (manager)
// have GET and PATCH on /api/v1/<resource> only.
func (s *Server) routeResources(mux *http.ServeMux) {
	for _, r := range model.Schema {
		base := "/api/v1/" + r.Name
		if r.Singleton {
			mux.HandleFunc("GET "+base, func(w http.ResponseWriter, _ *http.Request) {
				writeJSON(w, http.StatusOK, itemJSON(r, s.src.Store().Config().Items(r.Name)[0]))
			})
			mux.HandleFunc("PATCH "+base, func(w http.ResponseWriter, req *http.Request) { s.set(w, req, r, "0") })
			continue
		}
		mux.HandleFunc("GET "+base, func(w http.ResponseWriter, _ *http.Request) { s.list(w, r) })
		mux.HandleFunc("POST "+base, func(w http.ResponseWriter, req *http.Request) { s.add(w, req, r) })
		mux.HandleFunc("GET "+base+"/{ref}", func(w http.ResponseWriter, req *http.Request) {
			cfg := s.src.Store().Config()
			i, err := cfg.Find(r.Name, req.PathValue("ref"))
			if err != nil {
				writeError(w, http.StatusNotFound, err.Error())
				return
			}
			writeJSON(w, http.StatusOK, itemJSON(r, cfg.Items(r.Name)[i]))
		})
		mux.HandleFunc("PATCH "+base+"/{ref}", func(w http.ResponseWriter, req *http.Request) { s.set(w, req, r, req.PathValue("ref")) })
		mux.HandleFunc("DELETE "+base+"/{ref}", func(w http.ResponseWriter, req *http.Request) { s.remove(w, req, r) })
		mux.HandleFunc("POST "+base+"/{ref}/move", func(w http.ResponseWriter, req *http.Request) { s.move(w, req, r) })
		if r.HasField("disabled") {
			for verb, off := range map[string]bool{"enable": false, "disable": true} {
				mux.HandleFunc("POST "+base+"/{ref}/"+verb, func(w http.ResponseWriter, req *http.Request) {
					s.update(w, r, req.PathValue("ref"), model.Change{"disabled": off}, http.StatusOK)
				})
			}
		}
	}
}

// itemJSON is an item as the API shows it: its ID and its set fields,
// secrets redacted.
func itemJSON(r *model.Resource, it model.Item) map[string]any {
	out := model.Redacted(r, it)
	if !r.Singleton {
		out["id"] = it.ID
	}
	return out
}

// readChange decodes a JSON object of field values; extra names keys the
// request may carry beside fields, returned separately.
func readChange(w http.ResponseWriter, req *http.Request, extra ...string) (map[string]any, map[string]string, bool) {
	var raw map[string]any
	if !decodeBody(w, req, &raw, "body: want one JSON object of field values", false, true, false) {
		return nil, nil, false
	}
	if raw == nil {
		writeError(w, http.StatusBadRequest, "body: want one JSON object of field values")
		return nil, nil, false
	}
	opts := map[string]string{}
	for _, k := range extra {
		if v, ok := raw[k]; ok {
			s, isText := v.(string)
			if !isText {
				writeJSON(w, http.StatusBadRequest, Error{Error: k + ": want text", Field: k})
				return nil, nil, false
			}
			opts[k] = s
			delete(raw, k)
		}
	}
	return raw, opts, true
}

func (s *Server) add(w http.ResponseWriter, req *http.Request, r *model.Resource) {
	raw, opts, ok := readChange(w, req, "place-before")
	if !ok {
		return
	}
	ch, err := model.ParseChange(r, raw)
	if err != nil {
		writeModelError(w, err)
		return
	}
	var id int
	cfg, err := s.src.Store().Update(func(c *model.Config) error {
		before := -1
		if ref, ok := opts["place-before"]; ok && ref != "" {
			if before, err = c.Find(r.Name, ref); err != nil {
				return &model.FieldError{Resource: r.Name, Field: "place-before", Value: ref, Reason: "no such item"}
			}
		}
		id, err = c.Add(r.Name, ch, before)
		return err
	})
	if err != nil {
		writeModelError(w, err)
		return
	}
	i, _ := cfg.Find(r.Name, fmt.Sprintf("*%d", id))
	writeJSON(w, http.StatusCreated, itemJSON(r, cfg.Items(r.Name)[i]))
}

func (s *Server) set(w http.ResponseWriter, req *http.Request, r *model.Resource, ref string) {
	raw, _, ok := readChange(w, req)
	if !ok {
		return
	}
	ch, err := model.ParseChange(r, raw)
	if err != nil {
		writeModelError(w, err)
		return
	}
	s.update(w, r, ref, ch, http.StatusOK)
}

// update applies ch to the item ref and answers with the item.
func (s *Server) update(w http.ResponseWriter, r *model.Resource, ref string, ch model.Change, code int) {
	var id int
	cfg, err := s.src.Store().Update(func(c *model.Config) error {
		i := 0
		if !r.Singleton {
			var err error
			if i, err = c.Find(r.Name, ref); err != nil {
				return err
			}
		}
		id = c.Items(r.Name)[i].ID
		c.Set(r.Name, i, ch)
		return nil
	})
	if err != nil {
		writeModelError(w, err)
		return
	}
	i := 0
	if !r.Singleton {
		i, _ = cfg.Find(r.Name, fmt.Sprintf("*%d", id))
	}
	writeJSON(w, code, itemJSON(r, cfg.Items(r.Name)[i]))
}

func (s *Server) remove(w http.ResponseWriter, req *http.Request, r *model.Resource) {
	var removed model.Item
	_, err := s.src.Store().Update(func(c *model.Config) error {
		i, err := c.Find(r.Name, req.PathValue("ref"))
		if err != nil {
			return err
		}
		removed = c.Items(r.Name)[i]
		if err := c.Remove(r.Name, i); err != nil {
			return &conflict{err}
		}
		return nil
	})
	if err != nil {
		writeModelError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, itemJSON(r, removed))
}

func (s *Server) move(w http.ResponseWriter, req *http.Request, r *model.Resource) {
	_, opts, ok := readChange(w, req, "destination")
	if !ok {
		return
	}
	_, err := s.src.Store().Update(func(c *model.Config) error {
		i, err := c.Find(r.Name, req.PathValue("ref"))
		if err != nil {
			return err
		}
		to := len(c.Items(r.Name))
		if dest := opts["destination"]; dest != "" {
			if to, err = c.Find(r.Name, dest); err != nil {
				return &model.FieldError{Resource: r.Name, Field: "destination", Value: dest, Reason: "no such item"}
			}
		}
		c.Move(r.Name, i, to)
		return nil
	})
	if err != nil {
		writeModelError(w, err)
		return
	}
	s.list(w, r)
}

func (s *Server) list(w http.ResponseWriter, r *model.Resource) {
	items := s.src.Store().Config().Items(r.Name)
	out := make([]map[string]any, len(items))
	for i, it := range items {
		out[i] = itemJSON(r, it)
	}
	writeJSON(w, http.StatusOK, out)
}

// conflict is a change refused because of other items (a profile in use).
type conflict struct{ error }

func (c *conflict) Unwrap() error { return c.error }

func writeModelError(w http.ResponseWriter, err error) {
	var fe *model.FieldError
	var nf *model.ErrNotFound
	var cf *conflict
	var se *model.SaveError
	var fc *fleetstore.ConflictError
	var fu *fleetstore.UnavailableError
	switch {
	case errors.As(err, &fc):
		writeJSON(w, http.StatusConflict, Error{Error: err.Error()})
	case errors.As(err, &fu):
		writeJSON(w, http.StatusServiceUnavailable, Error{Error: err.Error()})
	case errors.As(err, &se):
		writeJSON(w, http.StatusInternalServerError, Error{Error: err.Error()})
	case errors.As(err, &nf):
		writeJSON(w, http.StatusNotFound, Error{Error: err.Error()})
	case errors.As(err, &cf):
		writeJSON(w, http.StatusConflict, Error{Error: err.Error()})
	case errors.As(err, &fe):
		writeJSON(w, http.StatusBadRequest, Error{Error: err.Error(), Field: fe.Field})
	default:
		writeJSON(w, http.StatusBadRequest, Error{Error: err.Error()})
	}
}

// storeStatus is 503 for a change the fleet store could not take (no
// quorum), 409 for one another manager's change overtook, else otherwise.
func storeStatus(err error, otherwise int) int {
	var fc *fleetstore.ConflictError
	var fu *fleetstore.UnavailableError
	switch {
	case errors.As(err, &fu):
		return http.StatusServiceUnavailable
	case errors.As(err, &fc):
		return http.StatusConflict
	}
	return otherwise
}
