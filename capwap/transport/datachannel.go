package transport

import (
	"io"
	"net"
	"sync"
	"time"

	"github.com/pion/dtls/v3"
)

// DTLSDataMTU is the largest CAPWAP data packet a DTLS data channel
// carries, so that its datagram stays within DTLSMTU: the CAPWAP DTLS
// header (4 bytes), the record header (13), a connection ID with the inner
// content type (8 + 1) and the AEAD's explicit nonce and tag (8 + 16).
const DTLSDataMTU = DTLSMTU - 4 - 13 - 9 - 24

// DataConn is a DTLS data channel (RFC 5415 §4.4 over its own DTLS
// association) as a net.PacketConn with one peer: ReadFrom reads a
// decrypted CAPWAP data packet, WriteTo sends one whatever the address.
type DataConn struct {
	c       *dtls.Conn
	peer    net.Addr
	closers []io.Closer
	once    sync.Once
}

// NewDataConn wraps c, an established association with peer; Close also
// closes also (the association's Peer, a client's Mux).
func NewDataConn(c *dtls.Conn, peer net.Addr, also ...io.Closer) *DataConn {
	return &DataConn{c: c, peer: peer, closers: also}
}

// ReadFrom implements net.PacketConn.
func (d *DataConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, err := d.c.Read(b)
	return n, d.peer, err
}

// WriteTo implements net.PacketConn; the packet goes to the peer.
func (d *DataConn) WriteTo(b []byte, _ net.Addr) (int, error) { return d.c.Write(b) }

// Close ends the association.
func (d *DataConn) Close() error {
	var err error
	d.once.Do(func() {
		err = d.c.Close()
		for _, c := range d.closers {
			_ = c.Close()
		}
	})
	return err
}

// LocalAddr implements net.PacketConn.
func (d *DataConn) LocalAddr() net.Addr { return d.c.LocalAddr() }

// SetDeadline implements net.PacketConn.
func (d *DataConn) SetDeadline(t time.Time) error { return d.c.SetDeadline(t) }

// SetReadDeadline implements net.PacketConn.
func (d *DataConn) SetReadDeadline(t time.Time) error { return d.c.SetReadDeadline(t) }

// SetWriteDeadline implements net.PacketConn.
func (d *DataConn) SetWriteDeadline(t time.Time) error { return d.c.SetWriteDeadline(t) }

// PeerCertificates is the certificate chain the peer presented.
func (d *DataConn) PeerCertificates() [][]byte {
	st, ok := d.c.ConnectionState()
	if !ok {
		return nil
	}
	return st.PeerCertificates
}

// DataMTUOf is the largest CAPWAP data packet conn carries to addr:
// DataMTU, and within DTLSDataMTU on a DTLS data channel.
func DataMTUOf(conn net.PacketConn, addr net.Addr) int {
	switch conn.(type) {
	case *DataConn, *RecordConn:
		return min(DTLSDataMTU, DataMTU(addr))
	}
	return DataMTU(addr)
}

// FeedConn lets a Mux serve the DTLS packets of a socket whose clear
// packets another reader takes: that reader hands it the DTLS ones (Feed),
// which its ReadFrom returns; its writes go to the socket.
type FeedConn struct {
	real net.PacketConn
	in   chan Datagram
	done chan struct{}
	once sync.Once
}

// NewFeedConn returns a FeedConn writing to real, holding at most queue
// datagrams not read yet.
func NewFeedConn(real net.PacketConn, queue int) *FeedConn {
	return &FeedConn{real: real, in: make(chan Datagram, queue), done: make(chan struct{})}
}

// Feed queues a copy of b from addr; it reports false, dropping it, when
// the queue is full (DTLS retransmits) or the conn is closed.
func (f *FeedConn) Feed(b []byte, addr net.Addr) bool {
	select {
	case f.in <- Datagram{Addr: addr, Data: append([]byte(nil), b...)}:
		return true
	case <-f.done:
		return false
	default:
		return false
	}
}

// ReadFrom implements net.PacketConn.
func (f *FeedConn) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case d := <-f.in:
		return copy(b, d.Data), d.Addr, nil
	case <-f.done:
		return 0, nil, net.ErrClosed
	}
}

// WriteTo implements net.PacketConn.
func (f *FeedConn) WriteTo(b []byte, addr net.Addr) (int, error) { return f.real.WriteTo(b, addr) }

// Close stops reads; the socket stays its owner's.
func (f *FeedConn) Close() error {
	f.once.Do(func() { close(f.done) })
	return nil
}

// LocalAddr implements net.PacketConn.
func (f *FeedConn) LocalAddr() net.Addr { return f.real.LocalAddr() }

// SetDeadline implements net.PacketConn; a FeedConn has none.
func (f *FeedConn) SetDeadline(time.Time) error { return nil }

// SetReadDeadline implements net.PacketConn; a FeedConn has none.
func (f *FeedConn) SetReadDeadline(time.Time) error { return nil }

// SetWriteDeadline implements net.PacketConn; a FeedConn has none.
func (f *FeedConn) SetWriteDeadline(time.Time) error { return nil }
