package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// listQuery is what a list's query string asks for: rows whose fields
// equal the values given (match; nil for all), a page of them and their
// count, or the count alone.
type listQuery[T any] struct {
	match     func(*T) bool
	offset    int
	limit     int // -1: no limit
	countOnly bool
}

// parseList reads field=value filters (field one of fields; "*" keeps rows
// where the field is set at all), offset, limit (1 to MaxPage; defLimit
// when absent, -1 for all) and count-only.
func parseList[T any](q url.Values, fields map[string]func(*T) string, defLimit int) (listQuery[T], *Error) {
	type cond struct {
		get  func(*T) string
		want string
	}
	var where []cond
	lq := listQuery[T]{limit: defLimit}
	for k, vs := range q {
		v := vs[len(vs)-1]
		switch k {
		case "offset", "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || (k == "limit" && (n < 1 || n > MaxPage)) {
				return lq, &Error{Error: fmt.Sprintf("%s=%q: want a whole number (limit 1 to %d)", k, v, MaxPage), Field: k}
			}
			if k == "offset" {
				lq.offset = n
			} else {
				lq.limit = n
			}
		case "count-only":
			lq.countOnly = v == "" || v == "true" || v == "yes"
		default:
			get, ok := fields[k]
			if !ok {
				return lq, &Error{Error: fmt.Sprintf("no field %q to filter on", k), Field: k}
			}
			where = append(where, cond{get, v})
		}
	}
	if len(where) > 0 {
		lq.match = func(r *T) bool {
			for _, cd := range where {
				if v := cd.get(r); v != cd.want && (cd.want != "*" || v == "") {
					return false
				}
			}
			return true
		}
	}
	return lq, nil
}

// serveList answers a list's GET: the query parsed against fields (with
// defLimit when it names no limit), then {"count": N}, or the page with the
// number of matching rows in X-Total-Count.
func serveList[T any](fields map[string]func(*T) string, defLimit int, page func(listQuery[T]) ([]T, int)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		lq, bad := parseList(r.URL.Query(), fields, defLimit)
		if bad != nil {
			writeJSON(w, http.StatusBadRequest, bad)
			return
		}
		if lq.countOnly {
			lq.offset, lq.limit = 0, 0
			_, n := page(lq)
			writeJSON(w, http.StatusOK, Count{Count: n})
			return
		}
		rows, total := page(lq)
		if rows == nil {
			rows = []T{}
		}
		w.Header().Set("X-Total-Count", strconv.Itoa(total))
		writeJSON(w, http.StatusOK, rows)
	}
}
