package transport

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestLogLimiterOncePerPeer(t *testing.T) {
	var buf bytes.Buffer
	l := NewLogLimiter(slog.New(slog.NewTextHandler(&buf, nil)), time.Hour)
	for range 100 {
		l.Warn("10.0.0.1:5246", "dropped packet")
		l.Warn("10.0.0.2:5246", "dropped packet")
	}
	if n := strings.Count(buf.String(), "dropped packet"); n != 2 {
		t.Errorf("%d log lines for 200 warnings from 2 peers, want 2:\n%s", n, buf.String())
	}
	l.every = 0
	l.Warn("10.0.0.1:5246", "dropped packet")
	if !strings.Contains(buf.String(), "suppressed=99") {
		t.Errorf("the next line does not count the 99 held back:\n%s", buf.String())
	}
}
