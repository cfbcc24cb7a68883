package offload

import (
	"encoding/binary"
	"errors"
)

// Errors of Segment.
var (
	ErrShort       = errors.New("offload: frame shorter than its virtio header says")
	ErrUnsupported = errors.New("offload: GSO type not offered")
)

// Segment calls emit with each frame pkt stands for: pkt is a frame read
// from a TAP with IFF_VNET_HDR, its virtio header first. A frame with a
// partial checksum gets it completed; a TCP GSO frame is cut into
// segments of the header's GSO size, each with its own lengths, sequence
// number, IPv4 ID and checksums, PSH and FIN on the last only and CWR on
// the first only, as a NIC's TSO does. scratch must hold the largest
// segment (headers and GSO size); emit's frame is valid only during the
// call.
func Segment(pkt, scratch []byte, emit func(frame []byte)) error {
	h, ok := DecodeVirtioHdr(pkt)
	if !ok {
		return ErrShort
	}
	frame := pkt[VirtioHdrLen:]
	switch h.GSOType &^ GSOECN {
	case GSONone:
		if h.Flags&FlagNeedsCsum != 0 {
			start, at := int(h.CsumStart), int(h.CsumStart)+int(h.CsumOffset)
			if start > len(frame) || at+2 > len(frame) {
				return ErrShort
			}
			binary.BigEndian.PutUint16(frame[at:], ^fold(sum(frame[start:], 0)))
		}
		emit(frame)
		return nil
	case GSOTCPv4, GSOTCPv6:
	default:
		return ErrUnsupported
	}
	l, ok := parseTCP(frame)
	if !ok || l.v6 != (h.GSOType&^GSOECN == GSOTCPv6) || h.GSOSize == 0 {
		return ErrShort
	}
	size, hdr := int(h.GSOSize), l.payload
	if len(scratch) < hdr+size {
		return ErrShort
	}
	payload := frame[l.payload:l.end]
	seq := binary.BigEndian.Uint32(frame[l.l4+4:])
	var id uint16
	if !l.v6 {
		id = binary.BigEndian.Uint16(frame[l.l3+4:])
	}
	flags := frame[l.l4+13]
	for off, i := 0, 0; off < len(payload) || i == 0; i++ {
		n := min(size, len(payload)-off)
		seg := scratch[:hdr+n]
		copy(seg, frame[:hdr])
		copy(seg[hdr:], payload[off:off+n])
		last := off+n >= len(payload)
		f := flags
		if !last {
			f &^= tcpFIN | tcpPSH
		}
		if i > 0 {
			f &^= tcpCWR
		}
		seg[l.l4+13] = f
		binary.BigEndian.PutUint32(seg[l.l4+4:], seq+uint32(off))
		if l.v6 {
			binary.BigEndian.PutUint16(seg[l.l3+4:], uint16(len(seg)-l.l4))
		} else {
			binary.BigEndian.PutUint16(seg[l.l3+2:], uint16(len(seg)-l.l3))
			binary.BigEndian.PutUint16(seg[l.l3+4:], id+uint16(i))
			ipv4HeaderChecksum(seg[l.l3:l.l4])
		}
		seg[l.l4+16], seg[l.l4+17] = 0, 0
		acc := pseudo(seg[l.l3:], l.v6, 6, len(seg)-l.l4)
		binary.BigEndian.PutUint16(seg[l.l4+16:], ^fold(sum(seg[l.l4:], acc)))
		emit(seg)
		off += n
	}
	return nil
}
