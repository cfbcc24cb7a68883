package transport

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/capstan-wifi/capstan/capwap/wire"
)

// MuxConfig configures a Mux.
type MuxConfig struct {
	// Accept makes the mux a server: an epoch-0 ClientHello from an unknown
	// peer creates a Peer that Accept returns. Without it, DTLS records from
	// peers that were not dialed are dropped.
	Accept bool
	// CIDLength is the length of the DTLS connection IDs this side issues
	// (RFC 9146), so that tls12_cid records route by CID whatever their
	// source address. 0: route by address only.
	CIDLength int
	// MaxPeers bounds the established associations; new ClientHellos
	// beyond it are dropped. Default 8192.
	MaxPeers int
	// MaxHalfOpen, MaxHalfOpenPerSource and MaxHandshakes bound the
	// associations still in their handshake: see the defaults.
	MaxHalfOpen, MaxHalfOpenPerSource, MaxHandshakes int
	// Logger receives rate-limited warnings about dropped packets.
	Logger *slog.Logger
	// Busy, when set and true, makes the mux drop ClientHellos that would
	// start a new association: the server has as many sessions in their
	// handshake and join as it can finish in time, and the clients send
	// their hellos again (DTLS retransmits them with back-off). A storm
	// of CAPs then drains at the server's pace instead of timing out.
	Busy func() bool
	// ReadBuffer is the socket read buffer (default 65536); PlainQueue how
	// many clear packets may wait for ReadPlain (default 256). A client
	// with one mux per association (a fleet simulator) makes both small.
	ReadBuffer, PlainQueue int
}

// Datagram is one clear CAPWAP packet (discovery) and its source.
type Datagram struct {
	Addr net.Addr
	Data []byte
}

// Mux splits one CAPWAP control socket (UDP or layer 2) into clear packets,
// read with ReadPlain, and one Peer per DTLS association. A fresh
// ClientHello from the address of an established association replaces it:
// CAPWAP's fixed ports mean a restarted peer comes back from the same
// address, and the stale association would otherwise swallow its packets.
type Mux struct {
	conn   net.PacketConn
	cfg    MuxConfig
	warn   *LogLimiter
	accept chan *Peer
	plain  chan Datagram
	done   chan struct{}
	once   sync.Once

	mu      sync.Mutex
	peers   map[string]*Peer // by address
	pending map[string]*Peer // handshaking from the address of an established peer
	cids    map[string]*Peer // by connection ID
	// closed are the connection IDs of associations this side ended, until
	// when (unix ns) their peer's last records are dropped without a
	// warning: the close_notify and retransmissions in flight.
	closed map[string]int64
	half   halfOpen
}

// closedCIDLinger is how long records to a closed association's CID are
// expected; maxClosedCIDs bounds what is remembered (each needed a
// completed handshake).
const (
	closedCIDLinger = 10 * time.Second
	maxClosedCIDs   = 8192
)

// Errors of the mux.
var (
	ErrMuxClosed = errors.New("transport: mux closed")
)

// NewMux starts demultiplexing conn. The mux owns conn and closes it.
func NewMux(conn net.PacketConn, cfg MuxConfig) *Mux {
	if cfg.MaxPeers == 0 {
		cfg.MaxPeers = 8192
	}
	if cfg.MaxHalfOpen == 0 {
		cfg.MaxHalfOpen = DefaultMaxHalfOpen
	}
	if cfg.MaxHalfOpenPerSource == 0 {
		cfg.MaxHalfOpenPerSource = DefaultMaxHalfOpenPerSource
	}
	if cfg.MaxHandshakes == 0 {
		cfg.MaxHandshakes = DefaultMaxHandshakes
	}
	if cfg.ReadBuffer == 0 {
		cfg.ReadBuffer = 65536
	}
	if cfg.PlainQueue == 0 {
		cfg.PlainQueue = 256
	}
	var accept chan *Peer
	if cfg.Accept {
		accept = make(chan *Peer, 256)
	}
	m := &Mux{
		conn:    conn,
		cfg:     cfg,
		warn:    NewLogLimiter(cfg.Logger, 10*time.Second),
		accept:  accept,
		plain:   make(chan Datagram, cfg.PlainQueue),
		done:    make(chan struct{}),
		peers:   map[string]*Peer{},
		pending: map[string]*Peer{},
		cids:    map[string]*Peer{},
		closed:  map[string]int64{},
		half:    newHalfOpen(),
	}
	go m.readLoop()
	return m
}

// LocalAddr returns the socket's address.
func (m *Mux) LocalAddr() net.Addr { return m.conn.LocalAddr() }

// Warn logs a problem with a peer, at most once per peer per 10 s.
func (m *Mux) Warn(peer, msg string, args ...any) { m.warn.Warn(peer, msg, args...) }

// Close closes the socket and every peer.
func (m *Mux) Close() error {
	var err error
	m.once.Do(func() {
		close(m.done)
		err = m.conn.Close()
		m.mu.Lock()
		peers := make([]*Peer, 0, len(m.peers))
		for _, p := range m.peers {
			peers = append(peers, p)
		}
		m.mu.Unlock()
		for _, p := range peers {
			_ = p.Close()
		}
	})
	return err
}

// Done is closed when the mux stops.
func (m *Mux) Done() <-chan struct{} { return m.done }

// Accept returns the next new association.
func (m *Mux) Accept(ctx context.Context) (*Peer, error) {
	select {
	case p := <-m.accept:
		return p, nil
	case <-m.done:
		return nil, ErrMuxClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// ReadPlain returns the next clear CAPWAP packet.
func (m *Mux) ReadPlain(ctx context.Context) (Datagram, error) {
	select {
	case d := <-m.plain:
		return d, nil
	case <-m.done:
		return Datagram{}, ErrMuxClosed
	case <-ctx.Done():
		return Datagram{}, ctx.Err()
	}
}

// WritePlain sends a clear CAPWAP packet.
func (m *Mux) WritePlain(b []byte, addr net.Addr) error {
	_, err := m.conn.WriteTo(b, addr)
	return err
}

// Dial returns a fresh Peer for a DTLS client association with addr,
// replacing any earlier one with the same address.
func (m *Mux) Dial(addr net.Addr) *Peer {
	p := newPeer(m, addr)
	m.mu.Lock()
	defer m.mu.Unlock()
	if old := m.peers[p.key]; old != nil {
		old.closeLocked(false)
	}
	m.peers[p.key] = p
	return p
}

// Peers returns how many associations the mux holds.
func (m *Mux) Peers() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.peers)
}

func (m *Mux) readLoop() {
	defer m.Close()
	buf := make([]byte, m.cfg.ReadBuffer)
	for {
		n, addr, err := m.conn.ReadFrom(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			select {
			case <-m.done:
			default:
				if m.cfg.Logger != nil {
					m.cfg.Logger.Error("capwap socket read failed", "err", err)
				}
			}
			return
		}
		m.route(buf[:n], addr)
	}
}

// route hands one datagram to the discovery queue or to its peer.
func (m *Mux) route(b []byte, addr net.Addr) {
	key := addr.String()
	typ, err := wire.ParsePreamble(b)
	if err != nil {
		m.warn.Warn(key, "dropped packet", "err", err, "len", len(b))
		return
	}
	if typ == wire.PreambleHeader {
		d := Datagram{Addr: addr, Data: append([]byte(nil), b...)}
		select {
		case m.plain <- d:
		default:
			m.warn.Warn(key, "dropped clear packet: queue full")
		}
		return
	}
	if len(b) <= wire.DTLSHeaderLen {
		m.warn.Warn(key, "dropped packet: truncated CAPWAP DTLS header", "len", len(b))
		return
	}
	rec := b[wire.DTLSHeaderLen:]
	ri, ok := parseRecord(rec, m.cfg.CIDLength)
	if !ok {
		m.warn.Warn(key, "dropped packet: not a DTLS record", "len", len(b))
		return
	}
	p := m.lookup(key, addr, ri)
	if p == nil {
		return
	}
	if ri.cid != nil {
		// Only the peer knows its connection ID: a record carrying it is
		// the peer speaking, before anything else of the server ran.
		p.lastIn.Store(time.Now().UnixNano())
	}
	if fast := p.fast.Load(); fast != nil && (*fast)(rec, addr) {
		return
	}
	p.deliver(append([]byte(nil), rec...), addr)
}

// lookup finds or creates the peer a record belongs to.
//
// A ClientHello from the address of an established association starts a
// pending association beside it; the old one keeps its records (routed by
// CID, or by epoch > 0) until the new handshake completes and promote
// replaces it. A replayed or spoofed ClientHello thus cannot end a session.
func (m *Mux) lookup(key string, addr net.Addr, ri recordInfo) *Peer {
	m.mu.Lock()
	if ri.cid != nil {
		p := m.cids[string(ri.cid)]
		var closed bool
		if p == nil {
			until, ok := m.closed[string(ri.cid)]
			closed = ok && time.Now().UnixNano() < until
		}
		m.mu.Unlock()
		if p == nil && !closed {
			m.warn.Warn(key, "dropped DTLS record: unknown connection ID")
		}
		return p
	}
	p := m.peers[key]
	if p != nil && m.cfg.Accept && !p.established.Load() && ri.clientHello && p.newAttempt(ri.random) {
		// A half-open association holds nothing worth keeping: the peer
		// (its port reused, or restarted mid-handshake) starts afresh.
		p.closeLocked(true)
		p = nil
	}
	if p != nil && (!m.cfg.Accept || !p.established.Load()) {
		var resend []byte
		if m.cfg.Accept && ri.clientHello {
			var deliver bool
			if deliver, resend = m.verifyLocked(p, ri.cookie); !deliver {
				p = nil
			}
		}
		m.mu.Unlock()
		m.resend(resend, addr)
		return p
	}
	if p != nil {
		if np := m.pending[key]; np != nil && ri.clientHello && np.newAttempt(ri.random) {
			// The restarted peer started over again: its earlier
			// attempt, half-open, goes (its HelloVerifyRequest must not
			// answer the new one).
			np.closeLocked(true)
		}
		if np := m.pending[key]; np != nil && ri.epoch == 0 {
			var resend []byte
			if ri.clientHello {
				var deliver bool
				if deliver, resend = m.verifyLocked(np, ri.cookie); !deliver {
					np = nil
				}
			}
			m.mu.Unlock()
			m.resend(resend, addr)
			return np
		}
		if !ri.clientHello {
			m.mu.Unlock()
			return p
		}
	}
	if !ri.clientHello || !m.cfg.Accept {
		m.mu.Unlock()
		m.warn.Warn(key, "dropped DTLS record: no association")
		return nil
	}
	if len(ri.cookie) > 0 {
		// The answer to a cookie of an association that gave way, or a
		// forged one: no handshake can start from it (pion starts a server
		// at the first ClientHello), so it holds nothing. The client
		// starts afresh when its handshake times out.
		m.mu.Unlock()
		m.warn.Warn("cookie", "dropped ClientHello: cookie of no association in progress")
		return nil
	}
	// A ClientHello from the address of an established association (a
	// restarted peer) is let through when busy: its session, replaced,
	// frees what the stale one held.
	if p == nil && (m.half.handshaking >= m.cfg.MaxHandshakes || (m.cfg.Busy != nil && m.cfg.Busy())) {
		m.half.busy++
		m.mu.Unlock()
		m.warn.Warn("busy", "dropped ClientHello: the server is busy with the sessions it admitted; the client sends it again")
		return nil
	}
	if len(m.peers)+len(m.pending)-m.half.unverified.Len()-m.half.handshaking >= m.cfg.MaxPeers {
		m.mu.Unlock()
		m.warn.Warn("limit", "dropped ClientHello: association limit reached", "limit", m.cfg.MaxPeers)
		return nil
	}
	np := newPeer(m, addr)
	np.hello = append([]byte(nil), ri.random...)
	if !m.admitLocked(np) {
		m.mu.Unlock()
		m.warn.Warn("half-open", "dropped ClientHello: every half-open association is young; a real client sends it again",
			"limit", m.cfg.MaxHalfOpen, "per_source", m.cfg.MaxHalfOpenPerSource)
		return nil
	}
	if p != nil {
		m.pending[key] = np
	} else {
		m.peers[key] = np
	}
	m.mu.Unlock()
	select {
	case m.accept <- np:
		return np
	default:
		m.warn.Warn(key, "dropped ClientHello: accept queue full")
		np.Close()
		return nil
	}
}

// resend sends a cached HelloVerifyRequest datagram again, if any.
func (m *Mux) resend(b []byte, addr net.Addr) {
	if b != nil {
		_, _ = m.conn.WriteTo(b, addr)
	}
}

// promote makes p, whose handshake just completed, the association of its
// address, closing the one it replaces (a restarted peer's stale session).
func (m *Mux) promote(p *Peer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p.established.Store(true)
	m.forgetLocked(p)
	if m.pending[p.key] != p {
		return
	}
	delete(m.pending, p.key)
	if old := m.peers[p.key]; old != nil && old != p {
		old.closeLocked(true)
	}
	m.peers[p.key] = p
}

// registerCID routes tls12_cid records carrying cid to p.
func (m *Mux) registerCID(p *Peer, cid []byte) {
	if len(cid) == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cids[string(cid)] = p
	delete(m.closed, string(cid))
	p.cids = append(p.cids, string(cid))
}

// remove forgets p; the caller holds m.mu.
func (m *Mux) removeLocked(p *Peer) {
	m.forgetLocked(p)
	if m.peers[p.key] == p {
		delete(m.peers, p.key)
	}
	if m.pending[p.key] == p {
		delete(m.pending, p.key)
	}
	now := time.Now().UnixNano()
	for _, c := range p.cids {
		if m.cids[c] == p {
			delete(m.cids, c)
			m.rememberClosedLocked(c, now)
		}
	}
}

// rememberClosedLocked notes the CID of an association that ended, so
// that its peer's last records are not taken for strangers'.
func (m *Mux) rememberClosedLocked(cid string, now int64) {
	if len(m.closed) >= maxClosedCIDs {
		for c, until := range m.closed {
			if until <= now {
				delete(m.closed, c)
			}
		}
		if len(m.closed) >= maxClosedCIDs {
			return // full of fresh ones: this one may warn
		}
	}
	m.closed[cid] = now + int64(closedCIDLinger)
}
