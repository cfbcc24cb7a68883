package api

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/capstan-wifi/capstan/manager/admin"
)

// browser is a test's web console: the session cookie and CSRF token it
// got at login.
type browser struct {
	t      *testing.T
	base   string
	cookie *http.Cookie
	csrf   string
}

func apiBase(t *testing.T, dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, AddressFile))
	if err != nil {
		t.Fatal(err)
	}
	return "http://" + strings.TrimSpace(string(b))
}

// do sends a request as the browser would; header adds or overrides
// headers ("" removes one).
func (b *browser) do(method, path string, body any, header map[string]string) (int, http.Header, map[string]any) {
	b.t.Helper()
	var rd *strings.Reader
	if body == nil {
		rd = strings.NewReader("")
	} else {
		j, _ := json.Marshal(body)
		rd = strings.NewReader(string(j))
	}
	req, _ := http.NewRequest(method, b.base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if b.cookie != nil {
		req.AddCookie(b.cookie)
	}
	if b.csrf != "" {
		req.Header.Set(CSRFHeader, b.csrf)
	}
	req.Header.Set("Origin", b.base)
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, resp.Header, out
}

func (b *browser) login(name, password string) int {
	b.t.Helper()
	code, h, out := b.do("POST", "/api/v1/login", map[string]string{"name": name, "password": password}, nil)
	if code != http.StatusOK {
		return code
	}
	resp := http.Response{Header: h}
	for _, c := range resp.Cookies() {
		if c.Name == CookieName {
			if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/" {
				b.t.Errorf("session cookie %+v: want HttpOnly, Secure, SameSite=Strict, Path=/", c)
			}
			b.cookie = c
		}
	}
	b.csrf, _ = out["csrf_token"].(string)
	if b.cookie == nil || len(b.csrf) != 64 {
		b.t.Fatalf("login answered %v without a session cookie and CSRF token", out)
	}
	return code
}

// TestBrowserSessions: logins, the session cookie, CSRF, origin checks,
// the read group refused every change by the API itself, logout, and a
// password change ending the user's sessions.
func TestBrowserSessions(t *testing.T) {
	c, dir := serve(t)
	for _, u := range []UserChange{{Name: "admin", Group: admin.Full, Password: "an admin's long password"},
		{Name: "viewer", Group: admin.Read, Password: "a viewer's long password"}} {
		if err := call(t, c, "POST", "/api/v1/users", u, nil); err != nil {
			t.Fatalf("add user %s: %v", u.Name, err)
		}
	}
	base := apiBase(t, dir)
	anon := &browser{t: t, base: base}
	if code, _, _ := anon.do("GET", "/api/v1/remote-caps", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("no cookie, no token: %d, want 401", code)
	}
	if code := anon.login("admin", "not the password"); code != http.StatusUnauthorized {
		t.Errorf("wrong password: %d, want 401", code)
	}
	if code, _, _ := anon.do("POST", "/api/v1/login", map[string]string{"name": "admin", "password": "an admin's long password"},
		map[string]string{"Origin": "http://evil.example"}); code != http.StatusForbidden {
		t.Errorf("a login posted by another site: %d, want 403", code)
	}

	a := &browser{t: t, base: base}
	a.login("admin", "an admin's long password")
	if code, _, out := a.do("GET", "/api/v1/session", nil, nil); code != http.StatusOK || out["user"] != "admin" || out["csrf_token"] != a.csrf {
		t.Errorf("GET session: %d %v", code, out)
	}
	newUser := map[string]string{"name": "ops", "group": "read", "password": "an operator's password"}
	for name, h := range map[string]map[string]string{
		"no CSRF token":    {CSRFHeader: ""},
		"wrong CSRF token": {CSRFHeader: strings.Repeat("0", 64)},
		"another origin":   {"Origin": "http://evil.example"},
		"cross-site fetch": {"Sec-Fetch-Site": "cross-site"},
	} {
		if code, _, out := a.do("POST", "/api/v1/users", newUser, h); code != http.StatusForbidden {
			t.Errorf("%s: %d %v, want 403", name, code, out)
		}
	}
	if code, _, out := a.do("POST", "/api/v1/users", newUser, nil); code != http.StatusCreated {
		t.Fatalf("a full user's change with its CSRF token: %d %v", code, out)
	}

	v := &browser{t: t, base: base}
	v.login("viewer", "a viewer's long password")
	if code, _, _ := v.do("GET", "/api/v1/users", nil, nil); code != http.StatusOK {
		t.Errorf("read user GET: %d, want 200", code)
	}
	for _, m := range []struct{ method, path string }{{"POST", "/api/v1/users"}, {"DELETE", "/api/v1/users/ops"}, {"PATCH", "/api/v1/users/viewer"}} {
		code, _, out := v.do(m.method, m.path, map[string]string{"password": "a new long password!"}, nil)
		if code != http.StatusForbidden || !strings.Contains(out["error"].(string), "changes nothing") {
			t.Errorf("read user %s %s: %d %v, want 403", m.method, m.path, code, out)
		}
	}
	if code, _, _ := v.do("POST", "/api/v1/logout", nil, nil); code != http.StatusNoContent {
		t.Errorf("logout: %d", code)
	}
	if code, _, _ := v.do("GET", "/api/v1/users", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("after logout: %d, want 401", code)
	}

	// The admin's password changed (by the CLI's token): its sessions end.
	if err := call(t, c, "PATCH", "/api/v1/users/admin", UserChange{Password: "the admin's new password"}, nil); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := a.do("GET", "/api/v1/remote-caps", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("session after its user's password changed: %d, want 401", code)
	}
}

// TestLoginLimited: guessing one name is cut off after its burst, even
// with the right password, and the answer says to wait.
func TestLoginLimited(t *testing.T) {
	c, dir := serve(t)
	if err := call(t, c, "POST", "/api/v1/users", UserChange{Name: "admin", Group: admin.Full, Password: "an admin's long password"}, nil); err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, base: apiBase(t, dir)}
	refused := 0
	for range 12 {
		switch code := b.login("admin", "a guess at the password"); code {
		case http.StatusUnauthorized:
		case http.StatusTooManyRequests:
			refused++
		default:
			t.Fatalf("a wrong password: %d", code)
		}
	}
	if refused != 2 {
		t.Errorf("12 guesses: %d refused as too many, want 2 (a burst of 10)", refused)
	}
	code, h, _ := b.do("POST", "/api/v1/login", map[string]string{"name": "admin", "password": "an admin's long password"}, nil)
	if code != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
		t.Errorf("the right password while limited: %d (Retry-After %q), want 429 with Retry-After", code, h.Get("Retry-After"))
	}
}
