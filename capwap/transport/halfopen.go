package transport

import (
	"bytes"
	"container/list"
	"encoding/binary"
	"net"
)

// Defaults of the handshake admission.
const (
	// DefaultMaxHalfOpen bounds associations whose client has not yet
	// answered the DTLS cookie (HelloVerifyRequest): anybody can start
	// one with a spoofed source address, so when they are all taken the
	// oldest gives way. At a 4,000/s flood a slot lives 250 ms, far more
	// than a real client needs to answer.
	DefaultMaxHalfOpen = 1024
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

// admitLocked makes room for, and records, a new unverified peer p.
func (m *Mux) admitLocked(p *Peer) {
	h := &m.half
	if h.bySource[p.src] >= m.cfg.MaxHalfOpenPerSource {
		m.evictOldestLocked(func(o *Peer) bool { return o.src == p.src })
	}
	if h.unverified.Len() >= m.cfg.MaxHalfOpen {
		m.evictOldestLocked(func(*Peer) bool { return true })
	}
	p.elem = h.unverified.PushBack(p)
	h.bySource[p.src]++
}

func (m *Mux) evictOldestLocked(match func(*Peer) bool) {
	for e := m.half.unverified.Front(); e != nil; e = e.Next() {
		if o := e.Value.(*Peer); match(o) {
			o.evicted.Store(true)
			m.half.evicted++
			o.closeLocked(false)
			return
		}
	}
}

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
// reports whether the record is to be delivered.
func (m *Mux) verifyLocked(p *Peer, cookie []byte) bool {
	if p.verified {
		return true
	}
	if len(cookie) == 0 || p.cookie == nil || !bytes.Equal(cookie, p.cookie) {
		return true // a retransmitted first ClientHello: pion answers it again
	}
	if m.half.handshaking >= m.cfg.MaxHandshakes {
		m.half.refused++
		return false
	}
	m.leaveUnverifiedLocked(p)
	p.verified = true
	m.half.handshaking++
	return true
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
		Evicted: m.half.evicted, Deferred: m.half.refused}
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
