package transport

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/capstan-wifi/capstan/capwap/capwaptest"
	"github.com/capstan-wifi/capstan/capwap/wire"
)

// TestFastPathSendsAndInjects: after the switch, everything the channel
// sends goes through the fast path and nothing through its conn; packets
// injected are requests and responses like those read; an Echo Request
// injected is answered by Answer on the injecting goroutine; closing the
// channel ends the fast path too.
func TestFastPathSendsAndInjects(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := capwaptest.Pair()
		var viaConn int
		counted := capwaptest.Lossy(a, func(int, []byte) bool { viaConn++; return false })
		sent := make(chan []byte, 16)
		closed := false
		c := NewControlConn(counted, ControlConfig{Answer: func(m *wire.ControlMessage) (*wire.ControlMessage, bool) {
			if m.Type == wire.EchoRequest {
				return &wire.ControlMessage{}, true
			}
			return nil, false
		}})
		defer b.Close()
		if !c.SwitchToFastPath(func() *FastPath {
			return &FastPath{Send: func(p []byte) error { sent <- append([]byte(nil), p...); return nil }, Close: func() { closed = true }}
		}) {
			t.Fatal("switch refused")
		}
		packet := func(m *wire.ControlMessage) []byte {
			t.Helper()
			pkts, err := c.encode(m)
			if err != nil || len(pkts) != 1 {
				t.Fatalf("encode: %v (%d packets)", err, len(pkts))
			}
			return pkts[0]
		}
		// An Echo Request injected: answered at once, through the fast path.
		c.Inject(packet(&wire.ControlMessage{Type: wire.EchoRequest, Header: wire.Header{}, Seq: 7}))
		select {
		case p := <-sent:
			if m, err := c.decode(wire.NewReassembler(wire.DefaultReassemblyLimits), p); err != nil || m.Type != wire.EchoResponse || m.Seq != 7 {
				t.Fatalf("answer %+v %v", m, err)
			}
		default:
			t.Fatal("the echo was not answered on the injecting goroutine")
		}
		// A request of ours: out through the fast path, its response injected.
		done := make(chan *wire.ControlMessage)
		go func() {
			r, err := c.Request(context.Background(), &wire.ControlMessage{Type: wire.ConfigurationUpdateRequest})
			if err != nil {
				t.Error(err)
			}
			done <- r
		}()
		p := <-sent
		req, _ := c.decode(wire.NewReassembler(wire.DefaultReassemblyLimits), p)
		c.Inject(packet(&wire.ControlMessage{Type: wire.ConfigurationUpdateResponse, Seq: req.Seq}))
		if r := <-done; r == nil || r.Type != wire.ConfigurationUpdateResponse {
			t.Fatalf("response %+v", r)
		}
		// Another request injected goes to Requests.
		c.Inject(packet(&wire.ControlMessage{Type: wire.WTPEventRequest, Seq: 9}))
		if m := <-c.Requests(); m.Type != wire.WTPEventRequest {
			t.Fatalf("queued %v", m.Type)
		}
		c.Close()
		if viaConn != 0 || !closed {
			t.Fatalf("after the switch: %d packets through conn, fast path closed %v", viaConn, closed)
		}
	})
}
