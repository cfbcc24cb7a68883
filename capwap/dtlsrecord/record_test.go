package dtlsrecord

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/dtls/v3/pkg/crypto/selfsign"
)

// hookConn diverts the datagrams it reads to got while divert is set, so
// that a test can hand pion's records to a Channel.
type hookConn struct {
	net.PacketConn
	divert atomic.Bool
	got    chan []byte
}

func (h *hookConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, a, err := h.PacketConn.ReadFrom(b)
		if err == nil && h.divert.Load() {
			h.got <- bytes.Clone(b[:n])
			continue
		}
		return n, a, err
	}
}

func listen(t testing.TB) *hookConn {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &hookConn{PacketConn: c, got: make(chan []byte, 16)}
}

// pair is an established pion association over loopback and the
// Channels exported from both ends.
type pair struct {
	cu, su         *hookConn
	client, server *dtls.Conn
	cc, sc         *Channel
}

func establish(t testing.TB, suite dtls.CipherSuiteID, cid bool) *pair {
	t.Helper()
	cert, err := selfsign.GenerateSelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	p := &pair{cu: listen(t), su: listen(t)}
	copts := []dtls.ClientOption{dtls.WithCertificates(cert), dtls.WithInsecureSkipVerify(true), dtls.WithCipherSuites(suite)}
	sopts := []dtls.ServerOption{dtls.WithCertificates(cert), dtls.WithCipherSuites(suite)}
	if cid {
		copts = append(copts, dtls.WithConnectionIDGenerator(dtls.OnlySendCIDGenerator()))
		sopts = append(sopts, dtls.WithConnectionIDGenerator(dtls.RandomCIDGenerator(8)))
	}
	if p.client, err = dtls.ClientWithOptions(p.cu, p.su.LocalAddr(), copts...); err != nil {
		t.Fatal(err)
	}
	if p.server, err = dtls.ServerWithOptions(p.su, p.cu.LocalAddr(), sopts...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.client.Close(); p.server.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.server.HandshakeContext(ctx) }()
	if err := p.client.HandshakeContext(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Records through pion both ways first, as the data check does.
	exchange(t, p.client, p.server, "ping")
	exchange(t, p.server, p.client, "pong")
	p.cc, p.sc = export(t, p.client), export(t, p.server)
	return p
}

func export(t testing.TB, c *dtls.Conn) *Channel {
	t.Helper()
	st, ok := c.ConnectionState()
	if !ok {
		t.Fatal("no connection state")
	}
	b, err := st.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	ch, err := New(b)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func exchange(t testing.TB, from, to *dtls.Conn, msg string) {
	t.Helper()
	if _, err := from.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	readIs(t, to, msg)
}

func readIs(t testing.TB, c *dtls.Conn, msg string) {
	t.Helper()
	buf := make([]byte, 2048)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != msg {
		t.Fatalf("read %q, %v; want %q", buf[:n], err, msg)
	}
}

func divertedIs(t *testing.T, h *hookConn, ch *Channel, msg string) []byte {
	t.Helper()
	select {
	case rec := <-h.got:
		pt, err := ch.Open(bytes.Clone(rec))
		if err != nil || string(pt) != msg {
			t.Fatalf("Open of pion's record: %q, %v; want %q", pt, err, msg)
		}
		return rec
	case <-time.After(5 * time.Second):
		t.Fatal("pion's record did not arrive")
	}
	return nil
}

// TestInteropWithPion: records a Channel seals are read by pion's Conn,
// records pion's Conn writes are opened by a Channel, on both ends, for
// each suite capstan offers, with and without connection IDs.
func TestInteropWithPion(t *testing.T) {
	for _, tc := range []struct {
		name  string
		suite dtls.CipherSuiteID
		cid   bool
	}{
		{"AES-GCM with CID", dtls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, true},
		{"AES-GCM", dtls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, false},
		{"ChaCha20-Poly1305 with CID", dtls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, true},
		{"ChaCha20-Poly1305", dtls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := establish(t, tc.suite, tc.cid)
			// Sealed here, read by pion.
			rec, err := p.cc.Seal(nil, []byte("up, sealed by a Channel"))
			if err != nil {
				t.Fatal(err)
			}
			if tc.cid != (rec[0] == typeConnectionID) {
				t.Fatalf("record type %d with CID %v", rec[0], tc.cid)
			}
			if seq := uint64(rec[7])<<24 | uint64(rec[6])<<32; seq < seqGap {
				t.Fatalf("first sequence number %#x, want at least 2^32", seq)
			}
			if _, err := p.cu.PacketConn.WriteTo(rec, p.su.LocalAddr()); err != nil {
				t.Fatal(err)
			}
			readIs(t, p.server, "up, sealed by a Channel")
			rec, _ = p.sc.Seal(nil, []byte("down, sealed by a Channel"))
			if _, err := p.su.PacketConn.WriteTo(rec, p.cu.LocalAddr()); err != nil {
				t.Fatal(err)
			}
			readIs(t, p.client, "down, sealed by a Channel")

			// Written by pion, opened here.
			p.su.divert.Store(true)
			p.cu.divert.Store(true)
			if _, err := p.client.Write([]byte("up from pion")); err != nil {
				t.Fatal(err)
			}
			pionRec := divertedIs(t, p.su, p.sc, "up from pion")
			if _, err := p.server.Write([]byte("down from pion")); err != nil {
				t.Fatal(err)
			}
			divertedIs(t, p.cu, p.cc, "down from pion")

			// A replay, a flipped bit, another epoch.
			if _, err := p.sc.Open(bytes.Clone(pionRec)); err != ErrReplay {
				t.Errorf("replayed record: %v, want ErrReplay", err)
			}
			rec, _ = p.cc.Seal(nil, []byte("x"))
			bad := bytes.Clone(rec)
			bad[len(bad)-1] ^= 1
			if _, err := p.sc.Open(bad); err != ErrAuth {
				t.Errorf("flipped bit: %v, want ErrAuth", err)
			}
			bad = bytes.Clone(rec)
			bad[4]++
			if _, err := p.sc.Open(bad); err != ErrNotRecord {
				t.Errorf("another epoch: %v, want ErrNotRecord", err)
			}
			if pt, err := p.sc.Open(rec); err != nil || string(pt) != "x" {
				t.Errorf("the record itself after the forgeries: %q, %v", pt, err)
			}
		})
	}
}

// TestReplayWindow: out of order within 64 records is taken once; older
// is refused.
func TestReplayWindow(t *testing.T) {
	p := establish(t, dtls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, true)
	var recs [][]byte
	for range 100 {
		r, _ := p.cc.Seal(nil, []byte("r"))
		recs = append(recs, r)
	}
	open := func(i int) error { _, err := p.sc.Open(bytes.Clone(recs[i])); return err }
	for _, i := range []int{90, 99, 40, 91} {
		if err := open(i); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}
	if err := open(30); err != ErrReplay {
		t.Errorf("record 30 after 99 (69 behind): %v, want ErrReplay", err)
	}
	for _, i := range []int{90, 99, 40} {
		if err := open(i); err != ErrReplay {
			t.Errorf("record %d again: %v, want ErrReplay", i, err)
		}
	}
}

// TestNoAllocation: sealing into a buffer and opening in place allocate
// nothing.
func TestNoAllocation(t *testing.T) {
	p := establish(t, dtls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, true)
	buf := make([]byte, 0, 2048)
	payload := bytes.Repeat([]byte{1}, 1400)
	if n := testing.AllocsPerRun(100, func() {
		rec, _ := p.cc.Seal(buf[:0], payload)
		if _, err := p.sc.Open(rec); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("%.1f allocations per record", n)
	}
}

// TestRefusesUnestablished: a state from before the handshake finished, or
// garbage, makes no Channel.
func TestRefusesUnestablished(t *testing.T) {
	if _, err := New([]byte("not gob")); err == nil {
		t.Error("garbage made a Channel")
	}
	var st dtls.State
	if b, err := st.MarshalBinary(); err == nil {
		if _, err := New(b); err == nil {
			t.Error("an empty state made a Channel")
		}
	}
}

// TestCloseNotifyEndsPionConn: a close_notify sealed by a Channel, whose
// numbers run ahead of pion's, ends the peer's pion association (with and
// without connection IDs), as pion's own would.
func TestCloseNotifyEndsPionConn(t *testing.T) {
	for _, cid := range []bool{true, false} {
		p := establish(t, dtls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, cid)
		rec, err := p.sc.Seal(nil, []byte("before the end"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.su.PacketConn.WriteTo(rec, p.cu.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		readIs(t, p.client, "before the end")
		rec, err = p.sc.SealCloseNotify(nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.su.PacketConn.WriteTo(rec, p.cu.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		_ = p.client.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := p.client.Read(make([]byte, 100)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("CID %v: the client's read after close_notify: %v, want the association ended", cid, err)
		}
	}
}
