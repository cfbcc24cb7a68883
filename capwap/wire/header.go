package wire

import (
	"fmt"
	"net"
)

// Version is the CAPWAP protocol version this package speaks (RFC 5415 §4.1).
const Version = 0

// Preamble payload types (RFC 5415 §4.1).
const (
	PreambleHeader = 0 // a clear CAPWAP header follows
	PreambleDTLS   = 1 // the CAPWAP DTLS header and a DTLS record follow
)

// DTLSHeaderLen is the length of the CAPWAP DTLS header (RFC 5415 §4.2).
const DTLSHeaderLen = 4

// AppendDTLSHeader appends the CAPWAP DTLS header (RFC 5415 §4.2): the
// preamble with type 1 and 24 reserved zero bits. The DTLS record follows.
func AppendDTLSHeader(b []byte) []byte {
	return append(b, Version<<4|PreambleDTLS, 0, 0, 0)
}

// ParsePreamble returns the version and payload type of a packet's first
// byte (RFC 5415 §4.1). It fails on an empty packet or a version other than
// 0, and on a DTLS header shorter than 4 bytes.
func ParsePreamble(b []byte) (payloadType uint8, err error) {
	if len(b) == 0 {
		return 0, &Error{Op: "decode preamble", Field: "preamble", Err: fmt.Errorf("empty packet: %w", ErrTruncated)}
	}
	if v := b[0] >> 4; v != Version {
		return 0, &Error{Op: "decode preamble", Field: "version", Err: fmt.Errorf("version %d, want %d: %w", v, Version, ErrInvalid)}
	}
	t := b[0] & 0x0f
	switch t {
	case PreambleHeader:
	case PreambleDTLS:
		if len(b) < DTLSHeaderLen {
			return 0, &Error{Op: "decode preamble", Field: "DTLS header", Err: fmt.Errorf("%d bytes, need 4: %w", len(b), ErrTruncated)}
		}
	default:
		return 0, &Error{Op: "decode preamble", Field: "type", Err: fmt.Errorf("payload type %d: %w", t, ErrInvalid)}
	}
	return t, nil
}

// Header is the CAPWAP transport header (RFC 5415 §4.3). HLEN is computed
// by the encoder from the optional fields present.
type Header struct {
	RadioID        uint8 // RID, 5 bits
	WBID           uint8 // wireless binding, 5 bits: 1 for IEEE 802.11
	Native         bool  // T: the payload is in the binding's native format, not 802.3
	Fragment       bool  // F: this packet is one fragment of a larger payload
	LastFragment   bool  // L: the last fragment (only with F)
	KeepAlive      bool  // K: a data channel keep-alive
	FragmentID     uint16
	FragmentOffset uint16 // in units of 8 octets, 13 bits
	// RadioMAC is the optional Radio MAC Address (M bit), 6 or 8 bytes.
	RadioMAC net.HardwareAddr
	// WirelessInfo is the optional Wireless Specific Information (W bit),
	// at most 255 bytes; nil means absent.
	WirelessInfo []byte
}

// Header flag bits in the second 32-bit word (RFC 5415 §4.3).
const (
	flagT = 1 << 8
	flagF = 1 << 7
	flagL = 1 << 6
	flagW = 1 << 5
	flagM = 1 << 4
	flagK = 1 << 3
)

// minHeaderLen is the fixed part of the CAPWAP header.
const minHeaderLen = 8

func pad4(n int) int { return (n + 3) &^ 3 }

// Len returns the encoded header length in bytes (HLEN × 4).
func (h *Header) Len() int {
	n := minHeaderLen
	if h.RadioMAC != nil {
		n += pad4(1 + len(h.RadioMAC))
	}
	if h.WirelessInfo != nil {
		n += pad4(1 + len(h.WirelessInfo))
	}
	return n
}

// AppendBinary appends the preamble and header.
func (h *Header) AppendBinary(b []byte) ([]byte, error) {
	fail := func(field string, sentinel error, format string, args ...any) ([]byte, error) {
		return b, &Error{Op: "encode header", Field: field, Err: fmt.Errorf(fmt.Sprintf(format, args...)+": %w", sentinel)}
	}
	switch {
	case h.RadioID > 31:
		return fail("RID", ErrInvalid, "radio ID %d exceeds 31", h.RadioID)
	case h.WBID > 31:
		return fail("WBID", ErrInvalid, "WBID %d exceeds 31", h.WBID)
	case h.FragmentOffset > 0x1fff:
		return fail("fragment offset", ErrInvalid, "offset %d exceeds 13 bits", h.FragmentOffset)
	case h.LastFragment && !h.Fragment:
		return fail("L", ErrInvalid, "L bit without F bit")
	case h.RadioMAC != nil && len(h.RadioMAC) != 6 && len(h.RadioMAC) != 8:
		return fail("radio MAC", ErrInvalid, "MAC length %d, want 6 or 8", len(h.RadioMAC))
	case len(h.WirelessInfo) > 255:
		return fail("wireless specific information", ErrTooLong, "length %d exceeds 255", len(h.WirelessInfo))
	}
	hlen := h.Len() / 4
	word := uint32(hlen)<<19 | uint32(h.RadioID)<<14 | uint32(h.WBID)<<9
	for _, f := range []struct {
		on  bool
		bit uint32
	}{{h.Native, flagT}, {h.Fragment, flagF}, {h.LastFragment, flagL}, {h.WirelessInfo != nil, flagW}, {h.RadioMAC != nil, flagM}, {h.KeepAlive, flagK}} {
		if f.on {
			word |= f.bit
		}
	}
	word |= Version<<28 | PreambleHeader<<24
	b = appendU32(b, word)
	b = appendU16(b, h.FragmentID)
	b = appendU16(b, h.FragmentOffset<<3)
	for _, opt := range [][]byte{h.RadioMAC, h.WirelessInfo} {
		if opt == nil {
			continue
		}
		start := len(b)
		b = append(b, byte(len(opt)))
		b = append(b, opt...)
		for len(b)-start < pad4(1+len(opt)) {
			b = append(b, 0)
		}
	}
	return b, nil
}

// decodeHeader parses the preamble and header of a clear CAPWAP packet and
// returns the header length consumed.
func (h *Header) decode(b []byte) (int, error) {
	fail := func(off int, field string, sentinel error, format string, args ...any) (int, error) {
		return 0, &Error{Op: "decode header", Field: field, Offset: off, Err: fmt.Errorf(fmt.Sprintf(format, args...)+": %w", sentinel)}
	}
	t, err := ParsePreamble(b)
	if err != nil {
		return 0, err
	}
	if t != PreambleHeader {
		return fail(0, "preamble type", ErrInvalid, "DTLS header where a clear CAPWAP header was expected")
	}
	if len(b) < minHeaderLen {
		return fail(0, "header", ErrTruncated, "%d bytes, need %d", len(b), minHeaderLen)
	}
	word := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	hlen := int(word>>19&0x1f) * 4
	if hlen < minHeaderLen {
		return fail(1, "HLEN", ErrInvalid, "header length %d below %d", hlen, minHeaderLen)
	}
	if hlen > len(b) {
		return fail(1, "HLEN", ErrTruncated, "header length %d, packet has %d bytes", hlen, len(b))
	}
	*h = Header{
		RadioID:        uint8(word >> 14 & 0x1f),
		WBID:           uint8(word >> 9 & 0x1f),
		Native:         word&flagT != 0,
		Fragment:       word&flagF != 0,
		LastFragment:   word&flagL != 0,
		KeepAlive:      word&flagK != 0,
		FragmentID:     uint16(b[4])<<8 | uint16(b[5]),
		FragmentOffset: (uint16(b[6])<<8 | uint16(b[7])) >> 3,
	}
	// L "is valid only if the 'F' bit is set" (§4.3): otherwise ignored.
	h.LastFragment = h.LastFragment && h.Fragment
	off := minHeaderLen
	// The optional fields come in this order: Radio MAC, then Wireless
	// Specific Information, each padded to 4 bytes (RFC 5415 §4.3).
	if word&flagM != 0 {
		if off >= hlen {
			return fail(off, "radio MAC", ErrTruncated, "M bit set but header ends at %d", hlen)
		}
		n := int(b[off])
		if n != 6 && n != 8 {
			return fail(off, "radio MAC", ErrInvalid, "MAC length %d, want 6 or 8", n)
		}
		if off+pad4(1+n) > hlen {
			return fail(off, "radio MAC", ErrTruncated, "MAC of %d bytes overruns header length %d", n, hlen)
		}
		h.RadioMAC = net.HardwareAddr(append([]byte(nil), b[off+1:off+1+n]...))
		off += pad4(1 + n)
	}
	if word&flagW != 0 {
		if off >= hlen {
			return fail(off, "wireless specific information", ErrTruncated, "W bit set but header ends at %d", hlen)
		}
		n := int(b[off])
		if off+pad4(1+n) > hlen {
			return fail(off, "wireless specific information", ErrTruncated, "%d bytes overrun header length %d", n, hlen)
		}
		h.WirelessInfo = append([]byte{}, b[off+1:off+1+n]...)
	}
	return hlen, nil
}

// Packet is a clear CAPWAP packet split into its header and payload: a
// control message, a data frame, a keep-alive or one fragment of these.
type Packet struct {
	Header  Header
	Payload []byte
}

// ParsePacket splits a clear CAPWAP packet (preamble type 0) into header and
// a copy of the payload.
func ParsePacket(b []byte) (*Packet, error) {
	p := new(Packet)
	n, err := p.Header.decode(b)
	if err != nil {
		return nil, err
	}
	p.Payload = append([]byte{}, b[n:]...)
	return p, nil
}

// AppendBinary appends header and payload.
func (p *Packet) AppendBinary(b []byte) ([]byte, error) {
	b, err := p.Header.AppendBinary(b)
	if err != nil {
		return b, err
	}
	return append(b, p.Payload...), nil
}
