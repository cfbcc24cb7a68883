package logging

import (
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"strings"
)

// Targets of NewTo.
const (
	ToStderr = "stderr"
	ToSyslog = "syslog"
)

// NewTo is New writing to target: ToStderr (w), or ToSyslog, the local
// syslog socket (logd on OpenWrt) under tag with facility daemon, each
// line at the priority of its level. Under procd a service's stderr
// reaches logd too, but every line of it as daemon.err; an INFO line
// must not read as an error in logread or a remote syslog's filters.
// Without a syslog socket it logs to w and says so.
func NewTo(target string, w io.Writer, tag, level string) (*slog.Logger, error) {
	switch target {
	case ToStderr, "":
		return New(w, level)
	case ToSyslog:
		sw, err := syslog.New(syslog.LOG_DAEMON|syslog.LOG_INFO, tag)
		if err != nil {
			log, lerr := New(w, level)
			if lerr == nil {
				log.Warn("syslog unavailable; logging to stderr", "err", err)
			}
			return log, lerr
		}
		return newSyslog(sw, level)
	}
	return nil, fmt.Errorf("log target %q: use stderr or syslog", target)
}

// newSyslog is a text logger whose lines go to sw by level. The syslog
// message carries the time, so the line has none.
func newSyslog(sw levelWriter, level string) (*slog.Logger, error) {
	l, err := parseLevel(level)
	if err != nil {
		return nil, err
	}
	h := slog.NewTextHandler(syslogLines{sw}, &slog.HandlerOptions{Level: l, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}})
	return slog.New(DefaultBudget.Limit(h)), nil
}

// levelWriter is what newSyslog needs of a *syslog.Writer.
type levelWriter interface {
	Debug(string) error
	Info(string) error
	Warning(string) error
	Err(string) error
}

// syslogLines sends each line the TextHandler writes (one Write per
// record, starting with its level=) at the level's priority, without the
// level= that the priority now says.
type syslogLines struct{ w levelWriter }

func (s syslogLines) Write(p []byte) (int, error) {
	line := strings.TrimSuffix(string(p), "\n")
	first, rest, _ := strings.Cut(line, " ")
	var err error
	switch first {
	case "level=DEBUG":
		err = s.w.Debug(rest)
	case "level=INFO":
		err = s.w.Info(rest)
	case "level=WARN":
		err = s.w.Warning(rest)
	case "level=ERROR":
		err = s.w.Err(rest)
	default: // a level between the four (e.g. INFO+2): keep the whole line
		err = s.w.Info(line)
	}
	return len(p), err
}
