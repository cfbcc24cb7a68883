package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/capstan-wifi/capstan/manager/controlplane"
	"github.com/capstan-wifi/capstan/manager/model"
	"github.com/capstan-wifi/capstan/manager/provision"
)

// fakeSource serves a real store and nothing connected.
type fakeSource struct{ store *model.Store }

func (f *fakeSource) RemoteCaps() []controlplane.RemoteCap { return nil }
func (f *fakeSource) RemoteCapsPage(match func(*controlplane.RemoteCap) bool, offset, limit int) ([]controlplane.RemoteCap, int) {
	return controlplane.PageRows(nil, match, offset, limit)
}
func (f *fakeSource) Disconnect([]string) int                        { return 0 }
func (f *fakeSource) RegistrationTable() []controlplane.Registration { return nil }
func (f *fakeSource) RemoveStation(context.Context, net.HardwareAddr) error {
	return controlplane.ErrNoStation
}
func (f *fakeSource) Collectors() []prometheus.Collector { return nil }
func (f *fakeSource) Store() *model.Store                { return f.store }
func (f *fakeSource) Interfaces() []provision.Interface  { return nil }
func (f *fakeSource) ProvisionCAP(_ context.Context, ref string) ([]provision.Interface, error) {
	return nil, fmt.Errorf("%w: %q", controlplane.ErrNoCAP, ref)
}
func (f *fakeSource) ReselectChannels(_ context.Context, ref string) ([]provision.Interface, error) {
	if ref == "fixed" {
		return nil, controlplane.ErrNoOpenChannel
	}
	return nil, fmt.Errorf("%w: %q", controlplane.ErrNoCAP, ref)
}

// newStore is a state directory with an empty configuration model.
func newStore(t *testing.T) (string, *model.Store) {
	t.Helper()
	dir := t.TempDir()
	store, err := model.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, store
}

// serveUntilDone serves srv until the test ends.
func serveUntilDone(t *testing.T, srv *Server) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func serve(t *testing.T) (*Client, string) {
	t.Helper()
	dir, store := newStore(t)
	srv, err := Listen("127.0.0.1:0", dir, &fakeSource{store}, nil)
	if err != nil {
		t.Fatal(err)
	}
	serveUntilDone(t, srv)
	c, err := NewClient(dir)
	if err != nil {
		t.Fatal(err)
	}
	return c, dir
}

// call returns the HTTP status of a request and decodes the answer.
func call(t *testing.T, c *Client, method, path string, in any, out any) error {
	t.Helper()
	return c.Do(context.Background(), method, path, in, out)
}

// TestEveryResource adds, reads, changes, disables, moves and removes an
// item of every resource through the API, then checks that the file on
// disk holds the result.
func TestEveryResource(t *testing.T) {
	c, dir := serve(t)
	valid := map[string][2]map[string]any{ // add, then set
		"channel":       {{"name": "ch", "frequency": []any{5180, 5200}, "width": "40"}, {"tx-power": 17}},
		"datapath":      {{"name": "dp", "bridge": "br-lan", "vlan-id": 10}, {"client-to-client-forwarding": true}},
		"security":      {{"name": "sec", "authentication-types": "wpa2-psk", "passphrase": "a passphrase"}, {"authentication-types": []any{"wpa2-psk", "wpa3-psk"}}},
		"rates":         {{"name": "rt", "basic": "6,12,24"}, {"supported": "6,9,12,18,24,36,48,54"}},
		"configuration": {{"name": "office", "ssid": "Office", "channel": "ch", "security": "sec", "datapath": "dp", "rates": "rt"}, {"country": "pl"}},
		"interface":     {{"name": "lobby", "radio-mac": "02:00:00:00:00:01", "configuration": "office"}, {"configuration.ssid": "Lobby"}},
		"provisioning":  {{"identity-regexp": "^ap-", "action": "create-dynamic-enabled", "master-configuration": "office"}, {"name-format": "%I"}},
		"access-list":   {{"mac-address": "02:00:00:00:aa:01", "action": "reject"}, {"signal-range": "-90..-70"}},
	}
	for _, name := range []string{"channel", "datapath", "security", "rates", "configuration", "interface", "provisioning", "access-list"} {
		r, _ := model.Lookup(name)
		base := "/api/v1/" + name
		var added map[string]any
		if err := call(t, c, "POST", base, valid[name][0], &added); err != nil {
			t.Fatalf("add %s: %v", name, err)
		}
		ref := fmt.Sprintf("*%v", added["id"])
		if r.Named {
			ref = added["name"].(string)
		}
		var changed map[string]any
		if err := call(t, c, "PATCH", base+"/"+ref, valid[name][1], &changed); err != nil {
			t.Fatalf("set %s: %v", name, err)
		}
		for k := range valid[name][1] {
			if changed[k] == nil {
				t.Errorf("%s %s not set: %v", name, k, changed)
			}
		}
		if r.HasField("disabled") {
			var item map[string]any
			if err := call(t, c, "POST", base+"/"+ref+"/disable", nil, &item); err != nil || item["disabled"] != true {
				t.Errorf("disable %s: %v %v", name, err, item)
			}
			if err := call(t, c, "POST", base+"/"+ref+"/enable", nil, &item); err != nil || item["disabled"] != false {
				t.Errorf("enable %s: %v %v", name, err, item)
			}
		}
		var list []map[string]any
		if err := call(t, c, "GET", base, nil, &list); err != nil || len(list) != 1 {
			t.Fatalf("list %s: %v %v", name, err, list)
		}
		if f, ok := r.Field("passphrase"); ok && f.IsSecret() && list[0]["passphrase"] != "********" {
			t.Errorf("%s passphrase not redacted: %v", name, list[0]["passphrase"])
		}
	}
	// The manager singleton.
	var mgr map[string]any
	if err := call(t, c, "PATCH", "/api/v1/manager", map[string]any{"upgrade-policy": "suggest-same-version"}, &mgr); err != nil || mgr["upgrade-policy"] != "suggest-same-version" {
		t.Errorf("manager set: %v %v", err, mgr)
	}
	// Move: a second rule placed first, then moved to the end.
	var rule map[string]any
	if err := call(t, c, "POST", "/api/v1/provisioning", map[string]any{"action": "none", "place-before": "0"}, &rule); err != nil {
		t.Fatal(err)
	}
	var rules []map[string]any
	call(t, c, "GET", "/api/v1/provisioning", nil, &rules)
	if rules[0]["action"] != "none" {
		t.Errorf("place-before: %v", rules)
	}
	if err := call(t, c, "POST", "/api/v1/provisioning/0/move", map[string]any{"destination": ""}, &rules); err != nil || rules[1]["action"] != "none" {
		t.Errorf("move: %v %v", err, rules)
	}
	// The file holds what the API answered.
	data, err := os.ReadFile(filepath.Join(dir, model.File))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"configuration.ssid": "Lobby"`, `"country": "PL"`, `"passphrase": "a passphrase"`, `"upgrade-policy": "suggest-same-version"`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("file lacks %s", want)
		}
	}
	// Remove in dependency order; a profile in use is refused first.
	if err := call(t, c, "DELETE", "/api/v1/channel/ch", nil, nil); err == nil || !strings.Contains(err.Error(), `in use by configuration "office"`) {
		t.Errorf("remove in use: %v", err)
	}
	for _, p := range []string{"access-list/0", "provisioning/0", "provisioning/0", "interface/lobby", "configuration/office", "channel/ch", "datapath/dp", "security/sec", "rates/rt"} {
		if err := call(t, c, "DELETE", "/api/v1/"+p, nil, nil); err != nil {
			t.Errorf("remove %s: %v", p, err)
		}
	}
}

// TestBadInput: each bad request gets a 4xx whose error names the field.
func TestBadInput(t *testing.T) {
	c, dir := serve(t)
	call(t, c, "POST", "/api/v1/configuration", map[string]any{"name": "office", "ssid": "x"}, nil)
	tests := []struct {
		method, path string
		body         any
		status       int
		field, text  string
	}{
		{"POST", "/api/v1/configuration", map[string]any{"name": "x", "ssid": strings.Repeat("s", 40)}, 400, "ssid", "want 1 to 32 bytes"},
		{"POST", "/api/v1/configuration", map[string]any{"name": "office"}, 400, "name", "is taken"},
		{"POST", "/api/v1/configuration", map[string]any{"ssid": "x"}, 400, "name", "required"},
		{"POST", "/api/v1/configuration", map[string]any{"name": "y", "colour": "blue"}, 400, "colour", "unknown field"},
		{"POST", "/api/v1/configuration", map[string]any{"name": "y", "max-sta-count": "lots"}, 400, "max-sta-count", "whole number"},
		{"POST", "/api/v1/configuration", map[string]any{"name": "y", "hide-ssid": 3}, 400, "hide-ssid", "not a number"},
		{"POST", "/api/v1/configuration", map[string]any{"name": "y", "ssid": []any{"a", "b"}}, 400, "ssid", "not a list"},
		{"POST", "/api/v1/configuration", map[string]any{"name": "y", "security": "nope"}, 400, "security", `no security called "nope"`},
		{"POST", "/api/v1/configuration", map[string]any{"name": "y", "ssid": "x", "security.authentication-types": "wpa3-psk"}, 400, "security.passphrase", "needs a passphrase"},
		{"POST", "/api/v1/configuration", "not an object", 400, "", "one JSON object"},
		{"POST", "/api/v1/provisioning", map[string]any{"action": "create-enabled"}, 400, "master-configuration", "needs a master-configuration"},
		{"POST", "/api/v1/provisioning", map[string]any{"action": "none", "place-before": "7"}, 400, "place-before", "no such item"},
		{"POST", "/api/v1/access-list", map[string]any{"time": "9-5"}, 400, "time", "window"},
		{"PATCH", "/api/v1/configuration/nope", map[string]any{"ssid": "x"}, 404, "", "no such item"},
		{"PATCH", "/api/v1/configuration/office", map[string]any{"name": ""}, 400, "name", "cannot be unset"},
		{"DELETE", "/api/v1/configuration/*99", nil, 404, "", "no such item"},
		{"PATCH", "/api/v1/manager", map[string]any{"upgrade-policy": "always"}, 400, "upgrade-policy", "want one of"},
		{"POST", "/api/v1/manager", map[string]any{}, 405, "", ""},
		{"POST", "/api/v1/remote-caps/ghost/provision", nil, 404, "", "no such CAP"},
		{"POST", "/api/v1/remote-caps/ghost/reselect-channel", nil, 404, "", "no such CAP"},
		{"POST", "/api/v1/remote-caps/fixed/reselect-channel", nil, 409, "", "has a channel left to select"},
		{"POST", "/api/v1/registration-table/remove", map[string]any{"mac": "zz"}, 400, "mac", "not a MAC"},
	}
	token, _ := os.ReadFile(filepath.Join(dir, TokenFile))
	for _, tt := range tests {
		status, e := raw(t, c.base, strings.TrimSpace(string(token)), tt.method, tt.path, tt.body)
		if status != tt.status || e.Field != tt.field || !strings.Contains(e.Error, tt.text) {
			t.Errorf("%s %s %v: %d %+v, want %d field %q error with %q", tt.method, tt.path, tt.body, status, e, tt.status, tt.field, tt.text)
		}
	}
	if status, _ := raw(t, c.base, "wrong", "GET", "/api/v1/configuration", nil); status != http.StatusUnauthorized {
		t.Errorf("wrong token: %d", status)
	}
	// Nothing bad reached the configuration.
	var list []map[string]any
	call(t, c, "GET", "/api/v1/configuration", nil, &list)
	if len(list) != 1 {
		t.Errorf("configurations after bad input: %v", list)
	}
}

func raw(t *testing.T, base, token, method, path string, body any) (int, Error) {
	t.Helper()
	var r *strings.Reader
	if body == nil {
		r = strings.NewReader("")
	} else {
		b, _ := json.Marshal(body)
		r = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, base+path, r)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e Error
	_ = json.NewDecoder(resp.Body).Decode(&e)
	return resp.StatusCode, e
}

// TestOpenAPI: the description is served, is JSON, and lists every
// resource with its fields.
func TestOpenAPI(t *testing.T) {
	c, _ := serve(t)
	var doc struct {
		OpenAPI    string                    `json:"openapi"`
		Paths      map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]struct {
				Properties map[string]any `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := call(t, c, "GET", "/api/v1/openapi.json", nil, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q", doc.OpenAPI)
	}
	for _, r := range model.Schema {
		if _, ok := doc.Paths["/api/v1/"+r.Name]; !ok {
			t.Errorf("no path for %s", r.Name)
		}
		for _, f := range r.Fields {
			if _, ok := doc.Components.Schemas[r.Name].Properties[f.Key]; !ok {
				t.Errorf("schema %s lacks %s", r.Name, f.Key)
			}
		}
	}
	if _, ok := doc.Paths["/api/v1/configuration/{ref}"]["patch"]; !ok {
		t.Error("no PATCH on configuration/{ref}")
	}
}
