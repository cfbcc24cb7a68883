package api

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/capstan-wifi/capstan/manager/controlplane"
	"github.com/capstan-wifi/capstan/manager/provision"
)

type capsSource struct {
	fakeSource
	caps []controlplane.RemoteCap
}

func (c *capsSource) RemoteCaps() []controlplane.RemoteCap { return c.caps }
func (c *capsSource) RemoteCapsPage(match func(*controlplane.RemoteCap) bool, offset, limit int) ([]controlplane.RemoteCap, int) {
	return controlplane.PageRows(c.caps, match, offset, limit)
}

// TestRemoteCapsFilters: equality, "*" for set at all, counts and pages.
func TestRemoteCapsFilters(t *testing.T) {
	dir, store := newStore(t)
	src := &capsSource{fakeSource: fakeSource{store}, caps: []controlplane.RemoteCap{
		{Identity: "cap1", State: "run"}, {Identity: "cap2", State: "run", ConfigError: "no such channel"}, {Identity: "cap3", State: "join"}}}
	srv, err := Listen("127.0.0.1:0", dir, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	serveUntilDone(t, srv)
	c, _ := NewClient(dir)
	for q, want := range map[string]int{"": 3, "state=run": 2, "state=join": 1, "config_error=*": 1, "config_error=*&state=join": 0} {
		var n Count
		if err := c.Get(context.Background(), "/api/v1/remote-caps?count-only=true&"+q, &n); err != nil || n.Count != want {
			t.Errorf("%q: %d (%v), want %d", q, n.Count, err, want)
		}
	}
	var rows []controlplane.RemoteCap
	if err := c.Get(context.Background(), "/api/v1/remote-caps?offset=1&limit=1", &rows); err != nil || len(rows) != 1 || rows[0].Identity != "cap2" {
		t.Errorf("page 2 of 1: %+v, %v", rows, err)
	}
}

type tablesSource struct {
	fakeSource
	regs []controlplane.Registration
	ifs  []provision.Interface
}

func (t *tablesSource) RegistrationTable() []controlplane.Registration { return t.regs }
func (t *tablesSource) Interfaces() []provision.Interface              { return t.ifs }

// TestTablesPageAndFilter: the registration table and the provisioned
// interfaces page and filter as remote-caps does, and without offset or
// limit still answer every row (the CLI reads them whole).
func TestTablesPageAndFilter(t *testing.T) {
	dir, store := newStore(t)
	src := &tablesSource{fakeSource: fakeSource{store}}
	for i := range 120 {
		cap := fmt.Sprintf("cap%d", i%3+1)
		src.regs = append(src.regs, controlplane.Registration{CAP: cap, MAC: fmt.Sprintf("02:00:00:00:00:%02x", i), SSID: "s" + strconv.Itoa(i%2)})
		src.ifs = append(src.ifs, provision.Interface{Name: fmt.Sprintf("cap-%03d", i), CAP: cap, Error: map[bool]string{true: "no channel"}[i%10 == 0]})
	}
	srv, err := Listen("127.0.0.1:0", dir, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	serveUntilDone(t, srv)
	c, _ := NewClient(dir)
	ctx := context.Background()
	for q, want := range map[string]int{
		"/api/v1/registration-table?count-only=true":                  120,
		"/api/v1/registration-table?count-only=true&cap=cap2":         40,
		"/api/v1/registration-table?count-only=true&cap=cap2&ssid=s1": 20,
		"/api/v1/provisioned-interfaces?count-only=true&error=*":      12,
		"/api/v1/provisioned-interfaces?count-only=true&cap=cap9":     0,
	} {
		var n Count
		if err := c.Get(ctx, q, &n); err != nil || n.Count != want {
			t.Errorf("%s: %d (%v), want %d", q, n.Count, err, want)
		}
	}
	var regs []controlplane.Registration
	if err := c.Get(ctx, "/api/v1/registration-table", &regs); err != nil || len(regs) != 120 {
		t.Errorf("whole table: %d rows (%v), want 120", len(regs), err)
	}
	var ifs []provision.Interface
	if err := c.Get(ctx, "/api/v1/provisioned-interfaces?cap=cap1&offset=30&limit=50", &ifs); err != nil || len(ifs) != 10 || ifs[0].Name != "cap-090" {
		t.Errorf("cap1 from 30: %d rows (%v), want 10 from cap-090", len(ifs), err)
	}
	for q, field := range map[string]string{"/api/v1/registration-table?limit=0": "limit", "/api/v1/provisioned-interfaces?colour=red": `"colour"`, "/api/v1/registration-table?offset=-1": "offset"} {
		var out any
		if err := c.Get(ctx, q, &out); err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: %v, want refused naming %s", q, err, field)
		}
	}
}
