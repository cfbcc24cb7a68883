package controlplane

import (
	"errors"
	"net"
	"net/netip"
	"sync"

	"github.com/capstan-wifi/capstan/capwap/dtlsrecord"
	"github.com/capstan-wifi/capstan/capwap/transport"
	"github.com/capstan-wifi/capstan/capwap/tunnel"
	"github.com/capstan-wifi/capstan/capwap/wire"
)

// The DTLS data channel's fast path: once a DTLS data association has
// bound to its session, the data port's reader opens its records itself
// (transport.RecordConn, no pion per packet) and the session seals what it
// sends. pion keeps the association for what is not application data; a
// new handshake from the same address goes to pion as before.

// fastEntry is one association on the fast path.
type fastEntry struct {
	rc *transport.RecordConn
	c  *session
}

// fastIndex finds fast-path associations by the CAP's address.
type fastIndex struct {
	mu sync.RWMutex
	m  map[netip.AddrPort]*fastEntry
}

func (x *fastIndex) get(ap netip.AddrPort) *fastEntry {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.m[ap]
}

func (x *fastIndex) set(ap netip.AddrPort, e *fastEntry) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.m == nil {
		x.m = map[netip.AddrPort]*fastEntry{}
	}
	x.m[ap] = e
}

// remove forgets rc's entry, if it is still rc's.
func (x *fastIndex) remove(rc *transport.RecordConn) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if e := x.m[rc.PeerAddrPort()]; e != nil && e.rc == rc {
		delete(x.m, rc.PeerAddrPort())
	}
}

// fastDTLS moves session c's DTLS data association dc, from addr, to the
// fast path; nil when it cannot (layer 2, or a state pion cannot export).
func (s *Server) fastDTLS(l *listener, dc *transport.DataConn, addr net.Addr, c *session) *transport.RecordConn {
	udp, ok := l.data.(*net.UDPConn)
	ap, ok2 := udpKey(addr)
	if !ok || !ok2 {
		return nil
	}
	ch := transport.ExportChannel(dc)
	if ch == nil {
		return nil
	}
	rc := transport.NewRecordConn(udp, ap, ch)
	s.fastData.set(ap, &fastEntry{rc: rc, c: c})
	return rc
}

// fastPacket handles a datagram from ap on the fast path; false leaves it
// to pion (not application data of the association there).
func (d *dataReader) fastPacket(ap netip.AddrPort, datagram []byte) bool {
	s := d.s
	e := s.fastData.get(ap)
	if e == nil {
		return false
	}
	pkt, err := e.rc.Open(datagram)
	switch {
	case errors.Is(err, dtlsrecord.ErrNotRecord):
		return false
	case err != nil:
		s.metrics.dataPackets.WithLabelValues("rx", "dropped").Inc()
		return true
	}
	if h, _, err := tunnel.Decode(pkt); err == nil && !h.KeepAlive {
		if !e.c.fromCAP(pkt, d.co) {
			s.metrics.dataPackets.WithLabelValues("rx", "dropped").Inc()
		}
		return true
	}
	p, err := wire.ParseData(pkt)
	if err != nil || p.KeepAlive == nil {
		s.metrics.dataPackets.WithLabelValues("rx", "dropped").Inc()
		return true
	}
	s.mu.Lock()
	c := s.bySession[p.KeepAlive.SessionID]
	s.mu.Unlock()
	if c != e.c {
		s.metrics.dataPackets.WithLabelValues("rx", "dropped").Inc()
		return true
	}
	if _, err := e.rc.WriteTo(pkt, nil); err == nil {
		s.metrics.dataPackets.WithLabelValues("rx", "keepalive").Inc()
		s.metrics.dataPackets.WithLabelValues("tx", "keepalive").Inc()
	}
	return true
}
