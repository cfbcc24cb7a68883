package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
)

// MaxBody is the largest request body the API reads.
const MaxBody = 1 << 20

// decodeBody decodes the request body, one JSON object of at most MaxBody
// bytes sent as application/json, into v, and answers the client itself
// when it cannot: 415 for another media type, 413 for a larger body, 400
// for bad JSON or anything after the object (want says what was wanted). An empty body is allowed when
// emptyOK, leaving v as it is.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, want string, emptyOK, useNumber, strict bool) bool {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	ct := r.Header.Get("Content-Type")
	if ct != "" || !emptyOK || r.ContentLength > 0 {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			writeError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type %q: send application/json", ct))
			return false
		}
	}
	dec := json.NewDecoder(r.Body)
	if useNumber {
		dec.UseNumber()
	}
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", MaxBody))
		case errors.Is(err, io.EOF) && emptyOK:
			return true
		default:
			writeError(w, http.StatusBadRequest, want+": "+err.Error())
		}
		return false
	}
	// Exactly one JSON value: whatever follows it is an error, not ignored.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", MaxBody))
		} else {
			writeError(w, http.StatusBadRequest, want+": data after the JSON object")
		}
		return false
	}
	return true
}
