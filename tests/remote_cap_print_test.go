package tests

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/capwap/wire"
)

// namedCAP joins a scripted CAP under name (its WTP Name, which the
// manager takes as its identity).
func namedCAP(t *testing.T, addr, name string, mac net.HardwareAddr) {
	t.Helper()
	cc := scriptedCAP(t, addr)
	els := joinElements(mac, wire.SessionID{mac[5], 9, 9, 9})
	for i, e := range els {
		if _, ok := e.(*wire.WTPName); ok {
			els[i] = &wire.WTPName{Name: name}
		}
	}
	resp, err := cc.Request(context.Background(), &wire.ControlMessage{Type: wire.JoinRequest, Elements: els})
	if err != nil || resultOf(t, resp) != wire.ResultSuccess {
		t.Fatalf("join %q: %v %v", name, resp, err)
	}
}

// remote-cap print at fleet size and against CAPs that lie: names are
// printed escaped (a CAP cannot forge table lines), rows filter by any
// field, count alone, and page.
func TestRemoteCapPrintFiltersPagesAndEscapes(t *testing.T) {
	m := startManagerProc(t, "--require-peer-certificate=false", "--enrollment", "auto")
	addr := m.controlAddr(t)
	namedCAP(t, addr, "ap-1", net.HardwareAddr{2, 0x70, 0, 0, 0, 1})
	namedCAP(t, addr, "evil\n 9  ap-forged  10.6.6.6:5246  run", net.HardwareAddr{2, 0x70, 0, 0, 0, 2})
	namedCAP(t, addr, "tab\there\u202e", net.HardwareAddr{2, 0x70, 0, 0, 0, 3})
	waitFor(t, 10*time.Second, "three CAPs listed", func() bool {
		return strings.TrimSpace(m.cli(t, "remote-cap", "print", "count-only")) == "3"
	})
	out := m.cli(t, "remote-cap", "print")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 4 {
		t.Errorf("%d lines for 3 CAPs (a CAP forged lines):\n%s", len(lines), out)
	}
	for _, want := range []string{`evil\n 9  ap-forged`, `tab\there\u202e`} {
		if !strings.Contains(out, want) {
			t.Errorf("print lacks the escaped name %s:\n%s", want, out)
		}
	}
	if got := strings.TrimSpace(m.cli(t, "remote-cap", "print", "where", "identity=ap-1", "count-only")); got != "1" {
		t.Errorf("where identity=ap-1 count-only: %q", got)
	}
	if got := strings.TrimSpace(m.cli(t, "remote-cap", "print", "where", "state=run", "count-only")); got != "0" {
		t.Errorf("where state=run count-only: %q (no scripted CAP reached run)", got)
	}
	page := m.cli(t, "remote-cap", "print", "--offset", "1", "--limit", "1")
	if rows := strings.Split(strings.TrimRight(page, "\n"), "\n"); len(rows) != 2 || !strings.HasPrefix(strings.TrimSpace(rows[1]), "1 ") {
		t.Errorf("page of one from 1:\n%s", page)
	}
	if _, err := m.try("remote-cap", "print", "where", "colour=red"); err == nil {
		t.Error("a filter on no field was taken")
	}
}
