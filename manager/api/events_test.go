package api

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/manager/events"
)

// TestEventStream: a stream replays what came after Last-Event-ID, then
// carries each new event as it is published (well within 1 s), and the
// list endpoint answers the kept events.
func TestEventStream(t *testing.T) {
	dir, store := newStore(t)
	srv, err := Listen("127.0.0.1:0", dir, &fakeSource{store}, nil)
	if err != nil {
		t.Fatal(err)
	}
	bus := events.NewBus(10)
	srv.SetEvents(bus)
	serveUntilDone(t, srv)
	bus.Publish(events.Event{Message: "before 1"})
	bus.Publish(events.Event{Message: "before 2"})

	req, _ := http.NewRequest("GET", "http://"+srv.Addr().String()+"/api/v1/events/stream", nil)
	req.Header.Set("Authorization", "Bearer "+srv.token)
	req.Header.Set("Last-Event-ID", "1")
	rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer rcancel()
	resp, err := http.DefaultClient.Do(req.WithContext(rctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("stream: %s, %q", resp.Status, ct)
	}
	lines := bufio.NewScanner(resp.Body)
	next := func() events.Event {
		t.Helper()
		for lines.Scan() {
			if data, ok := strings.CutPrefix(lines.Text(), "data: "); ok {
				var e events.Event
				if err := json.Unmarshal([]byte(data), &e); err != nil {
					t.Fatal(err)
				}
				return e
			}
		}
		t.Fatalf("stream ended: %v", lines.Err())
		return events.Event{}
	}
	if e := next(); e.Message != "before 2" || e.ID != 2 {
		t.Fatalf("replay after Last-Event-ID 1: %+v", e)
	}
	start := time.Now()
	bus.Publish(events.Event{Message: "CAP session ended", Attrs: map[string]string{"cap": "cap1"}})
	e := next()
	if e.Message != "CAP session ended" || e.Attrs["cap"] != "cap1" {
		t.Fatalf("live event %+v", e)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("event took %v to arrive, want under 1 s", d)
	}
	var list []events.Event
	c, _ := NewClient(dir)
	if err := c.Do(context.Background(), "GET", "/api/v1/events?since=1", nil, &list); err != nil || len(list) != 2 {
		t.Errorf("GET events?since=1: %v, %v", list, err)
	}
}

// TestAudit: logins, failed ones and every change through the API land in
// the event log with who did what.
func TestAudit(t *testing.T) {
	dir, store := newStore(t)
	srv, err := Listen("127.0.0.1:0", dir, &fakeSource{store}, nil)
	if err != nil {
		t.Fatal(err)
	}
	bus := events.NewBus(100)
	srv.SetEvents(bus)
	serveUntilDone(t, srv)
	c, _ := NewClient(dir)
	if err := c.Do(context.Background(), "POST", "/api/v1/users", UserChange{Name: "alice", Group: "full", Password: "alice's long password"}, nil); err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, base: "http://" + srv.Addr().String()}
	b.login("alice", "not alice's password")
	b.login("alice", "alice's long password")
	var got []string
	for _, e := range bus.Since(0) {
		got = append(got, e.Message+" "+e.Attrs["user"]+" "+e.Attrs["method"]+" "+e.Attrs["path"]+" "+e.Attrs["status"])
	}
	want := []string{"API change token POST /api/v1/users 201", "login failed alice   ", "login alice   "}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("audit events:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
