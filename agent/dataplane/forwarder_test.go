package dataplane

import (
	"bytes"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/capwap/tunnel"
)

// fakeConn is a frameConn and a net.PacketConn fed and read by the test.
type fakeConn struct {
	in     chan []byte
	mu     sync.Mutex
	out    [][]byte
	closed chan struct{}
	once   sync.Once
}

func newFake() *fakeConn { return &fakeConn{in: make(chan []byte, 16), closed: make(chan struct{})} }

func (c *fakeConn) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case p := <-c.in:
		return copy(b, p), nil, nil
	case <-c.closed:
		return 0, nil, net.ErrClosed
	}
}

func (c *fakeConn) WriteTo(b []byte, _ net.Addr) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.out = append(c.out, append([]byte(nil), b...))
	return len(b), nil
}

func (c *fakeConn) Close() error                     { c.once.Do(func() { close(c.closed) }); return nil }
func (c *fakeConn) LocalAddr() net.Addr              { return nil }
func (c *fakeConn) SetDeadline(time.Time) error      { return nil }
func (c *fakeConn) SetReadDeadline(time.Time) error  { return nil }
func (c *fakeConn) SetWriteDeadline(time.Time) error { return nil }

func (c *fakeConn) sent() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]byte(nil), c.out...)
}

func ethFrame(etherType uint16, n int) []byte {
	b := make([]byte, n)
	copy(b, []byte{2, 0, 0, 0, 0, 0x10, 2, 0, 0, 0, 0, 0x20})
	b[12], b[13] = byte(etherType>>8), byte(etherType)
	for i := 14; i < n; i++ {
		b[i] = byte(i)
	}
	return b
}

func TestForwarder(t *testing.T) {
	data := newFake()
	f := New(data, nil, 1472, nil)
	wlan1, wlan2 := newFake(), newFake()
	f.add(&port{w: WLAN{Radio: 1, ID: 1, Interface: "w1"}, pc: wlan1, done: make(chan struct{})})
	f.add(&port{w: WLAN{Radio: 1, ID: 2, Interface: "w2"}, pc: wlan2, done: make(chan struct{})})
	defer f.Close()

	// From the manager: whole and fragmented frames reach only the WLANs
	// Destination WLANs names on the right radio.
	enc := tunnel.NewEncoder(1472)
	send := func(radio, wlan uint8, frame []byte) {
		_ = enc.Encode(radio, tunnel.WLANBit(wlan), frame, func(p []byte) error {
			f.FromManager(append([]byte(nil), p...))
			return nil
		})
	}
	small, big := ethFrame(0x0800, 100), ethFrame(0x0800, 1514)
	send(1, 1, small)
	send(1, 2, big)
	send(2, 1, small) // no such radio here
	if got := wlan1.sent(); len(got) != 1 || !bytes.Equal(got[0], small) {
		t.Errorf("WLAN 1 sent %d frames, want the small one", len(got))
	}
	if got := wlan2.sent(); len(got) != 1 || !bytes.Equal(got[0], big) {
		t.Errorf("WLAN 2 sent %d frames, want the 1514-byte one put back together", len(got))
	}
	if c := f.Counters(); c.FromManager != 2 || c.Drops != 1 {
		t.Errorf("counters %+v, want 2 from the manager and 1 drop", c)
	}

	// To the manager: a client's frames, in fragments when they must be;
	// EAPOL stays with hostapd.
	wlan1.in <- ethFrame(0x888e, 121)
	wlan1.in <- big
	deadline := time.Now().Add(5 * time.Second)
	for len(data.sent()) < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	r := tunnel.NewReassembler()
	var whole [][]byte
	for _, p := range data.sent() {
		h, payload, err := tunnel.Decode(p)
		if err != nil || h.RadioID != 1 {
			t.Fatalf("packet to the manager: %+v %v", h, err)
		}
		if _, fr, done, err := r.Add(h, payload, time.Now()); err != nil {
			t.Fatal(err)
		} else if done {
			whole = append(whole, fr)
		}
	}
	if len(whole) != 1 || !bytes.Equal(whole[0], big) {
		t.Errorf("the manager got %d frames, want only the 1514-byte data frame (no EAPOL)", len(whole))
	}

	// Set lets an interface go.
	if err := f.Set([]WLAN{{Radio: 1, ID: 1, Interface: "w1"}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-wlan2.closed:
	default:
		t.Error("WLAN 2's socket still open after Set without it")
	}
	if err := f.Set([]WLAN{{Radio: 1, ID: 1, Interface: "w1"}, {Radio: 1, ID: 3, Interface: "no-such-if0"}}); err == nil || !strings.Contains(err.Error(), "no-such-if0") {
		t.Errorf("Set with a missing interface: %v", err)
	}
}
