// Package logging builds the slog loggers both binaries use: text on
// stderr, or on the local syslog with a priority per level, at a level
// chosen on the command line.
package logging

import (
	"fmt"
	"io"
	"log/slog"
)

// New returns a text logger writing to w at level (debug, info, warn,
// error), within DefaultBudget.
func New(w io.Writer, level string) (*slog.Logger, error) {
	l, err := parseLevel(level)
	if err != nil {
		return nil, err
	}
	return slog.New(DefaultBudget.Limit(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))), nil
}

func parseLevel(level string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return l, fmt.Errorf("log level %q: use debug, info, warn or error", level)
	}
	return l, nil
}
