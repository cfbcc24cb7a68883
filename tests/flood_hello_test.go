package tests

import (
	"context"
	"crypto/rand"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/agent"
	"github.com/capstan-wifi/capstan/capwap/transport"
	"github.com/capstan-wifi/capstan/capwap/wire"
)

// firstDatagram records what a conn sends first and drops everything.
type firstDatagram struct {
	net.PacketConn
	once sync.Once
	got  chan []byte
}

func (f *firstDatagram) WriteTo(b []byte, _ net.Addr) (int, error) {
	f.once.Do(func() { f.got <- append([]byte(nil), b...) })
	return len(b), nil
}

// realClientHello is the ClientHello datagram a CAP sends first.
func realClientHello(t *testing.T) []byte {
	t.Helper()
	c, err := transport.ListenUDP(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec := &firstDatagram{PacketConn: c, got: make(chan []byte, 1)}
	mux := transport.NewMux(rec, transport.MuxConfig{})
	defer mux.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, _ = transport.Dial(ctx, mux.Dial(&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}), transport.ClientConfig{VerifyPeer: func([][]byte) error { return nil }})
	select {
	case b := <-rec.got:
		return b
	default:
		t.Fatal("no ClientHello recorded")
		return nil
	}
}

// helloFlood sends ClientHellos, each a new attempt, at perSecond from 400
// sources on 127.0.0.2–51 that never answer a cookie (as forged sources
// cannot), until stop is closed or max are sent.
func helloFlood(t *testing.T, to net.Addr, perSecond, max int, stop <-chan struct{}) (sent *atomic.Int64, done <-chan struct{}) {
	t.Helper()
	hello := realClientHello(t)
	var socks []net.PacketConn
	for i := range 400 {
		c, err := net.ListenPacket("udp4", net.JoinHostPort(net.IPv4(127, 0, 0, byte(2+i%50)).String(), "0"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		socks = append(socks, c)
	}
	sent = new(atomic.Int64)
	fin := make(chan struct{})
	off := wire.DTLSHeaderLen + 13 + 12 + 2 // the ClientHello's random
	go func() {
		defer close(fin)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for n := 0; n < max; {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			for range perSecond / 100 {
				b := append([]byte(nil), hello...)
				_, _ = rand.Read(b[off : off+32])
				_, _ = socks[n%len(socks)].WriteTo(b, to)
				n++
			}
			sent.Store(int64(n))
		}
	}()
	return sent, fin
}

// Spoofed ClientHellos at 4,000/s while a CAP restarts: the CAP rejoins
// during the flood, and the manager's goroutines stay within the
// half-open bound instead of growing with every hello.
func TestFloodClientHellosWhileCAPRestarts(t *testing.T) {
	srv, addr, _ := startManager(t, "core")
	first, stopFirst := startAgent(t, 1, func(c *agent.Config) { c.ManagerAddresses = []string{addr} })
	waitFor(t, 15*time.Second, "the CAP in run", inRun(first))
	to := srv.ControlAddr()
	runtime.GC()
	before := runtime.NumGoroutine()

	stop := make(chan struct{})
	sent, fin := helloFlood(t, to, 4000, 200000, stop)
	defer func() { close(stop); <-fin }()
	waitFor(t, 20*time.Second, "the flood under way", func() bool { return sent.Load() >= 4000 })
	stopFirst()
	began := time.Now()
	again, _ := startAgent(t, 1, func(c *agent.Config) { c.ManagerAddresses = []string{addr} })
	waitFor(t, 60*time.Second, "the restarted CAP in run during the flood", inRun(again))
	took := time.Since(began)
	// The flood goes on for two more seconds' worth; the CAP stays.
	waitFor(t, 30*time.Second, "the flood going on", func() bool { return sent.Load() >= 12000 })
	peak := runtime.NumGoroutine()
	if st := again.Status(); st.State != "run" || st.Joins != 1 {
		t.Errorf("the restarted CAP during the flood: state %s, joins %d", st.State, st.Joins)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("restarted CAP in run after %v with %d hellos sent; goroutines %d before, %d during; heap in use %d MiB",
		took.Round(time.Millisecond), sent.Load(), before, peak, ms.HeapInuse>>20)
	// A few goroutines per half-open association (handshake, pion's
	// reader and timers), never one per hello.
	if bound := before + 4*transport.DefaultMaxHalfOpen + 100; peak > bound {
		t.Errorf("%d goroutines during the flood, bound %d", peak, bound)
	}
	if n := len(srv.RemoteCaps()); n != 1 {
		t.Errorf("%d CAPs joined, want 1", n)
	}
}
