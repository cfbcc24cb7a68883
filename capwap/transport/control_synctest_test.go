package transport

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/capstan-wifi/capstan/capwap/capwaptest"
	"github.com/capstan-wifi/capstan/capwap/wire"
)

// TestRetransmitSchedule checks RFC 5415 §4.5.2 retransmission in virtual
// time: a request whose first two copies are lost is answered on the third,
// sent exactly one RetransmitInterval after the second.
func TestRetransmitSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := capwaptest.Pair()
		var sentAt []time.Duration
		start := time.Now()
		lossy := capwaptest.Lossy(a, func(n int, _ []byte) bool {
			sentAt = append(sentAt, time.Since(start))
			return n < 2
		})
		client := NewControlConn(lossy, ControlConfig{})
		server := NewControlConn(b, ControlConfig{})
		defer client.Close()
		defer server.Close()
		answer(server, "core")
		resp, err := client.Request(context.Background(), &wire.ControlMessage{Type: wire.EchoRequest})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Type != wire.EchoResponse {
			t.Errorf("response type %v", resp.Type)
		}
		want := []time.Duration{0, time.Second, 2 * time.Second}
		if len(sentAt) != len(want) {
			t.Fatalf("sent at %v, want %v", sentAt, want)
		}
		for i := range want {
			if sentAt[i] != want[i] {
				t.Errorf("copy %d sent at %v, want %v", i, sentAt[i], want[i])
			}
		}
	})
}

// TestGiveUpAfterMaxRetransmit: a request never answered is sent
// 1 + MaxRetransmit times and fails after (1 + MaxRetransmit) intervals.
func TestGiveUpAfterMaxRetransmit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := capwaptest.Pair()
		sent := 0
		client := NewControlConn(capwaptest.Lossy(a, func(int, []byte) bool { sent++; return true }), ControlConfig{})
		server := NewControlConn(b, ControlConfig{})
		defer client.Close()
		defer server.Close()
		start := time.Now()
		_, err := client.Request(context.Background(), &wire.ControlMessage{Type: wire.EchoRequest})
		if !errors.Is(err, ErrNoResponse) {
			t.Fatalf("err = %v, want ErrNoResponse", err)
		}
		if sent != 1+DefaultMaxRetransmit {
			t.Errorf("sent %d copies, want %d", sent, 1+DefaultMaxRetransmit)
		}
		if took := time.Since(start); took != time.Duration(1+DefaultMaxRetransmit)*DefaultRetransmitInterval {
			t.Errorf("gave up after %v", took)
		}
	})
}

// TestLateResponseIgnored: a response to an earlier request (its sequence
// number) does not answer the current one.
func TestLateResponseIgnored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := capwaptest.Pair()
		client := NewControlConn(a, ControlConfig{})
		server := NewControlConn(b, ControlConfig{})
		defer client.Close()
		defer server.Close()
		go func() {
			req := <-server.Requests()
			stale := &wire.ControlMessage{Type: req.Type + 1, Seq: req.Seq - 1}
			pkts, _ := server.encode(stale)
			_ = server.send(pkts) // a late answer to a request long gone
			time.Sleep(1500 * time.Millisecond)
			_ = server.Respond(req, &wire.ControlMessage{Elements: []wire.Element{&wire.ACName{Name: "right"}}})
		}()
		start := time.Now()
		resp, err := client.Request(context.Background(), &wire.ControlMessage{Type: wire.EchoRequest, Seq: 0})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Element(wire.TypeACName) == nil || time.Since(start) != 1500*time.Millisecond {
			t.Errorf("answered by %v after %v; want the right response at 1.5s", resp.Elements, time.Since(start))
		}
	})
}
