package tests

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/capstan-wifi/capstan/manager/api"
)

// TestManagerUserCommands: administrators made with the CLI (a password
// from a file stays out of ps), printed, changed and removed, the last
// full user kept, and a login over HTTP with what the CLI set.
func TestManagerUserCommands(t *testing.T) {
	m := startManagerProc(t)
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("the admin's long password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m.cli(t, "user", "add", "name=admin", "group=full", "password-file="+pwFile)
	m.cli(t, "user", "add", "name=viewer", "group=read", "password=the viewer's password")
	out := m.cli(t, "user", "print")
	if !strings.Contains(out, "admin") || !strings.Contains(out, "full") || !strings.Contains(out, "viewer") || !strings.Contains(out, "read") {
		t.Errorf("user print:\n%s", out)
	}
	if b, _ := os.ReadFile(filepath.Join(m.state, "users.json")); strings.Contains(string(b), "long password") || !strings.Contains(string(b), "$argon2id$") {
		t.Errorf("users.json holds no Argon2id hashes or a password in clear:\n%s", b)
	}
	for _, bad := range [][]string{
		{"user", "add", "name=short", "group=read", "password=short"},
		{"user", "add", "name=admin", "group=full", "password=the admin's long password"},
		{"user", "add", "name=x", "group=root", "password=a long enough password"},
		{"user", "remove", "admin"}, // the last full user while viewer exists
		{"user", "remove", "nobody"},
	} {
		if out, err := m.try(bad...); err == nil {
			t.Errorf("capstan-manager %s succeeded:\n%s", strings.Join(bad, " "), out)
		}
	}
	m.cli(t, "user", "set", "viewer", "group=full")
	m.cli(t, "user", "remove", "admin")
	var users []map[string]any
	if err := json.Unmarshal([]byte(m.cli(t, "user", "print", "--json")), &users); err != nil || len(users) != 1 || users[0]["name"] != "viewer" {
		t.Errorf("after remove: %v %v", users, err)
	}
	base := "http://" + m.file(api.AddressFile)
	resp, err := http.Post(base+"/api/v1/login", "application/json", strings.NewReader(`{"name":"viewer","password":"the viewer's password"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(resp.Cookies()) == 0 {
		t.Errorf("login as viewer: %s", resp.Status)
	}
}
