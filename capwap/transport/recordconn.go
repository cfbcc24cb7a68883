package transport

import (
	"errors"
	"github.com/pion/dtls/v3"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/capstan-wifi/capstan/capwap/dtlsrecord"
	"github.com/capstan-wifi/capstan/capwap/wire"
)

// RecordConn is a DTLS data channel after its handshake: CAPWAP data
// packets sealed and opened by a dtlsrecord.Channel (no pion on the
// per-packet path), each in one datagram behind the CAPWAP DTLS header,
// over a UDP socket: the CAP's, connected, or the manager's data port with
// the CAP's address.
type RecordConn struct {
	udp  *net.UDPConn
	peer netip.AddrPort // for an unconnected socket
	conn bool
	addr net.Addr
	ch   *dtlsrecord.Channel

	wmu  sync.Mutex // Seal's, and the buffer of WriteTo
	wbuf []byte

	rmu  sync.Mutex
	rbuf []byte
}

// NewRecordConn returns a RecordConn with ch on udp: connected to its
// peer when peer is not valid, else sending to peer.
func NewRecordConn(udp *net.UDPConn, peer netip.AddrPort, ch *dtlsrecord.Channel) *RecordConn {
	r := &RecordConn{udp: udp, peer: peer, conn: !peer.IsValid(), ch: ch, wbuf: make([]byte, 0, 2048)}
	if r.conn {
		r.addr = udp.RemoteAddr()
	} else {
		r.addr = net.UDPAddrFromAddrPort(peer)
	}
	return r
}

// UDP returns the socket, for batched reads (GRO) and writes (GSO).
func (r *RecordConn) UDP() *net.UDPConn { return r.udp }

// Peer returns the peer's address.
func (r *RecordConn) Peer() net.Addr { return r.addr }

// PeerAddrPort returns the peer of a manager's RecordConn.
func (r *RecordConn) PeerAddrPort() netip.AddrPort { return r.peer }

// Seal appends pkt, a CAPWAP data packet, to dst as the datagram that
// carries it.
func (r *RecordConn) Seal(dst, pkt []byte) ([]byte, error) {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	return r.ch.Seal(wire.AppendDTLSHeader(dst), pkt)
}

// errNotDTLS: a datagram without the CAPWAP DTLS header.
var errNotDTLS = errors.New("not a CAPWAP DTLS datagram")

// Open authenticates and decrypts a datagram in place and returns the
// CAPWAP data packet in it. An error of dtlsrecord.ErrNotRecord (or a
// datagram without the CAPWAP DTLS header) means it belongs to no
// application data of this association: a new handshake, for example.
func (r *RecordConn) Open(datagram []byte) ([]byte, error) {
	if typ, err := wire.ParsePreamble(datagram); err != nil || typ != wire.PreambleDTLS || len(datagram) < 4 {
		return nil, errNotDTLS
	}
	return r.ch.Open(datagram[4:])
}

// ReadFrom implements net.PacketConn: the next packet that opens.
func (r *RecordConn) ReadFrom(b []byte) (int, net.Addr, error) {
	r.rmu.Lock()
	defer r.rmu.Unlock()
	if r.rbuf == nil {
		r.rbuf = make([]byte, 65536)
	}
	for {
		n, _, err := r.udp.ReadFromUDPAddrPort(r.rbuf)
		if err != nil {
			return 0, nil, err
		}
		if pkt, err := r.Open(r.rbuf[:n]); err == nil {
			return copy(b, pkt), r.addr, nil
		}
	}
}

// WriteTo implements net.PacketConn; the packet goes to the peer.
func (r *RecordConn) WriteTo(b []byte, _ net.Addr) (int, error) {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	out, err := r.ch.Seal(wire.AppendDTLSHeader(r.wbuf[:0]), b)
	if err != nil {
		return 0, err
	}
	r.wbuf = out[:0]
	if r.conn {
		_, err = r.udp.Write(out)
	} else {
		_, err = r.udp.WriteToUDPAddrPort(out, r.peer)
	}
	if err != nil {
		return 0, err
	}
	return len(b), nil
}

// Close closes a CAP's socket; a manager's data port stays.
func (r *RecordConn) Close() error {
	if r.conn {
		return r.udp.Close()
	}
	return nil
}

// LocalAddr implements net.PacketConn.
func (r *RecordConn) LocalAddr() net.Addr { return r.udp.LocalAddr() }

// SetDeadline implements net.PacketConn.
func (r *RecordConn) SetDeadline(t time.Time) error { return r.udp.SetDeadline(t) }

// SetReadDeadline implements net.PacketConn.
func (r *RecordConn) SetReadDeadline(t time.Time) error { return r.udp.SetReadDeadline(t) }

// SetWriteDeadline implements net.PacketConn.
func (r *RecordConn) SetWriteDeadline(t time.Time) error { return r.udp.SetWriteDeadline(t) }

// ExportChannel makes the fast record path of an established DTLS data
// channel from pion's state; nil when pion's suite or state is not one a
// Channel takes (the caller keeps dc).
func ExportChannel(dc *DataConn) *dtlsrecord.Channel { return ExportConn(dc.c) }

// ExportConn makes the fast record path of an established pion
// association; nil when its suite or state is not one a Channel takes.
func ExportConn(c *dtls.Conn) *dtlsrecord.Channel {
	st, ok := c.ConnectionState()
	if !ok {
		return nil
	}
	b, err := st.MarshalBinary()
	if err != nil {
		return nil
	}
	ch, err := dtlsrecord.New(b)
	if err != nil {
		return nil
	}
	return ch
}
