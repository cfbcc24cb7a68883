package api

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/capstan-wifi/capstan/manager/admin"
	"github.com/capstan-wifi/capstan/manager/events"
)

// CookieName is the web console's session cookie.
const CookieName = "capstan_session"

// CSRFHeader carries a session's CSRF token with every change a browser
// makes.
const CSRFHeader = "X-CSRF-Token"

// SessionInfo is what a login (and GET /api/v1/session) answers.
type SessionInfo struct {
	User  string      `json:"user"`
	Group admin.Group `json:"group"`
	CSRF  string      `json:"csrf_token"`
}

// authenticate lets a request through with the bearer token (the CLI,
// automation: everything) or a session cookie. A session's change (any
// method but GET and HEAD) must come from the same origin, carry the
// session's CSRF token and be a full user's: a read user changes nothing,
// whatever the page shows.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := r.Header.Get("Authorization"); h != "" {
			scheme, got, _ := strings.Cut(h, " ")
			if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(got), []byte(s.token)) != 1 {
				writeError(w, http.StatusUnauthorized, "missing or wrong bearer token")
				return
			}
			s.serveAudited(w, r, next, "token")
			return
		}
		c, err := r.Cookie(CookieName)
		if err != nil {
			writeError(w, http.StatusUnauthorized, "log in, or send the bearer token")
			return
		}
		ses, ok := s.sessions.Get(c.Value)
		if !ok {
			writeError(w, http.StatusUnauthorized, "session expired or ended: log in again")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if why := crossOrigin(r); why != "" {
				writeError(w, http.StatusForbidden, why)
				return
			}
			if subtle.ConstantTimeCompare([]byte(r.Header.Get(CSRFHeader)), []byte(ses.CSRF)) != 1 {
				writeError(w, http.StatusForbidden, "missing or wrong "+CSRFHeader+" header")
				return
			}
			if ses.Group != admin.Full && r.URL.Path != "/api/v1/logout" {
				writeError(w, http.StatusForbidden, fmt.Sprintf("user %s is in group %s: it changes nothing", ses.User, ses.Group))
				return
			}
		}
		s.serveAudited(w, r.WithContext(withSession(r.Context(), ses, c.Value)), next, ses.User)
	})
}

// serveAudited serves r and, for a change (any method but GET and HEAD),
// puts it in the event log: who, what and how it ended.
func (s *Server) serveAudited(w http.ResponseWriter, r *http.Request, next http.Handler, who string) {
	if s.events == nil || r.Method == http.MethodGet || r.Method == http.MethodHead {
		next.ServeHTTP(w, r)
		return
	}
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	next.ServeHTTP(rec, r)
	level := "INFO"
	if rec.status >= 400 {
		level = "WARN"
	}
	s.audit(level, "API change", "user", who, "method", r.Method, "path", r.URL.Path, "status", strconv.Itoa(rec.status))
}

// statusRecorder remembers the status a handler answered.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// crossOrigin says why a change is refused as another site's, "" if it is
// not: browsers send Origin (and Sec-Fetch-Site) with every POST.
func crossOrigin(r *http.Request) string {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return "cross-site request refused (Sec-Fetch-Site: " + site + ")"
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return "cross-origin request refused (Origin " + o + ")"
		}
	}
	return ""
}

// login checks a name and password and starts a session: the cookie
// (HttpOnly, Secure, SameSite=Strict) and its CSRF token in the answer.
// Attempts are limited per source address and per name; a refused one
// checks no password.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name     string `json:"name"`
		Password string `json:"password"`
	}
	// Another site's page must not log a browser in either (login CSRF).
	if why := crossOrigin(r); why != "" {
		writeError(w, http.StatusForbidden, why)
		return
	}
	if !decodeBody(w, r, &in, "{name, password}", false, false, true) {
		return
	}
	source, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		source = r.RemoteAddr
	}
	if !s.logins.Allow(source, in.Name) {
		s.audit("WARN", "login refused: too many attempts", "user", in.Name, "source", source)
		w.Header().Set("Retry-After", "30")
		writeError(w, http.StatusTooManyRequests, "too many login attempts: wait and try again")
		return
	}
	u, ok := s.admins.Verify(in.Name, in.Password)
	if !ok {
		s.audit("WARN", "login failed", "user", in.Name, "source", source)
		writeError(w, http.StatusUnauthorized, "wrong name or password")
		return
	}
	s.audit("INFO", "login", "user", u.Name, "source", source)
	token, ses, err := s.sessions.New(u)
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, admin.ErrTooManySessions) {
			status = http.StatusServiceUnavailable
		}
		writeError(w, status, err.Error())
		return
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: token, Path: "/", HttpOnly: true, Secure: true,
		SameSite: http.SameSiteStrictMode, MaxAge: int(admin.MaxAge.Seconds())})
	writeJSON(w, http.StatusOK, SessionInfo{User: ses.User, Group: ses.Group, CSRF: ses.CSRF})
}

// session answers who is logged in, with the CSRF token (a reloaded page
// asks).
func (s *Server) session(w http.ResponseWriter, r *http.Request) {
	ses, _, ok := sessionOf(r.Context())
	if !ok {
		writeError(w, http.StatusBadRequest, "not a browser session (bearer token)")
		return
	}
	writeJSON(w, http.StatusOK, SessionInfo{User: ses.User, Group: ses.Group, CSRF: ses.CSRF})
}

// logout ends the session and clears the cookie.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if _, token, ok := sessionOf(r.Context()); ok {
		s.sessions.End(token)
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", HttpOnly: true, Secure: true,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
	w.WriteHeader(http.StatusNoContent)
}

// audit puts an entry in the event log, if there is one; kv are
// attribute names and values.
func (s *Server) audit(level, msg string, kv ...string) {
	if s.events == nil {
		return
	}
	attrs := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		if len(kv[i+1]) > 64 {
			kv[i+1] = kv[i+1][:64]
		}
		attrs[kv[i]] = kv[i+1]
	}
	s.events.Publish(events.Event{Time: time.Now().UTC(), Level: level, Message: msg, Attrs: attrs})
}
