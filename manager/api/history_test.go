package api

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/manager/history"
)

// TestHistory: the samples the recorder kept, and hours checked.
func TestHistory(t *testing.T) {
	dir, store := newStore(t)
	srv, err := Listen("127.0.0.1:0", dir, &fakeSource{store}, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	rec := history.New(func() history.Sample { n++; return history.Sample{Clients: n, Bytes: uint64(1000 * n)} }, time.Minute, 10)
	rec.Record()
	rec.Record()
	srv.SetHistory(rec)
	serveUntilDone(t, srv)
	c, err := NewClient(dir)
	if err != nil {
		t.Fatal(err)
	}
	var h History
	if err := c.Get(context.Background(), "/api/v1/history?hours=1", &h); err != nil || h.EverySeconds != 60 || len(h.Samples) != 2 || h.Samples[1].Clients != 2 {
		t.Fatalf("history: %+v, %v", h, err)
	}
	for _, bad := range []string{"0", "25", "x"} {
		if err := c.Get(context.Background(), "/api/v1/history?hours="+bad, &h); err == nil || !strings.Contains(err.Error(), "1 to 24") {
			t.Errorf("hours=%s: %v", bad, err)
		}
	}
}
