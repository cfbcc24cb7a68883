package api

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// send makes a request with exactly the body, Content-Type and
// Authorization given, and returns the status and the error text.
func send(t *testing.T, base, auth, method, path, contentType, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e Error
	_ = json.Unmarshal(b, &e)
	return resp.StatusCode, e.Error
}

// The API's answers to malformed requests: what a fuzzer or a confused
// script sends is refused with the right status, never half taken.
func TestAPIRefusesMalformedRequests(t *testing.T) {
	c, dir := serve(t)
	token, _ := os.ReadFile(filepath.Join(dir, TokenFile))
	bearer := "Bearer " + strings.TrimSpace(string(token))
	const json = "application/json"
	for _, tc := range []struct {
		name, auth, ctype, body string
		status                  int
		text                    string
	}{
		{"token without Bearer", strings.TrimSpace(string(token)), json, `{"name":"a","ssid":"A"}`, 401, "bearer"},
		{"other scheme", "Basic " + strings.TrimSpace(string(token)), json, `{"name":"a","ssid":"A"}`, 401, "bearer"},
		{"text/plain", bearer, "text/plain", `{"name":"a","ssid":"A"}`, 415, "application/json"},
		{"no content type", bearer, "", `{"name":"a","ssid":"A"}`, 415, "application/json"},
		{"data after the object", bearer, json, `{"name":"a","ssid":"A"} {"name":"b"}`, 400, "data after the JSON object"},
		{"over 1 MiB", bearer, json, `{"name":"a","comment":"` + strings.Repeat("x", MaxBody) + `"}`, 413, "over"},
		{"newline in a RADIUS secret", bearer, json, `{"name":"a","ssid":"A","security.radius-secret":"s\ninjected=1"}`, 400, "control character"},
		{"NUL in a comment", bearer, json, `{"name":"a","ssid":"A","comment":"x\u0000y"}`, 400, "control character"},
		{"newline in a bridge", bearer, json, `{"name":"a","ssid":"A","datapath.bridge":"br\nx"}`, 400, "interface name"},
	} {
		status, text := send(t, c.base, tc.auth, "POST", "/api/v1/configuration", tc.ctype, tc.body)
		if status != tc.status || !strings.Contains(strings.ToLower(text), strings.ToLower(tc.text)) {
			t.Errorf("%s: %d %q, want %d with %q", tc.name, status, text, tc.status, tc.text)
		}
	}
	// A rejected secret is not echoed.
	status, text := send(t, c.base, bearer, "POST", "/api/v1/configuration", json, `{"name":"a","ssid":"A","security.passphrase":"short-S3CRET\u0001"}`)
	if status != 400 || strings.Contains(text, "S3CRET") {
		t.Errorf("bad passphrase: %d %q (the value must not be echoed)", status, text)
	}
	var list []map[string]any
	call(t, c, "GET", "/api/v1/configuration", nil, &list)
	if len(list) != 0 {
		t.Errorf("configurations after malformed requests: %v", list)
	}
}
