package transport

import "encoding/binary"

// DTLS record layer facts the demultiplexer needs (RFC 6347 §4.1, RFC 9146).
const (
	recordHeaderLen         = 13 // type, version, epoch, sequence number, length
	contentTypeHandshake    = 22
	contentTypeConnectionID = 25 // tls12_cid
	handshakeClientHello    = 1
)

// recordInfo is what the demultiplexer reads from the first DTLS record of a
// datagram, without decrypting anything.
type recordInfo struct {
	clientHello bool // an epoch-0 ClientHello: a new association
	epoch       uint16
	cid         []byte // the connection ID of a tls12_cid record
	random      []byte // the ClientHello's random: one per association attempt
	cookie      []byte // the ClientHello's cookie, nil before a HelloVerifyRequest
}

// clientRandomOffset is where a ClientHello's random starts in its record:
// record header, handshake header (12 bytes), client_version (2).
const clientRandomOffset = recordHeaderLen + 12 + 2

// parseRecord reads the first record header of b. cidLen is the length of
// the connection IDs this side issues: RFC 9146 records carry no CID length.
func parseRecord(b []byte, cidLen int) (recordInfo, bool) {
	if len(b) < recordHeaderLen || b[1] != 0xfe {
		return recordInfo{}, false
	}
	ri := recordInfo{epoch: binary.BigEndian.Uint16(b[3:5])}
	switch b[0] {
	case contentTypeHandshake:
		ri.clientHello = ri.epoch == 0 && len(b) > recordHeaderLen && b[recordHeaderLen] == handshakeClientHello
		if ri.clientHello && len(b) >= clientRandomOffset+32 {
			ri.random = b[clientRandomOffset : clientRandomOffset+32]
			ri.cookie = helloCookie(b)
		}
	case contentTypeConnectionID:
		if cidLen == 0 || len(b) < 11+cidLen+2 {
			return recordInfo{}, false
		}
		ri.cid = b[11 : 11+cidLen]
	case 20, 21, 23: // change_cipher_spec, alert, application_data
	default:
		return recordInfo{}, false
	}
	return ri, true
}
