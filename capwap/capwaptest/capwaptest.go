// Package capwaptest provides in-memory CAPWAP conns for tests: connected
// pairs that carry one packet per write, as a DTLS conn does, with a hook
// that can drop packets, so that session logic runs under testing/synctest
// with virtual time instead of sockets and sleeps.
package capwaptest

import (
	"net"
	"sync"
)

// Pair returns two connected in-memory conns. Each Write is one packet and
// each Read returns one packet.
func Pair() (a, b net.Conn) { return net.Pipe() }

// Lossy wraps c so that drop decides, for the n-th packet written (from 0),
// whether it is silently lost.
func Lossy(c net.Conn, drop func(n int, b []byte) bool) net.Conn {
	return &lossy{Conn: c, drop: drop}
}

type lossy struct {
	net.Conn
	mu   sync.Mutex
	n    int
	drop func(int, []byte) bool
}

func (l *lossy) Write(b []byte) (int, error) {
	l.mu.Lock()
	n := l.n
	l.n++
	l.mu.Unlock()
	if l.drop(n, b) {
		return len(b), nil
	}
	return l.Conn.Write(b)
}
