package controlplane

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/capstan-wifi/capstan/capwap/tunnel"
	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/internal/offload"
)

type sentFrame struct {
	radio uint8
	wlans wire.DestinationWLANs
	frame []byte
}

type fakeTAP struct{ got []sentFrame } // vlan in radio's place

func (f *fakeTAP) Deliver(frame []byte, vlan uint16, _ *offload.Coalescer) {
	f.got = append(f.got, sentFrame{radio: uint8(vlan), frame: append([]byte(nil), frame...)})
}

type fwdLab struct {
	t    *fwdTable
	tap  *fakeTAP
	sent []sentFrame
	b    *tapBinding
}

var (
	macA  = mac48{2, 0, 0, 0, 0, 0xa}
	macB  = mac48{2, 0, 0, 0, 0, 0xb}
	macC  = mac48{2, 0, 0, 0, 0, 0xc}
	bcast = mac48{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
)

// newFwdLab binds WLAN 1 of radio 0 as interface cap1 (vlan, c2c) with
// clients A and B on it, admitted with no VLAN of their own.
func newFwdLab(vlan uint16, c2c bool) *fwdLab {
	l := &fwdLab{tap: &fakeTAP{}}
	l.t = newFwdTable(func(radio uint8, wlans wire.DestinationWLANs, frame []byte) error {
		l.sent = append(l.sent, sentFrame{radio, wlans, append([]byte(nil), frame...)})
		return nil
	}, 1456)
	k := wlanKey{0, 1}
	l.b = l.t.bind(k, "cap1", vlan, c2c, l.tap)
	for _, m := range []mac48{macA, macB} {
		l.t.place(m, k)
		l.t.admit(m, 0, nil)
	}
	return l
}

func frameOf(dst, src mac48, payload string) []byte {
	f := append(append(append([]byte(nil), dst[:]...), src[:]...), 0x08, 0x00)
	return append(f, payload...)
}

func tagged(f []byte, vlan uint16) []byte {
	out := append([]byte(nil), f[:12]...)
	out = binary.BigEndian.AppendUint16(out, 0x8100)
	out = binary.BigEndian.AppendUint16(out, vlan)
	return append(out, f[12:]...)
}

func TestFwdTableFromClients(t *testing.T) {
	l := newFwdLab(10, false)
	up := frameOf(bcast, macA, "dhcp discover")
	if !l.t.fromClient(0, up, nil) || len(l.tap.got) != 1 || l.tap.got[0].radio != 10 || !bytes.Equal(l.tap.got[0].frame, up) {
		t.Fatalf("A's broadcast: tap got %+v, want it once in VLAN 10", l.tap.got)
	}
	if len(l.sent) != 0 {
		t.Fatalf("client-to-client off: the broadcast went back to the CAP: %+v", l.sent)
	}
	// A client that did not associate on this radio, or was not admitted
	// yet, sends nothing through.
	if l.t.fromClient(1, frameOf(bcast, macA, "x"), nil) {
		t.Error("a frame from A on radio 1 (A is on radio 0) was accepted")
	}
	l.t.place(macC, wlanKey{0, 1})
	if l.t.fromClient(0, frameOf(bcast, macC, "x"), nil) {
		t.Error("a frame from C before its access-list verdict was accepted")
	}
	// A to B with client-to-client off: dropped, counted against A.
	l.t.fromClient(0, frameOf(macB, macA, "to b"), nil)
	if len(l.sent) != 0 || len(l.tap.got) != 1 {
		t.Fatalf("A→B with client-to-client=no went somewhere: sent %d, tap %d", len(l.sent), len(l.tap.got))
	}
	if fc, vlan, _ := l.t.counters(macA); fc.Drops != 1 || fc.RxPackets != 2 || vlan != 10 {
		t.Errorf("A's counters %+v vlan %d, want 2 rx, 1 drop, VLAN 10", fc, vlan)
	}
	// The access list lets A talk to its peers: A→B goes back to the CAP.
	yes := true
	l.t.admit(macA, 0, &yes)
	l.t.fromClient(0, frameOf(macB, macA, "to b"), nil)
	if len(l.sent) != 1 || l.sent[0].wlans != tunnel.WLANBit(1) || !bytes.Equal(l.sent[0].frame[:6], macB[:]) {
		t.Fatalf("A→B allowed: sent %+v", l.sent)
	}
	if fc, _, _ := l.t.counters(macB); fc.TxPackets != 1 {
		t.Errorf("B's tx counter %d, want 1", fc.TxPackets)
	}
	// Its broadcast goes to the TAP and back to the WLAN.
	l.t.fromClient(0, frameOf(bcast, macA, "arp"), nil)
	if len(l.sent) != 2 || len(l.tap.got) != 2 {
		t.Fatalf("A's broadcast with client-to-client: sent %d tap %d, want 2 and 2", len(l.sent), len(l.tap.got))
	}
}

func TestFwdTableVLANs(t *testing.T) {
	l := newFwdLab(10, false)
	l.t.admit(macB, 20, nil) // the access list puts B in VLAN 20
	l.t.fromClient(0, frameOf(bcast, macB, "b"), nil)
	if got := l.tap.got[0].radio; got != 20 {
		t.Fatalf("B's frame tagged %d, want 20", got)
	}
	// Unicast from the TAP goes only to a client of the VLAN it carries.
	for _, c := range []struct {
		frame []byte
		ok    bool
	}{
		{tagged(frameOf(macA, macC, "a10"), 10), true},
		{tagged(frameOf(macB, macC, "b20"), 20), true},
		{tagged(frameOf(macB, macC, "b10"), 10), false},
		{frameOf(macA, macC, "a-untagged"), false},
		{tagged(frameOf(macC, macC, "unknown"), 10), false},
	} {
		n := len(l.sent)
		err := l.b.Send(append([]byte(nil), c.frame...))
		if (err == nil) != c.ok || (len(l.sent) > n) != c.ok {
			t.Errorf("Send(% x): err %v, sent %d, want ok=%v", c.frame[:18], err, len(l.sent)-n, c.ok)
			continue
		}
		if c.ok {
			got := l.sent[len(l.sent)-1].frame
			if want := c.frame[16:]; !bytes.Equal(got[12:], want) || !bytes.Equal(got[:12], c.frame[:12]) {
				t.Errorf("sent % x, want the frame untagged", got)
			}
		}
	}
	// A group frame: with a client in a VLAN of its own, every group frame
	// goes as unicast copies to the clients of its VLAN only.
	l.sent = nil
	g := tagged(frameOf(bcast, macC, "offer"), 20)
	if err := l.b.Send(g); err != nil {
		t.Fatal(err)
	}
	if len(l.sent) != 1 || !bytes.Equal(l.sent[0].frame[:6], macB[:]) {
		t.Fatalf("VLAN 20 broadcast: sent %+v, want one copy to B", l.sent)
	}
	// Back to one VLAN for all: a group frame goes once, as itself.
	l.t.admit(macB, 0, nil)
	l.sent = nil
	if err := l.b.Send(tagged(frameOf(bcast, macC, "offer"), 10)); err != nil || len(l.sent) != 1 || !bytes.Equal(l.sent[0].frame[:6], bcast[:]) {
		t.Fatalf("VLAN 10 broadcast, one VLAN: err %v sent %+v", err, l.sent)
	}
	if err := l.b.Send(tagged(frameOf(bcast, macC, "offer"), 30)); err == nil {
		t.Error("a broadcast of VLAN 30, which no client has, was sent")
	}
}

func TestFwdTableFollowsClientsAndBindings(t *testing.T) {
	l := newFwdLab(0, true)
	// B roams to WLAN 2, which is not manager-forwarded here.
	l.t.place(macB, wlanKey{0, 2})
	if l.t.fromClient(0, frameOf(bcast, macB, "x"), nil) {
		t.Error("B's frame on an unbound WLAN was accepted")
	}
	if err := l.b.Send(frameOf(macB, macC, "x")); err == nil {
		t.Error("a frame for B went to cap1 after B left it")
	}
	l.t.drop(macA)
	if l.t.fromClient(0, frameOf(bcast, macA, "x"), nil) {
		t.Error("a dropped client's frame was accepted")
	}
	// A binding replaced by another interface's stops sending.
	l.t.place(macA, wlanKey{0, 1})
	l.t.admit(macA, 0, nil)
	l.t.bind(wlanKey{0, 1}, "cap9", 0, true, l.tap)
	if err := l.b.Send(frameOf(macA, macC, "x")); err == nil {
		t.Error("the old binding still sends after the WLAN was bound to another interface")
	}
	l.t.unbind(wlanKey{0, 1})
	if l.t.fromClient(0, frameOf(bcast, macA, "x"), nil) {
		t.Error("a frame was accepted on an unbound WLAN")
	}
}

func TestFwdTableAllocatesNothing(t *testing.T) {
	l := newFwdLab(10, true)
	l.t.send = func(uint8, wire.DestinationWLANs, []byte) error { return nil }
	l.t.queue = l.t.send
	l.tap = nil
	l.t.ifaces[wlanKey{0, 1}].tap = discardTAP{}
	up := frameOf(macB, macA, string(make([]byte, 1400)))
	down := tagged(frameOf(macA, macC, string(make([]byte, 1400))), 10)
	buf := make([]byte, len(down))
	if n := testing.AllocsPerRun(1000, func() {
		l.t.fromClient(0, up, nil)
		copy(buf, down)
		if err := l.b.Send(buf); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("%v allocations per frame each way, want 0", n)
	}
}

type discardTAP struct{}

func (discardTAP) Deliver([]byte, uint16, *offload.Coalescer) {}

// FuzzFwdTableFrames: any bytes from a client or from the TAP, tagged or
// not, are decided without a panic, and what is sent on is a whole frame
// of the clients' interface.
func FuzzFwdTableFrames(f *testing.F) {
	f.Add(frameOf(bcast, macA, "x"), true)
	f.Add(tagged(frameOf(macB, macC, "y"), 10), false)
	f.Add([]byte{0x81, 0x00}, false)
	f.Add(append(make([]byte, 12), 0x81, 0x00, 0x0f), false)
	f.Fuzz(func(t *testing.T, frame []byte, fromClient bool) {
		l := newFwdLab(10, true)
		l.t.admit(macB, 20, nil)
		if fromClient {
			l.t.fromClient(0, frame, nil)
		} else {
			_ = l.b.Send(frame)
		}
		for _, s := range l.sent {
			if len(s.frame) < 14 || s.wlans != tunnel.WLANBit(1) {
				t.Fatalf("sent %d bytes to WLANs %#x", len(s.frame), s.wlans)
			}
		}
	})
}
