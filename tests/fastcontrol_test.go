package tests

import (
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/agent"
)

// TestControlFastPath: after the handshake the manager opens the CAPs'
// control records itself and answers their echoes on the mux's reader; the
// agents (pion on their side) keep their sessions through many echoes, and
// at most the first packets of a session come in through pion.
func TestControlFastPath(t *testing.T) {
	srv, addr, _ := startManager(t, "core")
	var agents []*agent.Agent
	for i := range 3 {
		a, _ := startAgent(t, i, func(c *agent.Config) { c.ManagerAddresses = []string{addr} })
		agents = append(agents, a)
	}
	waitFor(t, 15*time.Second, "3 CAPs in run", func() bool {
		for _, a := range agents {
			if a.Status().State != "run" {
				return false
			}
		}
		return len(srv.RemoteCaps()) == 3
	})
	// Three echo intervals (1 s each) and more: every CAP echoes.
	fast0, _ := srv.ControlPackets()
	waitFor(t, 20*time.Second, "nine echoes more on the fast path", func() bool {
		fast, _ := srv.ControlPackets()
		return fast >= fast0+9
	})
	fast, pion := srv.ControlPackets()
	if pion > 3*2 {
		t.Errorf("%d control packets came through pion after the switch (fast path %d)", pion, fast)
	}
	for i, a := range agents {
		if st := a.Status(); st.State != "run" || st.Joins != 1 {
			t.Errorf("agent %d after the echoes: %+v", i, st)
		}
	}
	t.Logf("control packets: %d on the fast path, %d through pion", fast, pion)
}
