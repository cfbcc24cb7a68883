package tests

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/agent"
	"github.com/capstan-wifi/capstan/capwap/transport"
	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/manager/controlplane"
)

// joinedScriptedCAP is a scripted CAP past Join, Configure and the Change
// State Event: the manager answers its requests as in Run.
func joinedScriptedCAP(t *testing.T, addr string, mac net.HardwareAddr) *transport.ControlConn {
	t.Helper()
	cc := scriptedCAP(t, addr)
	ctx := context.Background()
	for _, req := range []*wire.ControlMessage{
		{Type: wire.JoinRequest, Elements: joinElements(mac, wire.SessionID{mac[5], 7, 7, 7})},
		{Type: wire.ConfigurationStatusRequest, Elements: []wire.Element{&wire.ACName{Name: "core"},
			&wire.RadioAdministrativeState{RadioID: 0, AdminState: wire.Enabled}, &wire.StatisticsTimer{Interval: 120}, &wire.WTPRebootStatistics{}}},
		{Type: wire.ChangeStateEventRequest, Elements: []wire.Element{&wire.RadioOperationalState{RadioID: 1, State: 2},
			&wire.ResultCodeElement{Code: wire.ResultSuccess}}},
	} {
		resp, err := cc.Request(ctx, req)
		if err != nil {
			t.Fatalf("%v: %v", req.Type, err)
		}
		if rc, ok := resp.Element(wire.TypeResultCode).(*wire.ResultCodeElement); ok && !rc.Code.IsSuccess() {
			t.Fatalf("%v: result %v", req.Type, rc.Code)
		}
	}
	return cc
}

// An authenticated CAP reports 40,000 stations in a second and storms the
// manager with Echo Requests: the registration table keeps at most
// MaxStationsPerCAP of them, requests past the session's rate go
// unanswered, and a CAP beside it stays in run with its one join.
func TestFloodStationsAndEchoes(t *testing.T) {
	srv, addr, _ := startManager(t, "core")
	good, _ := startAgent(t, 1, func(c *agent.Config) { c.ManagerAddresses = []string{addr} })
	waitFor(t, 15*time.Second, "a CAP in run", inRun(good))

	mac := net.HardwareAddr{2, 0x46, 0, 0, 0, 1}
	cc := joinedScriptedCAP(t, addr, mac)
	ctx := context.Background()
	const perMessage, total = 400, 40000
	began := time.Now()
	for n := 0; n < total; n += perMessage {
		m := &wire.ControlMessage{Type: wire.WTPEventRequest}
		for i := range perMessage {
			k := n + i
			m.Elements = append(m.Elements, &wire.Station{RadioID: 1, WLANID: uint8(1 + k%8), MAC: net.HardwareAddr{2, 0x5a, 0, byte(k >> 16), byte(k >> 8), byte(k)},
				State: 1, Interface: "wlan0", SSID: "flood"})
		}
		rctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		_, err := cc.Request(rctx, m)
		cancel()
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("station report: %v", err)
		}
	}
	t.Logf("40,000 stations reported in %v", time.Since(began).Round(time.Millisecond))
	clients := -1
	for _, rc := range srv.RemoteCaps() {
		if rc.BaseMAC == mac.String() {
			clients = rc.Clients
		}
	}
	if clients < 0 || clients > controlplane.MaxStationsPerCAP {
		t.Errorf("the flooding CAP has %d clients in the table, bound %d", clients, controlplane.MaxStationsPerCAP)
	}

	// Echo storm: as fast as one control channel goes for 2 s.
	answered, sent := 0, 0
	storm := time.Now()
	for time.Since(storm) < 2*time.Second {
		rctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		if _, err := cc.Request(rctx, &wire.ControlMessage{Type: wire.EchoRequest}); err == nil {
			answered++
		}
		cancel()
		sent++
	}
	elapsed := time.Since(storm).Seconds()
	t.Logf("echo storm: %d sent, %d answered in %.1f s; clients recorded %d", sent, answered, elapsed, clients)
	if bound := controlplane.RequestBurst + int(controlplane.RequestsPerSecond*(elapsed+1)); answered > bound {
		t.Errorf("%d echo requests answered in %.1f s, bound %d", answered, elapsed, bound)
	}
	if answered == 0 {
		t.Error("no echo answered at all: the bound starves the session")
	}
	if st := good.Status(); st.State != "run" || st.Joins != 1 {
		t.Errorf("the CAP beside the flood: state %s, joins %d", st.State, st.Joins)
	}
}
