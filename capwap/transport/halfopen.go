package transport

import (
	"bytes"
	"container/list"
	"encoding/binary"
	"net"
	"time"
)

// Defaults of the handshake admission.
const (
	// DefaultMaxHalfOpen bounds associations whose client has not yet
	// answered the DTLS cookie (HelloVerifyRequest): anybody can start
	// one with a spoofed source address. When they are all taken, the
	// oldest gives way if it has waited MinHalfOpenAge (a real client
	// answers in milliseconds); else the new ClientHello is dropped and
	// its client, if real, sends it again (DTLS retransmits the flight).
	// A storm of real CAPs is thus paced by their own retransmissions,
	// and a flood of forged hellos holds each slot at most a little
	// longer than MinHalfOpenAge.
	DefaultMaxHalfOpen = 1024
	// MinHalfOpenAge is how long after its HelloVerifyRequest went out a
	// half-open association is kept from giving way to a newer one: the
	// client's round trip, whatever the server's own queue was.
	MinHalfOpenAge = 500 * time.Millisecond
	// DefaultMaxHalfOpenPerSource bounds them per source IP address (CAPs
	// behind one NAT share one).
	DefaultMaxHalfOpenPerSource = 64
	// DefaultMaxHandshakes bounds the handshakes past the cookie, whose
	// key exchange and certificate checks cost CPU: beyond it a client's
	// cookie answer is dropped and its retransmission comes back later,
	// so that a storm of CAPs drains instead of starving every handshake.
	DefaultMaxHandshakes = 256
)

// halfOpen tracks the associations before and during the handshake;
// guarded by Mux.mu.
type halfOpen struct {
	unverified  *list.List     // of *Peer, oldest first
	bySource    map[string]int // unverified peers per source IP
	handshaking int            // verified, not yet established
	evicted     uint64
	refused     uint64 // cookie answers dropped at the handshake limit
	dropped     uint64 // ClientHellos dropped: no room
	busy        uint64 // ClientHellos dropped: the server was busy
}

func newHalfOpen() halfOpen {
	return halfOpen{unverified: list.New(), bySource: map[string]int{}}
}

// sourceIP is the part of addr that a spoofer must own to answer a cookie.
func sourceIP(addr net.Addr) string {
	if u, ok := addr.(*net.UDPAddr); ok {
		return u.IP.String()
	}
	return addr.String() // layer 2: the MAC address
}

// admitLocked makes room for, and records, a new unverified peer p; it
// reports false when there is no room: the ClientHello is dropped.
func (m *Mux) admitLocked(p *Peer) bool {
	h := &m.half
	now := time.Now()
	if h.bySource[p.src] >= m.cfg.MaxHalfOpenPerSource && !m.evictOldestLocked(now, func(o *Peer) bool { return o.src == p.src }) {
		h.dropped++
		return false
	}
	if h.unverified.Len() >= m.cfg.MaxHalfOpen && !m.evictOldestLocked(now, func(*Peer) bool { return true }) {
		h.dropped++
		return false
	}
	p.elem = h.unverified.PushBack(p)
	h.bySource[p.src]++
	return true
}

// evictOldestLocked closes the oldest unverified peer that match accepts
// and whose HelloVerifyRequest went out MinHalfOpenAge ago, looking at
// the evictScan oldest only.
func (m *Mux) evictOldestLocked(now time.Time, match func(*Peer) bool) bool {
	n := 0
	for e := m.half.unverified.Front(); e != nil && n < evictScan; e = e.Next() {
		o := e.Value.(*Peer)
		if !match(o) {
			continue
		}
		n++
		if o.hvrSent.IsZero() || now.Sub(o.hvrSent) < MinHalfOpenAge {
			continue
		}
		o.evicted.Store(true)
		m.half.evicted++
		o.closeLocked(false)
		return true
	}
	return false
}

// evictScan bounds the work of one eviction.
const evictScan = 64

// leaveUnverifiedLocked takes p out of the unverified pool.
func (m *Mux) leaveUnverifiedLocked(p *Peer) {
	if p.elem == nil {
		return
	}
	m.half.unverified.Remove(p.elem)
	p.elem = nil
	if m.half.bySource[p.src]--; m.half.bySource[p.src] <= 0 {
		delete(m.half.bySource, p.src)
	}
}

// verifyLocked is called for a repeated ClientHello of a half-open p: if
// it carries the cookie p's HelloVerifyRequest sent, the client owns its
// address and the handshake may go on, within the handshake limit. It
// reports whether the record is to be delivered; resend is the
// HelloVerifyRequest to send again instead, for a retransmitted first
// ClientHello (the client missed it, or the server was slow): the mux
// answers it with the same cookie rather than have pion make another,
// which the client's answer to the first would no longer match.
func (m *Mux) verifyLocked(p *Peer, cookie []byte) (deliver bool, resend []byte) {
	if p.verified {
		return true, nil
	}
	if len(cookie) == 0 && p.hvr != nil {
		return false, p.hvr
	}
	if len(cookie) == 0 || p.cookie == nil || !bytes.Equal(cookie, p.cookie) {
		return true, nil // pion answers (or refuses) it
	}
	// The client owns its address: it no longer gives way to newer
	// hellos, even while it waits for a handshake slot.
	m.leaveUnverifiedLocked(p)
	if m.half.handshaking >= m.cfg.MaxHandshakes {
		m.half.refused++
		return false, nil
	}
	p.verified, p.hvr = true, nil
	m.half.handshaking++
	return true, nil
}

// forgetLocked updates the counts for a peer leaving the mux or becoming
// established.
func (m *Mux) forgetLocked(p *Peer) {
	m.leaveUnverifiedLocked(p)
	if p.verified && !p.counted {
		p.counted = true
		m.half.handshaking--
	}
}

// MuxStats counts a mux's associations by stage.
type MuxStats struct {
	Established, Handshaking, Unverified int
	// Evicted: unverified associations that gave way to newer ones.
	Evicted uint64
	// Deferred: cookie answers dropped at the handshake limit.
	Deferred uint64
	// Dropped: new ClientHellos dropped for want of a half-open slot.
	Dropped uint64
	// Busy: new ClientHellos dropped while the server was busy.
	Busy uint64
}

// Stats returns the mux's counts.
func (m *Mux) Stats() MuxStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	est := 0
	for _, p := range m.peers {
		if p.established.Load() {
			est++
		}
	}
	return MuxStats{Established: est, Handshaking: m.half.handshaking, Unverified: m.half.unverified.Len(),
		Evicted: m.half.evicted, Deferred: m.half.refused, Dropped: m.half.dropped, Busy: m.half.busy}
}

// helloCookie returns the cookie of a ClientHello record (RFC 6347
// §4.2.1), nil if it has none or the record is cut short.
func helloCookie(rec []byte) []byte {
	i := clientRandomOffset + 32
	if len(rec) <= i {
		return nil
	}
	i += 1 + int(rec[i]) // session_id
	if len(rec) <= i {
		return nil
	}
	n := int(rec[i])
	if len(rec) < i+1+n {
		return nil
	}
	return rec[i+1 : i+1+n]
}

// hvrCookie returns the cookie of a HelloVerifyRequest record this side
// sends, nil for any other record.
func hvrCookie(rec []byte) []byte {
	const hvr = 3
	if len(rec) < recordHeaderLen+12+3 || rec[0] != contentTypeHandshake || binary.BigEndian.Uint16(rec[3:5]) != 0 || rec[recordHeaderLen] != hvr {
		return nil
	}
	body := rec[recordHeaderLen+12:]
	n := int(body[2])
	if len(body) < 3+n {
		return nil
	}
	return append([]byte(nil), body[3:3+n]...)
}
