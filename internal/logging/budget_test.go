package logging

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestBudgetDropsAndSays(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(Budget{PerSecond: 0.001, Burst: 10}.Limit(slog.NewTextHandler(&buf, nil))).With("peer", "x")
	for range 1000 {
		log.Warn("flood")
	}
	log.Error("still written")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 12 {
		t.Fatalf("%d lines for 1,000 warnings and an error within a budget of 10:\n%s", len(lines), buf.String())
	}
	if !strings.Contains(lines[10], "dropped=990") || !strings.Contains(lines[11], "still written") {
		t.Errorf("summary and error lines: %q, %q", lines[10], lines[11])
	}
	// More drops right after: counted, but not said again within 10 s.
	buf.Reset()
	for range 100 {
		log.Warn("flood")
	}
	log.Error("again")
	if out := buf.String(); strings.Count(out, "\n") != 1 || !strings.Contains(out, "again") {
		t.Errorf("a second count within 10 s:\n%s", out)
	}
}
