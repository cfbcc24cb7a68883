package offload

import "encoding/binary"

// layout is where the headers of an Ethernet frame carrying TCP start.
type layout struct {
	l3, l4, payload int // offsets of the IP header, the TCP header, the payload
	end             int // the end of the IP datagram
	v6              bool
}

// TCP flags.
const (
	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpPSH = 0x08
	tcpACK = 0x10
	tcpURG = 0x20
	tcpECE = 0x40
	tcpCWR = 0x80
)

// parseTCP finds the headers of frame: Ethernet with at most one 802.1Q
// tag, IPv4 (options allowed, not a fragment) or IPv6 without extension
// headers, and TCP, whole within the frame. ok is false for anything
// else.
func parseTCP(frame []byte) (l layout, ok bool) {
	if len(frame) < 14 {
		return l, false
	}
	l.l3 = 14
	et := binary.BigEndian.Uint16(frame[12:])
	if et == 0x8100 {
		if len(frame) < 18 {
			return l, false
		}
		et, l.l3 = binary.BigEndian.Uint16(frame[16:]), 18
	}
	ip := frame[l.l3:]
	switch et {
	case 0x0800:
		if len(ip) < 20 || ip[0]>>4 != 4 || ip[9] != 6 {
			return l, false
		}
		ihl := int(ip[0]&0x0f) * 4
		total := int(binary.BigEndian.Uint16(ip[2:]))
		if ihl < 20 || total < ihl || total > len(ip) || binary.BigEndian.Uint16(ip[6:])&0x3fff != 0 {
			return l, false // too short, or a fragment (MF or an offset)
		}
		l.l4, l.end = l.l3+ihl, l.l3+total
	case 0x86dd:
		if len(ip) < 40 || ip[0]>>4 != 6 || ip[6] != 6 {
			return l, false
		}
		total := 40 + int(binary.BigEndian.Uint16(ip[4:]))
		if total > len(ip) {
			return l, false
		}
		l.l4, l.end, l.v6 = l.l3+40, l.l3+total, true
	default:
		return l, false
	}
	if l.end-l.l4 < 20 {
		return l, false
	}
	doff := int(frame[l.l4+12]>>4) * 4
	if doff < 20 || l.l4+doff > l.end {
		return l, false
	}
	l.payload = l.l4 + doff
	return l, true
}

// tcpChecksumOK reports whether the TCP checksum of the datagram is
// right.
func tcpChecksumOK(frame []byte, l layout) bool {
	acc := pseudo(frame[l.l3:], l.v6, 6, l.end-l.l4)
	return fold(sum(frame[l.l4:l.end], acc)) == 0xffff
}

// ipv4HeaderOK reports whether an IPv4 header's checksum is right.
func ipv4HeaderOK(frame []byte, l layout) bool {
	return l.v6 || fold(sum(frame[l.l3:l.l4], 0)) == 0xffff
}
