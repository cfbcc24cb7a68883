package controlplane

import (
	"errors"
	"testing"

	"github.com/capstan-wifi/capstan/capwap/capwaptest"
	"github.com/capstan-wifi/capstan/capwap/transport"
)

func testSession(t *testing.T, s *Server, id byte) *session {
	t.Helper()
	a, b := capwaptest.Pair()
	t.Cleanup(func() { a.Close(); b.Close() })
	c := &session{srv: s, seq: s.sessions.Add(1), cn: "CAP-02000000000A", key: "cn:CAP-02000000000A",
		closed: make(chan struct{}), cc: transport.NewControlConn(a, transport.ControlConfig{}), log: s.cfg.Logger}
	c.id[0] = id
	return c
}

// A stale session registering after its CAP's newer one (a manager behind
// in a storm) is refused and leaves the live one alone; a newer one
// replaces an older one.
func TestRegisterKeepsTheNewerSession(t *testing.T) {
	s := tableServer(t)
	stale, live := testSession(t, s, 1), testSession(t, s, 2)
	if err := s.register(live); err != nil {
		t.Fatal(err)
	}
	if err := s.register(stale); !errors.Is(err, errInUse) {
		t.Fatalf("stale session registered: %v", err)
	}
	select {
	case <-live.closed:
		t.Fatal("the live session was closed by a stale one")
	default:
	}
	newer := testSession(t, s, 3)
	if err := s.register(newer); err != nil {
		t.Fatal(err)
	}
	select {
	case <-live.closed:
	default:
		t.Fatal("a newer session did not replace the older one")
	}
}
