package transport

import (
	"context"
	"crypto/rand"
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/capwap/wire"
)

// clientHello returns a real ClientHello datagram (CAPWAP DTLS header
// included) as pion's client sends it first.
func clientHello(t *testing.T) []byte {
	t.Helper()
	p := newPair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, _ = Dial(ctx, p.client.Dial(&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}), ClientConfig{VerifyPeer: func([][]byte) error { return nil }})
	p.sent.mu.Lock()
	defer p.sent.mu.Unlock()
	if len(p.sent.sent) == 0 {
		t.Fatal("no ClientHello recorded")
	}
	return p.sent.sent[0]
}

// serveAll accepts and handshakes every association on m.
func serveAll(ctx context.Context, m *Mux, sc ServerConfig) {
	for {
		peer, err := m.Accept(ctx)
		if err != nil {
			return
		}
		go func() {
			if c, err := Accept(ctx, peer, sc); err == nil {
				cc := NewControlConn(c, ControlConfig{})
				answer(cc, "core")
				<-ctx.Done()
				cc.Close()
			}
		}()
	}
}

// A flood of ClientHellos from many sources that never answer the cookie
// (as spoofed ones cannot) holds at most MaxHalfOpen associations, and a
// real client still completes its handshake in the middle of it.
func TestHalfOpenFloodIsBounded(t *testing.T) {
	const limit, flood = 64, 3000
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sc, err := ListenUDP(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := newPair(t)
	srv := NewMux(sc, MuxConfig{Accept: true, CIDLength: CIDLength, MaxHalfOpen: limit, MaxHalfOpenPerSource: 8})
	defer srv.Close()
	go serveAll(ctx, srv, p.cert)
	hello := clientHello(t)
	before := runtime.NumGoroutine()

	// Flooders on 127.0.0.2–127.0.0.51, 8 ports each, never reading.
	var socks []net.PacketConn
	for i := range 400 {
		c, err := net.ListenPacket("udp4", net.JoinHostPort(net.IPv4(127, 0, 0, byte(2+i%50)).String(), "0"))
		if err != nil {
			t.Fatalf("bind 127.0.0.%d: %v", 2+i%50, err)
		}
		defer c.Close()
		socks = append(socks, c)
	}
	stop := make(chan struct{})
	sent := make(chan int)
	var progress atomic.Int64
	go func() {
		n := 0
		defer func() { sent <- n }()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for n < flood {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			for range 4 { // 4,000/s
				b := append([]byte(nil), hello...)
				_, _ = rand.Read(b[wire.DTLSHeaderLen+clientRandomOffset : wire.DTLSHeaderLen+clientRandomOffset+32])
				_, _ = socks[n%len(socks)].WriteTo(b, srv.LocalAddr())
				n++
			}
			progress.Store(int64(n))
		}
	}()
	// A real client in the middle of the flood, once it has filled the pool.
	for deadline := time.Now().Add(20 * time.Second); progress.Load() < flood/3; {
		if time.Now().After(deadline) {
			t.Fatalf("flood sent only %d hellos", progress.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cc, err := ListenUDP(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cm := NewMux(cc, MuxConfig{})
	defer cm.Close()
	dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
	defer dcancel()
	began := time.Now()
	conn, err := Dial(dctx, cm.Dial(srv.LocalAddr()), ClientConfig{VerifyPeer: func([][]byte) error { return nil }})
	if err != nil {
		t.Fatalf("real client during the flood: %v (stats %+v)", err, srv.Stats())
	}
	took := time.Since(began)
	client := NewControlConn(conn, ControlConfig{})
	defer client.Close()
	if _, err := client.Request(ctx, &wire.ControlMessage{Type: wire.EchoRequest}); err != nil {
		t.Fatal(err)
	}
	mid := srv.Stats()
	goroutines := runtime.NumGoroutine()
	close(stop)
	n := <-sent
	st := srv.Stats()
	t.Logf("%d ClientHellos sent; real handshake took %v; mid-flood %+v, %d goroutines (before %d)", n, took.Round(time.Millisecond), mid, goroutines, before)
	if st.Unverified > limit || mid.Unverified > limit {
		t.Errorf("unverified associations %d/%d, limit %d", mid.Unverified, st.Unverified, limit)
	}
	if st.Established != 1 {
		t.Errorf("established %d, want the real client only", st.Established)
	}
	if st.Evicted == 0 && n > limit {
		t.Errorf("nothing evicted after %d hellos", n)
	}
	// Goroutines: a few per half-open association at most, not per hello.
	if goroutines-before > 6*limit+50 {
		t.Errorf("%d goroutines during the flood (before %d): more than the half-open bound allows", goroutines, before)
	}
}

func TestHelloCookie(t *testing.T) {
	rec := make([]byte, clientRandomOffset+32)
	rec = append(rec, 2, 0xaa, 0xbb, 3, 1, 2, 3, 0, 2)
	if got := helloCookie(rec); string(got) != "\x01\x02\x03" {
		t.Errorf("cookie %x", got)
	}
	if got := helloCookie(rec[:len(rec)-5]); got != nil {
		t.Errorf("cut cookie %x", got)
	}
	hvr := append(make([]byte, recordHeaderLen), 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfe, 0xff, 2, 7, 8)
	hvr[0] = contentTypeHandshake
	if got := hvrCookie(hvr); string(got) != "\x07\x08" {
		t.Errorf("hvr cookie %x", got)
	}
	if got := hvrCookie(hvr[:len(hvr)-1]); got != nil {
		t.Errorf("cut hvr cookie %x", got)
	}
}

// After a handshake the stages are counted right: one established, none
// half-open.
func TestHandshakeStages(t *testing.T) {
	p := newPair(t)
	server, _ := p.connect(t)
	answer(server, "core")
	if st := p.server.Stats(); st.Established != 1 || st.Handshaking != 0 || st.Unverified != 0 {
		t.Errorf("stats after one handshake: %+v", st)
	}
}
