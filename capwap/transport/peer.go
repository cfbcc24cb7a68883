package transport

import (
	"container/list"
	"crypto/rand"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/transport/v5/deadline"

	"github.com/capstan-wifi/capstan/capwap/wire"
)

// Peer is one DTLS association on a Mux, as a net.PacketConn for pion/dtls:
// reads return the records routed to it (CAPWAP DTLS header removed), writes
// add the header and go out on the mux's socket.
type Peer struct {
	mux         *Mux
	key         string
	in          chan packetIn
	closed      chan struct{}
	closeOnce   sync.Once
	readDL      *deadline.Deadline
	established atomic.Bool
	replaced    atomic.Bool
	addr        atomic.Value // net.Addr of the latest packet
	lastIn      atomic.Int64 // unix ns of the latest record routed by connection ID
	fast        atomic.Pointer[func(rec []byte, addr net.Addr) bool]

	cids  []string // guarded by mux.mu
	hello []byte   // the random of the ClientHello that created the peer
	src   string   // source IP, for the per-source half-open bound

	// Handshake admission, guarded by mux.mu.
	elem     *list.Element // in the unverified pool
	hvrSent  time.Time     // when its HelloVerifyRequest went out
	hvr      []byte        // that datagram, to send again
	cookie   []byte        // of the HelloVerifyRequest sent
	verified bool          // the client answered the cookie
	counted  bool          // its handshake slot was given back
	evicted  atomic.Bool   // gave way to a newer half-open association
}

// newAttempt reports whether a ClientHello with this random starts a new
// association rather than repeating the one in progress (RFC 6347 §4.2.1:
// the ClientHello answering a HelloVerifyRequest keeps its random).
func (p *Peer) newAttempt(random []byte) bool {
	return len(random) == 32 && len(p.hello) == 32 && string(random) != string(p.hello)
}

type packetIn struct {
	b    []byte
	addr net.Addr
}

// peerQueue is how many records may wait for a slow reader before the
// newest are dropped; DTLS recovers by retransmission. A handshake flight
// is a few records, a CAPWAP exchange one or two.
const peerQueue = 32

func newPeer(m *Mux, addr net.Addr) *Peer {
	p := &Peer{
		mux:    m,
		key:    addr.String(),
		src:    sourceIP(addr),
		in:     make(chan packetIn, peerQueue),
		closed: make(chan struct{}),
		readDL: deadline.New(),
	}
	p.addr.Store(addr)
	return p
}

// LastIn is when the mux last read a record carrying the connection ID
// this side issued to the peer (zero before any): the peer was heard then,
// however far behind the server's processing of it is.
func (p *Peer) LastIn() time.Time {
	if n := p.lastIn.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// Addr returns the address the peer's latest packet came from.
func (p *Peer) Addr() net.Addr { return p.addr.Load().(net.Addr) }

// Replaced reports whether the peer was closed because the same address
// started a new association.
func (p *Peer) Replaced() bool { return p.replaced.Load() }

// Evicted reports whether the peer, still waiting for its client to
// answer the cookie, was closed to make room for newer ones.
func (p *Peer) Evicted() bool { return p.evicted.Load() }

// Closed is closed when the peer is.
func (p *Peer) Closed() <-chan struct{} { return p.closed }

// SetFast has the mux's reader offer each record of the association to fn
// before pion (on the reader's goroutine: fn must not block, and must copy
// rec to keep it); fn returns false to leave the record to pion.
func (p *Peer) SetFast(fn func(rec []byte, addr net.Addr) bool) { p.fast.Store(&fn) }

// Rebind makes addr the peer's address for WriteRecord when it changed: an
// authenticated record of the association came from it (RFC 9146 §6, a
// CAP behind a NAT that rebound).
func (p *Peer) Rebind(addr net.Addr) {
	cur := p.Addr()
	if a, ok := addr.(*net.UDPAddr); ok {
		if b, ok := cur.(*net.UDPAddr); ok && a.Port == b.Port && a.IP.Equal(b.IP) {
			return
		}
	} else if addr.String() == cur.String() {
		return
	}
	p.addr.Store(addr)
}

// WriteRecord sends one DTLS record (sealed outside pion) to the peer's
// latest address, behind the CAPWAP DTLS header.
func (p *Peer) WriteRecord(rec []byte) error {
	_, err := p.WriteTo(rec, nil)
	return err
}

func (p *Peer) deliver(b []byte, addr net.Addr) {
	select {
	case p.in <- packetIn{b: b, addr: addr}:
	case <-p.closed:
	default:
		p.mux.warn.Warn(p.key, "dropped DTLS record: peer queue full")
	}
}

// ReadFrom implements net.PacketConn.
func (p *Peer) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case pk := <-p.in:
		return copy(b, pk.b), pk.addr, nil
	case <-p.closed:
		return 0, nil, net.ErrClosed
	case <-p.readDL.Done():
		return 0, nil, timeoutError{}
	}
}

// WriteTo implements net.PacketConn. pion passes the address it has
// authenticated, which follows the peer across NAT rebinding with CIDs.
func (p *Peer) WriteTo(b []byte, addr net.Addr) (int, error) {
	select {
	case <-p.closed:
		return 0, net.ErrClosed
	default:
	}
	if addr == nil {
		addr = p.Addr()
	}
	out := make([]byte, 0, wire.DTLSHeaderLen+len(b))
	out = wire.AppendDTLSHeader(out)
	out = append(out, b...)
	if c := hvrCookie(b); c != nil {
		p.mux.mu.Lock()
		p.cookie, p.hvrSent, p.hvr = c, time.Now(), out
		p.mux.mu.Unlock()
	}
	if _, err := p.mux.conn.WriteTo(out, addr); err != nil {
		if errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded) {
			// Closed, or held back on purpose (a write deadline in the
			// past: the data channel's fast path keeps pion silent).
			return 0, err
		}
		// A datagram the kernel refused (a firewall's EPERM, ENOBUFS, an
		// ICMP error reported late) is a lost packet, not a dead
		// association: DTLS and CAPWAP retransmit.
		p.mux.warn.Warn(p.key, "datagram not sent", "err", err)
	}
	return len(b), nil
}

// Close removes the peer from its mux.
func (p *Peer) Close() error {
	p.mux.mu.Lock()
	p.closeLocked(false)
	p.mux.mu.Unlock()
	return nil
}

func (p *Peer) closeLocked(replaced bool) {
	p.closeOnce.Do(func() {
		p.replaced.Store(replaced)
		p.mux.removeLocked(p)
		close(p.closed)
	})
}

// LocalAddr implements net.PacketConn.
func (p *Peer) LocalAddr() net.Addr { return p.mux.conn.LocalAddr() }

// SetDeadline implements net.PacketConn.
func (p *Peer) SetDeadline(t time.Time) error { return p.SetReadDeadline(t) }

// SetReadDeadline implements net.PacketConn.
func (p *Peer) SetReadDeadline(t time.Time) error { p.readDL.Set(t); return nil }

// SetWriteDeadline implements net.PacketConn; writes do not block.
func (p *Peer) SetWriteDeadline(time.Time) error { return nil }

// CIDGenerator returns a pion ConnectionIDGenerator that issues random
// n-byte connection IDs and routes records carrying them to p.
func (p *Peer) CIDGenerator(n int) func() []byte {
	return func() []byte {
		cid := make([]byte, n)
		_, _ = rand.Read(cid)
		p.mux.registerCID(p, cid)
		return cid
	}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }
