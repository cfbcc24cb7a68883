package logging

import (
	"log/syslog"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Each level reaches a syslog socket at its priority (facility daemon),
// without a time or level= of its own, and below the chosen level nothing.
func TestSyslogPriorities(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "log")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	sw, err := syslog.Dial("unixgram", sock, syslog.LOG_DAEMON|syslog.LOG_INFO, "capstan-agent")
	if err != nil {
		t.Fatal(err)
	}
	defer sw.Close()
	log, err := newSyslog(sw, "info")
	if err != nil {
		t.Fatal(err)
	}
	log.Debug("hidden")
	log.Info("joined", "manager", "m1")
	log.Warn("no manager address from DHCP", "interface", "br-lan")
	log.Error("apply failed", "err", "ubus: Not found")
	want := []string{
		`<30>… capstan-agent[…]: msg=joined manager=m1`,
		`<28>… capstan-agent[…]: msg="no manager address from DHCP" interface=br-lan`,
		`<27>… capstan-agent[…]: msg="apply failed" err="ubus: Not found"`,
	}
	ln.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 2048)
	head := regexp.MustCompile(`^(<\d+>)\S+ +\S+ +\S+ +(capstan-agent)\[\d+\]: `)
	for _, w := range want {
		n, err := ln.Read(buf)
		if err != nil {
			t.Fatalf("want %s: %v", w, err)
		}
		got := strings.TrimSuffix(head.ReplaceAllString(string(buf[:n]), "$1… $2[…]: "), "\n")
		if got != w {
			t.Errorf("got  %s\nwant %s", got, w)
		}
	}
	if _, err := NewTo("journal", nil, "x", "info"); err == nil {
		t.Error("an unknown target was taken")
	}
	if _, err := newSyslog(sw, "loud"); err == nil {
		t.Error("an unknown level was taken")
	}
}
