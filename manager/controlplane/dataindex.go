package controlplane

import (
	"net"
	"net/netip"
	"sync"
)

// dataIndex finds a session by its data channel's peer address. It is
// read for every data packet, so it has its own lock, read-mostly, apart
// from the server's, and a UDP peer is found without allocating.
type dataIndex struct {
	mu    sync.RWMutex
	udp   map[netip.AddrPort]*session
	other map[string]*session // layer-2 peers, by address text
}

func newDataIndex() *dataIndex {
	return &dataIndex{udp: map[netip.AddrPort]*session{}, other: map[string]*session{}}
}

// udpKey is addr as a map key, ok false if addr is not UDP.
func udpKey(addr net.Addr) (netip.AddrPort, bool) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return netip.AddrPort{}, false
	}
	ap := ua.AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
}

func (x *dataIndex) set(addr net.Addr, c *session) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if k, ok := udpKey(addr); ok {
		x.udp[k] = c
	} else {
		x.other[addr.String()] = c
	}
}

// remove forgets addr if it still leads to c.
func (x *dataIndex) remove(addr net.Addr, c *session) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if k, ok := udpKey(addr); ok {
		if x.udp[k] == c {
			delete(x.udp, k)
		}
	} else if x.other[addr.String()] == c {
		delete(x.other, addr.String())
	}
}

func (x *dataIndex) byUDP(ap netip.AddrPort) *session {
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.udp[ap]
}

func (x *dataIndex) byAddr(addr net.Addr) *session {
	if k, ok := udpKey(addr); ok {
		return x.byUDP(k)
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.other[addr.String()]
}
