// Package dtlsrecord seals and opens the application-data records of a
// DTLS 1.2 association that pion/dtls established (RFC 6347 §4.1, with
// RFC 9146 connection IDs), one record per datagram and with no
// allocation: the DTLS data channel's fast path.
//
// pion hands an established association over as State.MarshalBinary (the
// master secret, both randoms, the suite, the epoch, the sequence
// numbers and the connection IDs). New derives the record keys from it
// with pion's own TLS 1.2 PRF and protects records with Go's AES-GCM or
// x/crypto's ChaCha20-Poly1305 (RFC 5288, RFC 7905): the only suites
// capstan offers. Anything else (another suite, an unfinished handshake)
// is refused, and the caller keeps pion's own path.
//
// Nonces are never reused: a Channel's sequence numbers start 2^32 above
// the snapshot's, so that the few records pion may still send on the
// association (a close_notify) keep theirs. Open keeps a 64-record replay
// window (RFC 6347 §4.1.2.6) started at the highest sequence number pion
// had seen, and accepts only application data of the association's epoch
// and connection ID.
package dtlsrecord

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/pion/dtls/v3/pkg/crypto/prf"
	"golang.org/x/crypto/chacha20poly1305"
)

// Record content types.
const (
	typeAlert           = 21
	typeApplicationData = 23
	typeConnectionID    = 25 // RFC 9146 tls12_cid
)

// Overhead is the most a record adds to its payload: a header with an
// 8-byte connection ID (21), the explicit nonce (8), the inner content
// type (1) and the tag (16).
const Overhead = 21 + 8 + 1 + 16

// seqGap is how far above pion's last sequence number a Channel starts.
const seqGap = 1 << 32

// maxSeq is the largest 48-bit sequence number.
const maxSeq = 1<<48 - 1

// Errors of Open.
var (
	ErrNotRecord = errors.New("dtlsrecord: not an application-data record of this association")
	ErrAuth      = errors.New("dtlsrecord: record failed authentication")
	ErrReplay    = errors.New("dtlsrecord: replayed or too old")
	// ErrNotApplicationData: an authentic record of another content type
	// (an alert), decrypted in place.
	ErrNotApplicationData = errors.New("dtlsrecord: not application data")
)

// state mirrors the fields of pion's serialized State that a Channel
// needs; gob matches them by name.
type state struct {
	RemoteSequenceNumber uint64
	HandshakeComplete    bool
	LocalEpoch           uint16
	RemoteEpoch          uint16
	LocalRandom          [32]byte
	RemoteRandom         [32]byte
	CipherSuiteID        uint16
	MasterSecret         []byte
	SequenceNumber       uint64
	LocalConnectionID    []byte
	RemoteConnectionID   []byte
	IsClient             bool
}

// Cipher suites (IANA numbers) a Channel takes.
const (
	ecdheECDSAAES128GCM = 0xc02b
	ecdheRSAAES128GCM   = 0xc02f
	ecdheRSAChaCha      = 0xcca8
	ecdheECDSAChaCha    = 0xcca9
)

// Channel is one association's record protection.
type Channel struct {
	seal, open       cipher.AEAD
	sealIV, openIV   [12]byte
	explicit         bool // GCM: an 8-byte explicit nonce in each record
	epoch            uint16
	sendCID, recvCID []byte
	seq              atomic.Uint64 // the next to send

	// Seal's scratch (one sealer at a time).
	sealNonce [12]byte
	sealAAD   [64]byte

	mu        sync.Mutex // Open's
	top       uint64     // the highest sequence number opened
	window    uint64     // bit i: top-i was opened
	openNonce [12]byte
	openAAD   [64]byte
}

// New makes the Channel of an association from its pion State, exported
// with MarshalBinary once the handshake completed.
func New(exported []byte) (*Channel, error) {
	var st state
	if err := gob.NewDecoder(bytes.NewReader(exported)).Decode(&st); err != nil {
		return nil, fmt.Errorf("dtlsrecord: state: %w", err)
	}
	if !st.HandshakeComplete || st.LocalEpoch == 0 || st.LocalEpoch != st.RemoteEpoch || len(st.MasterSecret) != 48 {
		return nil, errors.New("dtlsrecord: the association is not established")
	}
	var keyLen, ivLen int
	switch st.CipherSuiteID {
	case ecdheECDSAAES128GCM, ecdheRSAAES128GCM:
		keyLen, ivLen = 16, 4
	case ecdheECDSAChaCha, ecdheRSAChaCha:
		keyLen, ivLen = chacha20poly1305.KeySize, chacha20poly1305.NonceSize
	default:
		return nil, fmt.Errorf("dtlsrecord: cipher suite %#04x not supported", st.CipherSuiteID)
	}
	client, server := st.LocalRandom[:], st.RemoteRandom[:]
	if !st.IsClient {
		client, server = server, client
	}
	keys, err := prf.GenerateEncryptionKeys(st.MasterSecret, client, server, 0, keyLen, ivLen, sha256.New)
	if err != nil {
		return nil, err
	}
	sealKey, sealIV, openKey, openIV := keys.ClientWriteKey, keys.ClientWriteIV, keys.ServerWriteKey, keys.ServerWriteIV
	if !st.IsClient {
		sealKey, sealIV, openKey, openIV = openKey, openIV, sealKey, sealIV
	}
	c := &Channel{epoch: st.LocalEpoch, explicit: ivLen == 4,
		sendCID: bytes.Clone(st.RemoteConnectionID), recvCID: bytes.Clone(st.LocalConnectionID),
		top: max(st.RemoteSequenceNumber, 1) - 1, window: ^uint64(0)}
	copy(c.sealIV[:], sealIV)
	copy(c.openIV[:], openIV)
	if c.seal, err = newAEAD(sealKey, c.explicit); err != nil {
		return nil, err
	}
	if c.open, err = newAEAD(openKey, c.explicit); err != nil {
		return nil, err
	}
	c.seq.Store(st.SequenceNumber + seqGap)
	return c, nil
}

func newAEAD(key []byte, gcm bool) (cipher.AEAD, error) {
	if !gcm {
		return chacha20poly1305.New(key)
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// nonce sets n to the AEAD nonce of sequence number seq (epoch
// included) for iv: the 4-byte salt and the explicit part for GCM, the IV
// XOR the padded sequence number for ChaCha20-Poly1305.
func (c *Channel) nonce(n, iv *[12]byte, seq uint64) {
	*n = *iv
	es := uint64(c.epoch)<<48 | seq
	if c.explicit {
		binary.BigEndian.PutUint64(n[4:], es)
		return
	}
	binary.BigEndian.PutUint64(n[4:], binary.BigEndian.Uint64(n[4:])^es)
}

// Seal appends payload to dst as one application-data record and returns
// the extended slice; dst and payload must not overlap. One goroutine
// seals at a time.
func (c *Channel) Seal(dst, payload []byte) ([]byte, error) {
	return c.sealType(dst, payload, typeApplicationData)
}

// SealCloseNotify appends a close_notify alert record (RFC 5246 §7.2.1)
// to dst: the end of the association, sealed like the records before it
// so that the peer, whose replay window follows this Channel's numbers,
// takes it.
func (c *Channel) SealCloseNotify(dst []byte) ([]byte, error) {
	return c.sealType(dst, []byte{1, 0}, typeAlert) // warning, close_notify
}

func (c *Channel) sealType(dst, payload []byte, content byte) ([]byte, error) {
	seq := c.seq.Add(1) - 1
	if seq > maxSeq {
		return dst, errors.New("dtlsrecord: sequence numbers exhausted")
	}
	cid := len(c.sendCID) > 0
	typ := content
	inner := len(payload)
	if cid {
		typ, inner = typeConnectionID, inner+1
	}
	start := len(dst)
	dst = append(dst, typ, 0xfe, 0xfd)
	dst = binary.BigEndian.AppendUint16(dst, c.epoch)
	dst = append(dst, byte(seq>>40), byte(seq>>32), byte(seq>>24), byte(seq>>16), byte(seq>>8), byte(seq))
	dst = append(dst, c.sendCID...)
	length := inner + c.seal.Overhead()
	if c.explicit {
		length += 8
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(length))
	hdr := dst[start:]
	ad := c.aad(c.sealAAD[:0], hdr, inner)
	nonce := &c.sealNonce
	c.nonce(nonce, &c.sealIV, seq)
	if c.explicit {
		dst = append(dst, nonce[4:]...)
	}
	pt := len(dst)
	dst = append(dst, payload...)
	if cid {
		dst = append(dst, content)
	}
	return c.seal.Seal(dst[:pt], nonce[:], dst[pt:], ad), nil
}

// aad builds the additional data of a record with header hdr and an inner
// plaintext of n bytes: RFC 5246's, or RFC 9146's for a CID record.
func (c *Channel) aad(b, hdr []byte, n int) []byte {
	if hdr[0] != typeConnectionID {
		b = append(b, hdr[3:11]...) // epoch and sequence number
		b = append(b, hdr[0], hdr[1], hdr[2])
		return binary.BigEndian.AppendUint16(b, uint16(n))
	}
	cidLen := len(hdr) - 13
	b = append(b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, typeConnectionID, byte(cidLen), typeConnectionID)
	b = append(b, hdr[1], hdr[2])
	b = append(b, hdr[3:11]...)
	b = append(b, hdr[11:11+cidLen]...)
	return binary.BigEndian.AppendUint16(b, uint16(n))
}

// Open authenticates and decrypts the record rec in place and returns its
// payload. Only one goroutine opens at a time (the replay window is
// locked).
func (c *Channel) Open(rec []byte) ([]byte, error) {
	cid := len(c.recvCID) > 0
	hl := 13
	if cid {
		hl += len(c.recvCID)
	}
	if len(rec) < hl || rec[1] != 0xfe || rec[2] != 0xfd || binary.BigEndian.Uint16(rec[3:]) != c.epoch {
		return nil, ErrNotRecord
	}
	if cid != (rec[0] == typeConnectionID) || (!cid && rec[0] != typeApplicationData) {
		return nil, ErrNotRecord
	}
	if cid && !bytes.Equal(rec[11:11+len(c.recvCID)], c.recvCID) {
		return nil, ErrNotRecord
	}
	if int(binary.BigEndian.Uint16(rec[hl-2:])) != len(rec)-hl {
		return nil, ErrNotRecord // one record per datagram
	}
	seq := uint64(rec[5])<<40 | uint64(rec[6])<<32 | uint64(rec[7])<<24 | uint64(rec[8])<<16 | uint64(rec[9])<<8 | uint64(rec[10])
	body := rec[hl:]
	c.mu.Lock()
	defer c.mu.Unlock()
	nonce := &c.openNonce
	c.nonce(nonce, &c.openIV, seq)
	if c.explicit {
		if len(body) < 8 {
			return nil, ErrNotRecord
		}
		copy(nonce[4:], body[:8])
		if binary.BigEndian.Uint64(body[:8]) != uint64(c.epoch)<<48|seq {
			return nil, ErrAuth // the explicit nonce is the sequence number (RFC 9325)
		}
		body = body[8:]
	}
	if len(body) < c.open.Overhead() {
		return nil, ErrNotRecord
	}
	if !c.fresh(seq) {
		return nil, ErrReplay
	}
	ad := c.aad(c.openAAD[:0], rec[:hl], len(body)-c.open.Overhead())
	pt, err := c.open.Open(body[:0], nonce[:], body, ad)
	if err != nil {
		return nil, ErrAuth
	}
	if cid {
		// DTLSInnerPlaintext: content, the real type, zero padding.
		i := len(pt) - 1
		for i >= 0 && pt[i] == 0 {
			i--
		}
		if i < 0 || pt[i] != typeApplicationData {
			return nil, ErrNotApplicationData
		}
		pt = pt[:i]
	}
	c.mark(seq)
	return pt, nil
}

// fresh reports whether seq is neither replayed nor older than the window.
func (c *Channel) fresh(seq uint64) bool {
	if seq > c.top {
		return true
	}
	d := c.top - seq
	return d < 64 && c.window&(1<<d) == 0
}

// mark records seq as opened.
func (c *Channel) mark(seq uint64) {
	if seq > c.top {
		d := seq - c.top
		if d >= 64 {
			c.window = 1
		} else {
			c.window = c.window<<d | 1
		}
		c.top = seq
		return
	}
	c.window |= 1 << (c.top - seq)
}
