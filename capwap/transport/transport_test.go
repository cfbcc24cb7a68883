package transport

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pion/dtls/v3"

	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/internal/testtool"
	"github.com/capstan-wifi/capstan/pki"
)

// pair is a manager mux and an agent mux on loopback UDP.
type pair struct {
	server, client *Mux
	cert           ServerConfig
	sent           *recorder // what the client wrote
}

func newPair(t *testing.T) *pair {
	t.Helper()
	ctx := context.Background()
	sc, err := ListenUDP(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cc, err := ListenUDP(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := pki.SelfSigned("capstan-test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{PacketConn: cc}
	p := &pair{
		server: NewMux(sc, MuxConfig{Accept: true, CIDLength: CIDLength}),
		client: NewMux(rec, MuxConfig{}),
		cert:   ServerConfig{Certificate: cert},
		sent:   rec,
	}
	t.Cleanup(func() { p.server.Close(); p.client.Close() })
	return p
}

// connect handshakes one association and returns both control channels.
func (p *pair) connect(t *testing.T) (server, client *ControlConn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	type result struct {
		c   *dtls.Conn
		err error
	}
	srv := make(chan result, 1)
	go func() {
		peer, err := p.server.Accept(ctx)
		if err != nil {
			srv <- result{err: err}
			return
		}
		c, err := Accept(ctx, peer, p.cert)
		srv <- result{c, err}
	}()
	var gotCN string
	cl, err := Dial(ctx, p.client.Dial(p.server.LocalAddr()), ClientConfig{VerifyPeer: func(raw [][]byte) error {
		gotCN, _ = pki.CommonName(raw)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	r := <-srv
	if r.err != nil {
		t.Fatal(r.err)
	}
	if gotCN != "capstan-test" {
		t.Errorf("client saw CommonName %q, want capstan-test", gotCN)
	}
	server, client = NewControlConn(r.c, ControlConfig{}), NewControlConn(cl, ControlConfig{})
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

// answer responds to every request on c with an AC Name element.
func answer(c *ControlConn, name string) {
	go func() {
		for {
			select {
			case req := <-c.Requests():
				_ = c.Respond(req, &wire.ControlMessage{Elements: []wire.Element{&wire.ACName{Name: name}}})
			case <-c.Done():
				return
			}
		}
	}()
}

func TestRequestResponseOverDTLS(t *testing.T) {
	p := newPair(t)
	server, client := p.connect(t)
	answer(server, "core")
	for i := range 3 {
		resp, err := client.Request(context.Background(), &wire.ControlMessage{Type: wire.EchoRequest})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Type != wire.EchoResponse || resp.Seq != uint8(i) {
			t.Errorf("response %d: type %v seq %d", i, resp.Type, resp.Seq)
		}
		if diff := cmp.Diff(&wire.ACName{Name: "core"}, resp.Element(wire.TypeACName)); diff != "" {
			t.Errorf("element (-want +got):\n%s", diff)
		}
	}
}

func TestLargeMessageIsFragmented(t *testing.T) {
	p := newPair(t)
	server, client := p.connect(t)
	long := make([]byte, 5000)
	for i := range long {
		long[i] = 'a' + byte(i%26)
	}
	answer(server, string(long[:512]))
	req := &wire.ControlMessage{Type: wire.ConfigurationStatusRequest, Elements: []wire.Element{
		&wire.LocationData{Location: string(long[:1024])},
		&wire.LocationData{Location: string(long[1024:2048])},
	}}
	if _, err := client.Request(context.Background(), req); err != nil {
		t.Fatal(err)
	}
}

func TestDuplicateRequestAnsweredFromCache(t *testing.T) {
	p := newPair(t)
	server, client := p.connect(t)
	var calls atomic.Int32
	go func() {
		for req := range server.Requests() {
			calls.Add(1)
			_ = server.Respond(req, &wire.ControlMessage{})
		}
	}()
	req := &wire.ControlMessage{Type: wire.EchoRequest}
	if _, err := client.Request(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	// Replay the same request by hand, as a retransmission would.
	pkts, err := client.encode(req)
	if err != nil {
		t.Fatal(err)
	}
	if err := client.send(pkts); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Request(context.Background(), &wire.ControlMessage{Type: wire.EchoRequest}); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("server processed %d requests, want 2 (the duplicate answered from cache)", n)
	}
}

func TestRestartedPeerReplacesStaleAssociation(t *testing.T) {
	p := newPair(t)
	server, _ := p.connect(t)
	answer(server, "old")
	// A restarted agent: a new client mux on the same address is not
	// possible with the old one open, so dial a second association from the
	// same client mux, which sends a fresh ClientHello from the same address.
	server2, client2 := p.connect(t)
	answer(server2, "new")
	select {
	case <-server.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("stale server session not closed after a new ClientHello from its address")
	}
	resp, err := client2.Request(context.Background(), &wire.ControlMessage{Type: wire.EchoRequest})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Element(wire.TypeACName).(*wire.ACName).Name; got != "new" {
		t.Errorf("answered by %q, want the new session", got)
	}
	if n := p.server.Peers(); n != 1 {
		t.Errorf("server holds %d associations, want 1", n)
	}
}

func TestGarbageDoesNotDisturbSession(t *testing.T) {
	p := newPair(t)
	server, client := p.connect(t)
	answer(server, "core")
	junk, err := ListenUDP(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer junk.Close()
	for _, b := range [][]byte{
		{}, {0x01}, {0x01, 0, 0, 0}, {0x01, 0, 0, 0, 23, 0xfe, 0xfd, 0, 1},
		append([]byte{0x01, 0, 0, 0, 22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 1}, make([]byte, 60000)...),
		{0x00, 0x10, 0x00},
		{0xff, 0xff, 0xff, 0xff},
	} {
		if _, err := junk.WriteTo(b, p.server.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.Request(context.Background(), &wire.ControlMessage{Type: wire.EchoRequest}); err != nil {
		t.Fatalf("session broken by garbage: %v", err)
	}
}

func TestParseRecord(t *testing.T) {
	hello := []byte{22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, handshakeClientHello}
	cid := []byte{25, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 1, 9, 9, 9, 9, 0, 4}
	for _, tc := range []struct {
		name string
		b    []byte
		want recordInfo
		ok   bool
	}{
		{"hello", hello, recordInfo{clientHello: true}, true},
		{"cid", cid, recordInfo{epoch: 1, cid: []byte{9, 9, 9, 9}}, true},
		{"short", hello[:5], recordInfo{}, false},
		{"not dtls", []byte{22, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, recordInfo{}, false},
		{"unknown type", []byte{99, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, recordInfo{}, false},
	} {
		got, ok := parseRecord(tc.b, 4)
		if ok != tc.ok {
			t.Errorf("%s: ok = %v", tc.name, ok)
		}
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(recordInfo{})); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestL2Frame(t *testing.T) {
	b := appendL2Header(nil, DataChannel, 3)
	b = append(b, 1, 2, 3, 0, 0, 0) // Ethernet padding
	ch, payload, err := parseL2Frame(b)
	if err != nil || ch != DataChannel || !cmp.Equal(payload, []byte{1, 2, 3}) {
		t.Errorf("parse = %v %v %v", ch, payload, err)
	}
	for _, bad := range [][]byte{
		{0xCA},
		{0xCA, 0x58, 1, 0, 0, 0},
		{0xCA, 0x57, 2, 0, 0, 0},
		{0xCA, 0x57, 1, 0, 0, 9, 1},
	} {
		if _, _, err := parseL2Frame(bad); err == nil {
			t.Errorf("parseL2Frame(%x) accepted", bad)
		}
	}
}

func TestReplayedClientHelloLeavesSessionAlone(t *testing.T) {
	p := newPair(t)
	rec := p.sent
	server, client := p.connect(t)
	answer(server, "core")
	rec.mu.Lock()
	sent := rec.sent
	rec.mu.Unlock()
	if len(sent) == 0 {
		t.Fatal("recorded nothing")
	}
	for range 3 {
		for _, b := range sent {
			if _, err := rec.PacketConn.WriteTo(b, p.server.LocalAddr()); err != nil {
				t.Fatal(err)
			}
		}
	}
	time.Sleep(200 * time.Millisecond)
	if _, err := client.Request(context.Background(), &wire.ControlMessage{Type: wire.EchoRequest}); err != nil {
		t.Fatalf("session broken by replayed handshake packets: %v", err)
	}
	select {
	case <-server.Done():
		t.Fatal("server session closed by a replay")
	default:
	}
}

// recorder keeps a copy of every datagram written through it.
type recorder struct {
	net.PacketConn
	mu   sync.Mutex
	sent [][]byte
}

func (r *recorder) WriteTo(b []byte, addr net.Addr) (int, error) {
	r.mu.Lock()
	r.sent = append(r.sent, append([]byte(nil), b...))
	r.mu.Unlock()
	return r.PacketConn.WriteTo(b, addr)
}

// muteAfter passes the first n writes and silently drops the rest.
type muteAfter struct {
	net.PacketConn
	n atomic.Int32
}

func (m *muteAfter) WriteTo(b []byte, addr net.Addr) (int, error) {
	if m.n.Add(-1) < 0 {
		return len(b), nil
	}
	return m.PacketConn.WriteTo(b, addr)
}

func TestNewClientHelloReplacesHalfOpenAssociation(t *testing.T) {
	p := newPair(t)
	go func() {
		for {
			peer, err := p.server.Accept(context.Background())
			if err != nil {
				return
			}
			go func() {
				if c, err := Accept(context.Background(), peer, p.cert); err == nil {
					NewControlConn(c, ControlConfig{})
				}
			}()
		}
	}()
	c1, err := ListenUDP(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := c1.LocalAddr().(*net.UDPAddr).Port
	mute := &muteAfter{PacketConn: c1}
	mute.n.Store(2) // both ClientHellos go out; the client's Finished flight never does
	m1 := NewMux(mute, MuxConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	_, err = Dial(ctx, m1.Dial(p.server.LocalAddr()), ClientConfig{VerifyPeer: func([][]byte) error { return nil }})
	cancel()
	m1.Close()
	if err == nil {
		t.Fatal("the muted handshake completed")
	}
	// The same address comes back with a new handshake, as a CAP whose
	// port was reused or that restarted mid-handshake.
	c2, err := ListenUDP(context.Background(), "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Skipf("port %d not free again: %v", port, err)
	}
	m2 := NewMux(c2, MuxConfig{})
	defer m2.Close()
	ctx, cancel = context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if _, err := Dial(ctx, m2.Dial(p.server.LocalAddr()), ClientConfig{VerifyPeer: func([][]byte) error { return nil }}); err != nil {
		t.Fatalf("new handshake from the address of a half-open one: %v", err)
	}
}

// rebinder is a client socket whose source port can change mid-session, as
// behind a NAT that rebinds: it sends from one of two sockets and reads both.
type rebinder struct {
	a, b   net.PacketConn
	useB   atomic.Bool
	in     chan packetIn
	closed chan struct{}
}

func newRebinder(t *testing.T) *rebinder {
	t.Helper()
	r := &rebinder{in: make(chan packetIn, 64), closed: make(chan struct{})}
	for _, c := range []*net.PacketConn{&r.a, &r.b} {
		u, err := ListenUDP(context.Background(), "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		*c = u
		go func(c net.PacketConn) {
			buf := make([]byte, 65536)
			for {
				n, addr, err := c.ReadFrom(buf)
				if err != nil {
					return
				}
				select {
				case r.in <- packetIn{append([]byte(nil), buf[:n]...), addr}:
				case <-r.closed:
					return
				}
			}
		}(u)
	}
	return r
}

func (r *rebinder) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case p := <-r.in:
		return copy(b, p.b), p.addr, nil
	case <-r.closed:
		return 0, nil, net.ErrClosed
	}
}

func (r *rebinder) WriteTo(b []byte, addr net.Addr) (int, error) {
	if r.useB.Load() {
		return r.b.WriteTo(b, addr)
	}
	return r.a.WriteTo(b, addr)
}

func (r *rebinder) Close() error {
	close(r.closed)
	r.a.Close()
	return r.b.Close()
}

func (r *rebinder) LocalAddr() net.Addr              { return r.a.LocalAddr() }
func (r *rebinder) SetDeadline(time.Time) error      { return nil }
func (r *rebinder) SetReadDeadline(time.Time) error  { return nil }
func (r *rebinder) SetWriteDeadline(time.Time) error { return nil }

func TestConnectionIDSurvivesRebinding(t *testing.T) {
	p := newPair(t)
	rb := newRebinder(t)
	client := NewMux(rb, MuxConfig{})
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv := make(chan *ControlConn, 1)
	go func() {
		peer, err := p.server.Accept(ctx)
		if err != nil {
			return
		}
		c, err := Accept(ctx, peer, p.cert)
		if err == nil {
			srv <- NewControlConn(c, ControlConfig{})
		}
	}()
	cl, err := Dial(ctx, client.Dial(p.server.LocalAddr()), ClientConfig{VerifyPeer: func([][]byte) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	server := <-srv
	answer(server, "core")
	cc := NewControlConn(cl, ControlConfig{})
	if _, err := cc.Request(ctx, &wire.ControlMessage{Type: wire.EchoRequest}); err != nil {
		t.Fatal(err)
	}
	rb.useB.Store(true) // the NAT gives the CAP a new source port
	if _, err := cc.Request(ctx, &wire.ControlMessage{Type: wire.EchoRequest}); err != nil {
		t.Fatalf("after rebinding: %v", err)
	}
	// pion hands the record to the reader before it moves the remote
	// address (conn.go: the RFC 9146 update follows delivery), so the
	// reply may still go to the old address; the move itself must follow.
	want := rb.b.LocalAddr().String()
	for server.RemoteAddr().String() != want {
		select {
		case <-ctx.Done():
			t.Fatalf("server talks to %s after rebinding, want %s", server.RemoteAddr(), want)
		case <-time.After(time.Millisecond):
		}
	}
}

// After this side ends an association (the manager after in-band
// enrollment), the peer's last records to its connection ID, its
// close_notify or a retransmission, are expected and dropped without a
// warning; a connection ID never issued still warns.
func TestClosedConnectionIDIsNoStranger(t *testing.T) {
	p := newPair(t)
	var log testtool.Buffer
	p.server.warn = NewLogLimiter(slog.New(slog.NewTextHandler(&log, nil)), time.Nanosecond)
	server, client := p.connect(t)
	answer(server, "core")
	if _, err := client.Request(context.Background(), &wire.ControlMessage{Type: wire.EchoRequest}); err != nil {
		t.Fatal(err)
	}
	var withCID []byte
	p.sent.mu.Lock()
	for _, b := range p.sent.sent {
		if len(b) > wire.DTLSHeaderLen && b[wire.DTLSHeaderLen] == contentTypeConnectionID {
			withCID = b
		}
	}
	p.sent.mu.Unlock()
	if withCID == nil {
		t.Fatal("the client sent no record with a connection ID")
	}
	server.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		p.server.mu.Lock()
		n := len(p.server.cids)
		p.server.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the closed association's connection ID is still routed")
		}
	}
	raw, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	send := func(b []byte) {
		if _, err := raw.WriteTo(b, p.server.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	send(withCID) // the closed association's peer, late
	stranger := bytes.Clone(withCID)
	stranger[wire.DTLSHeaderLen+11] ^= 0xff // another connection ID
	send(stranger)
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(log.String(), "unknown connection ID"); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no warning for a connection ID never issued; log:\n%s", log.String())
		}
	}
	if n := strings.Count(log.String(), "unknown connection ID"); n != 1 {
		t.Errorf("%d warnings, want 1 (the stranger's only):\n%s", n, log.String())
	}
}
