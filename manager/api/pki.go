package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/capstan-wifi/capstan/pki"
)

// ExportRequest asks for a certificate in a file format.
type ExportRequest struct {
	Ref        string `json:"ref"`
	Format     string `json:"format"`
	Passphrase string `json:"passphrase,omitempty"`
	PrivateKey bool   `json:"private_key"`
}

// ImportRequest stores a certificate (and key) under a name.
type ImportRequest struct {
	Name       string `json:"name"`
	Data       []byte `json:"data"`
	Passphrase string `json:"passphrase,omitempty"`
}

// RevokeResult says what a revocation did.
type RevokeResult struct {
	Revoked      []string `json:"revoked"`
	Disconnected int      `json:"disconnected"`
}

// PasswordRequest makes a one-time enrollment password.
type PasswordRequest struct {
	Valid   string `json:"valid"` // Go duration, default 24h
	Comment string `json:"comment,omitempty"`
}

// NewPassword is a one-time password, shown once.
type NewPassword struct {
	ID       string    `json:"id"`
	Password string    `json:"password"`
	Expires  time.Time `json:"expires"`
}

// PasswordInfo describes a one-time password without its secret.
type PasswordInfo struct {
	ID      string     `json:"id"`
	Comment string     `json:"comment"`
	Created time.Time  `json:"created"`
	Expires time.Time  `json:"expires"`
	UsedAt  *time.Time `json:"used_at,omitempty"`
	UsedBy  string     `json:"used_by,omitempty"`
}

// RequestInfo is an enrollment request as the API shows it.
type RequestInfo struct {
	ID          string    `json:"id"`
	CommonName  string    `json:"common_name"`
	Address     string    `json:"address"`
	Via         string    `json:"via"`
	State       string    `json:"state"`
	RequestedAt time.Time `json:"requested_at"`
	// Replaces is the valid certificate ("CAP-… serial …") approving this
	// request would supersede: another key for a name that has one.
	Replaces string `json:"replaces,omitempty"`
}

// requestInfo leaves out the CSR and key hash the API does not show.
func requestInfo(q pki.Request) RequestInfo {
	return RequestInfo{ID: q.ID, CommonName: q.CommonName, Address: q.Address, Via: q.Via, State: q.State,
		RequestedAt: q.RequestedAt, Replaces: q.Replaces}
}

func (s *Server) routePKI(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/certificates", func(w http.ResponseWriter, _ *http.Request) {
		certs, err := s.pki.Certificates()
		if err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, certs)
	})
	mux.HandleFunc("POST /api/v1/certificates/export", func(w http.ResponseWriter, r *http.Request) {
		var in ExportRequest
		if !readJSON(w, r, &in) {
			return
		}
		data, err := s.pki.Export(in.Ref, in.Format, in.Passphrase, in.PrivateKey)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string][]byte{"data": data})
	})
	mux.HandleFunc("POST /api/v1/certificates/import", func(w http.ResponseWriter, r *http.Request) {
		var in ImportRequest
		if !readJSON(w, r, &in) {
			return
		}
		info, err := s.pki.Import(in.Name, in.Data, in.Passphrase)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, http.StatusCreated, info)
	})
	mux.HandleFunc("POST /api/v1/certificates/revoke", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Ref string `json:"ref"`
		}
		if !readJSON(w, r, &in) {
			return
		}
		serials, err := s.pki.Revoke(in.Ref)
		if err != nil {
			writeError(w, storeStatus(err, http.StatusBadRequest), err.Error())
			return
		}
		writeJSON(w, http.StatusOK, RevokeResult{Revoked: serials, Disconnected: s.src.Disconnect(serials)})
	})
	mux.HandleFunc("GET /api/v1/enrollment-requests", func(w http.ResponseWriter, _ *http.Request) {
		out := []RequestInfo{}
		for _, q := range s.pki.Requests() {
			out = append(out, requestInfo(q))
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("POST /api/v1/enrollment-requests/approve-all", func(w http.ResponseWriter, _ *http.Request) {
		qs, err := s.pki.ApproveAll()
		if err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		out := []RequestInfo{}
		for _, q := range qs {
			out = append(out, requestInfo(q))
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("GET /api/v1/enrollment-preapproved", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, append([]string{}, s.pki.PreApproved()...))
	})
	mux.HandleFunc("POST /api/v1/enrollment-preapproved", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Pattern string `json:"pattern"`
			Remove  bool   `json:"remove"`
		}
		if !readJSON(w, r, &in) {
			return
		}
		if err := s.pki.PreApprove(in.Pattern, in.Remove); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error(), "field": "pattern"})
			return
		}
		writeJSON(w, http.StatusOK, append([]string{}, s.pki.PreApproved()...))
	})
	mux.HandleFunc("POST /api/v1/enrollment-requests/{id}/{action}", func(w http.ResponseWriter, r *http.Request) {
		state, ok := map[string]string{"approve": pki.RequestApproved, "reject": pki.RequestRejected, "remove": "removed"}[r.PathValue("action")]
		if !ok {
			writeError(w, http.StatusNotFound, fmt.Sprintf("action %q: want approve, reject or remove", r.PathValue("action")))
			return
		}
		q, err := s.pki.Decide(r.PathValue("id"), state)
		if err != nil {
			writeError(w, http.StatusNotFound, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, requestInfo(q))
	})
	mux.HandleFunc("GET /api/v1/enrollment-passwords", func(w http.ResponseWriter, _ *http.Request) {
		out := []PasswordInfo{}
		for _, p := range s.pki.Passwords() {
			out = append(out, PasswordInfo{ID: p.ID, Comment: p.Comment, Created: p.Created, Expires: p.Expires, UsedAt: p.UsedAt, UsedBy: p.UsedBy})
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("POST /api/v1/enrollment-passwords", func(w http.ResponseWriter, r *http.Request) {
		in := PasswordRequest{Valid: "24h"}
		if !readJSON(w, r, &in) {
			return
		}
		valid, err := time.ParseDuration(in.Valid)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("valid %q: %v", in.Valid, err))
			return
		}
		p, secret, err := s.pki.AddPassword(valid, in.Comment)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, http.StatusCreated, NewPassword{ID: p.ID, Password: secret, Expires: p.Expires})
	})
}

// readJSON decodes a request body (at most 1 MiB, no unknown fields),
// answering 400 itself when it cannot.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	return decodeBody(w, r, v, "request body", true, false, true)
}
