package api

import (
	"context"
	"testing"

	"github.com/capstan-wifi/capstan/manager/controlplane"
)

type capsSource struct {
	fakeSource
	caps []controlplane.RemoteCap
}

func (c *capsSource) RemoteCaps() []controlplane.RemoteCap { return c.caps }

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
