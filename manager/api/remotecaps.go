package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/capstan-wifi/capstan/manager/controlplane"
)

// capFields are the remote-cap fields a query may filter on, by JSON name.
var capFields = map[string]func(controlplane.RemoteCap) string{
	"identity":           func(c controlplane.RemoteCap) string { return c.Identity },
	"address":            func(c controlplane.RemoteCap) string { return c.Address },
	"transport":          func(c controlplane.RemoteCap) string { return c.Transport },
	"base_mac":           func(c controlplane.RemoteCap) string { return c.BaseMAC },
	"board":              func(c controlplane.RemoteCap) string { return c.Board },
	"version":            func(c controlplane.RemoteCap) string { return c.Version },
	"state":              func(c controlplane.RemoteCap) string { return c.State },
	"common_name":        func(c controlplane.RemoteCap) string { return c.CommonName },
	"certificate_serial": func(c controlplane.RemoteCap) string { return c.CertificateSerial },
	"config_error":       func(c controlplane.RemoteCap) string { return c.ConfigError },
	"radios":             func(c controlplane.RemoteCap) string { return strconv.Itoa(c.Radios) },
	"clients":            func(c controlplane.RemoteCap) string { return strconv.Itoa(c.Clients) },
	"manager":            func(c controlplane.RemoteCap) string { return c.Manager },
}

// MaxPage is the most rows one page of a list returns.
const MaxPage = 5000

// Count is the answer to a count-only query.
type Count struct {
	Count int `json:"count"`
}

// remoteCaps lists the CAPs: every query parameter named after a field
// keeps the rows whose field equals it (state=run), or for "*" is set at
// all (config_error=*); offset and limit
// (at most MaxPage, the default) page the result, whose full length is in
// X-Total-Count; count-only=true answers {"count": N} alone.
func (s *Server) remoteCaps(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	type cond struct {
		get  func(controlplane.RemoteCap) string
		want string
	}
	var where []cond
	offset, limit, countOnly := 0, MaxPage, false
	for k, vs := range q {
		v := vs[len(vs)-1]
		switch k {
		case "offset", "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || (k == "limit" && (n < 1 || n > MaxPage)) {
				writeJSON(w, http.StatusBadRequest, Error{Error: fmt.Sprintf("%s=%q: want a whole number (limit 1 to %d)", k, v, MaxPage), Field: k})
				return
			}
			if k == "offset" {
				offset = n
			} else {
				limit = n
			}
		case "count-only":
			countOnly = v == "" || v == "true" || v == "yes"
		default:
			get, ok := capFields[k]
			if !ok {
				writeJSON(w, http.StatusBadRequest, Error{Error: fmt.Sprintf("no field %q to filter on", k), Field: k})
				return
			}
			where = append(where, cond{get, v})
		}
	}
	all := s.src.RemoteCaps()
	match := func(c controlplane.RemoteCap) bool {
		for _, cd := range where {
			if v := cd.get(c); v != cd.want && (cd.want != "*" || v == "") {
				return false
			}
		}
		return true
	}
	if countOnly {
		n := len(all)
		if len(where) > 0 {
			n = 0
			for _, c := range all {
				if match(c) {
					n++
				}
			}
		}
		writeJSON(w, http.StatusOK, Count{Count: n})
		return
	}
	rows := all // unfiltered: no copy of the whole table
	if len(where) > 0 {
		rows = all[:0:0]
		for _, c := range all {
			if match(c) {
				rows = append(rows, c)
			}
		}
	}
	w.Header().Set("X-Total-Count", strconv.Itoa(len(rows)))
	rows = rows[min(offset, len(rows)):]
	writeJSON(w, http.StatusOK, rows[:min(limit, len(rows))])
}
