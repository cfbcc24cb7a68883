package tests

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// recorder is a *testing.T that remembers why it failed, so that the lab's
// cleanup can say it again after the logs it dumps: CI shows only the end
// of a failed run's output.
type recorder struct{ *testing.T }

// failures holds each test's failure messages by test name.
var failures sync.Map

func (r recorder) note(msg string) {
	if len(msg) > 600 {
		msg = msg[:600] + "…"
	}
	v, _ := failures.LoadOrStore(r.Name(), &failureList{})
	l := v.(*failureList)
	l.mu.Lock()
	l.msgs = append(l.msgs, msg)
	l.mu.Unlock()
}

type failureList struct {
	mu   sync.Mutex
	msgs []string
}

func (r recorder) Fatalf(format string, args ...any) {
	r.Helper()
	r.note(fmt.Sprintf(format, args...))
	r.T.Fatalf(format, args...)
}

func (r recorder) Fatal(args ...any) {
	r.Helper()
	r.note(fmt.Sprint(args...))
	r.T.Fatal(args...)
}

func (r recorder) Errorf(format string, args ...any) {
	r.Helper()
	r.note(fmt.Sprintf(format, args...))
	r.T.Errorf(format, args...)
}

func (r recorder) Error(args ...any) {
	r.Helper()
	r.note(fmt.Sprint(args...))
	r.T.Error(args...)
}

// failureSummary is what a recorder noted for the test named name.
func failureSummary(name string) string {
	v, ok := failures.Load(name)
	if !ok {
		return ""
	}
	l := v.(*failureList)
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.msgs, " | ")
}
