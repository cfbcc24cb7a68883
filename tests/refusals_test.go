package tests

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/capwap/transport"
	"github.com/capstan-wifi/capstan/capwap/wire"
)

// scriptedCAP is a hand-driven CAP: a DTLS association with the manager and
// its control channel, for sending exactly the messages a test wants.
func scriptedCAP(t *testing.T, addr string) *transport.ControlConn {
	t.Helper()
	ua, err := net.ResolveUDPAddr("udp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := transport.ListenUDP(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := transport.NewMux(c, transport.MuxConfig{})
	t.Cleanup(func() { mux.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := transport.Dial(ctx, mux.Dial(ua), transport.ClientConfig{VerifyPeer: func([][]byte) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	cc := transport.NewControlConn(conn, transport.ControlConfig{})
	t.Cleanup(func() { cc.Close() })
	return cc
}

func joinElements(mac net.HardwareAddr, id wire.SessionID) []wire.Element {
	return []wire.Element{
		&wire.LocationData{Location: "lab"},
		&wire.WTPBoardData{Vendor: wire.EnterpriseNumber, Items: []wire.BoardDataItem{{Type: wire.BoardBaseMAC, Value: mac}}},
		&wire.WTPDescriptor{MaxRadios: 1, RadiosInUse: 1, Encryption: []wire.EncryptionCapability{{WBID: 1}}},
		&wire.WTPName{Name: "scripted"},
		&id,
		&wire.WTPFrameTunnelMode{Modes: wire.TunnelLocalBridge},
		&wire.WTPMACType{MACType: wire.LocalMAC},
		&wire.ECNSupport{},
		&wire.CAPWAPLocalIPv4Address{Address: netip.IPv4Unspecified()},
	}
}

func resultOf(t *testing.T, resp *wire.ControlMessage) wire.ResultCode {
	t.Helper()
	rc, ok := resp.Element(wire.TypeResultCode).(*wire.ResultCodeElement)
	if !ok {
		t.Fatalf("%v without a Result Code: %v", resp.Type, resp.Elements)
	}
	return rc.Code
}

// TestManagerRefusals: every refusal at Join and in the wrong state carries
// its RFC 5415 Result Code.
func TestManagerRefusals(t *testing.T) {
	_, addr, _ := startManager(t, "core")
	mac := net.HardwareAddr{2, 0x52, 0, 0, 0, 1}
	id := wire.SessionID{1, 2, 3, 4}
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		req  *wire.ControlMessage
		want wire.ResultCode
	}{
		{"missing WTP Name", &wire.ControlMessage{Type: wire.JoinRequest, Elements: without(joinElements(mac, id), wire.TypeWTPName)},
			wire.ResultMissingMandatoryElement},
		{"no base MAC", &wire.ControlMessage{Type: wire.JoinRequest, Elements: joinElements(nil, id)},
			wire.ResultJoinFailureIncorrectData},
		{"zero Session ID", &wire.ControlMessage{Type: wire.JoinRequest, Elements: joinElements(mac, wire.SessionID{})},
			wire.ResultJoinFailureIncorrectData},
		{"configuration before join", &wire.ControlMessage{Type: wire.ConfigurationStatusRequest},
			wire.ResultMessageUnexpectedInvalidState},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cc := scriptedCAP(t, addr)
			resp, err := cc.Request(ctx, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if got := resultOf(t, resp); got != tc.want {
				t.Errorf("result %d (%v), want %d (%v)", uint32(got), got, uint32(tc.want), tc.want)
			}
		})
	}

	t.Run("session ID in use by another CAP", func(t *testing.T) {
		first := scriptedCAP(t, addr)
		resp, err := first.Request(ctx, &wire.ControlMessage{Type: wire.JoinRequest, Elements: joinElements(mac, id)})
		if err != nil || resultOf(t, resp) != wire.ResultSuccess {
			t.Fatalf("first join: %v %v", resp, err)
		}
		second := scriptedCAP(t, addr)
		other := net.HardwareAddr{2, 0x52, 0, 0, 0, 2}
		resp, err = second.Request(ctx, &wire.ControlMessage{Type: wire.JoinRequest, Elements: joinElements(other, id)})
		if err != nil {
			t.Fatal(err)
		}
		if got := resultOf(t, resp); got != wire.ResultJoinFailureSessionIDInUse {
			t.Errorf("result %v, want %v", got, wire.ResultJoinFailureSessionIDInUse)
		}
	})
}

func without(es []wire.Element, t wire.ElementType) []wire.Element {
	var out []wire.Element
	for _, e := range es {
		if e.Type() != t {
			out = append(out, e)
		}
	}
	return out
}
