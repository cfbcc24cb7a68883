package tunnel

import "encoding/binary"

// ClampMSS lowers the Maximum Segment Size option of a TCP SYN in frame,
// an Ethernet frame (with at most one 802.1Q tag) carrying IPv4 or IPv6,
// so that the connection's full-size segments make frames of at most
// maxFrame bytes: those cross the data channel in one packet instead of
// two CAPWAP fragments. The TCP checksum is updated incrementally (RFC
// 1624). It reports whether it changed frame; anything that is not such a
// SYN, or already fits, is left alone.
func ClampMSS(frame []byte, maxFrame int) bool {
	if len(frame) < 14 {
		return false
	}
	off, etype := 14, binary.BigEndian.Uint16(frame[12:14])
	if etype == 0x8100 && len(frame) >= 18 {
		off, etype = 18, binary.BigEndian.Uint16(frame[16:18])
	}
	ip := frame[off:]
	var tcp []byte
	var ipHeader int
	switch etype {
	case 0x0800:
		if len(ip) < 20 || ip[0]>>4 != 4 || ip[9] != 6 || binary.BigEndian.Uint16(ip[6:8])&0x3fff != 0 {
			return false // not TCP, or a fragment
		}
		ihl := int(ip[0]&0x0f) * 4
		if ihl < 20 || len(ip) < ihl {
			return false
		}
		tcp, ipHeader = ip[ihl:], 20
	case 0x86dd:
		if len(ip) < 40 || ip[0]>>4 != 6 || ip[6] != 6 {
			return false // not TCP right after the fixed header
		}
		tcp, ipHeader = ip[40:], 40
	default:
		return false
	}
	if len(tcp) < 20 || tcp[13]&0x02 == 0 { // SYN
		return false
	}
	limit := maxFrame - (off + ipHeader + 20)
	if limit < 536 {
		return false
	}
	dataOff := int(tcp[12]>>4) * 4
	if dataOff < 20 || len(tcp) < dataOff {
		return false
	}
	opts := tcp[20:dataOff]
	for i := 0; i < len(opts); {
		switch kind := opts[i]; kind {
		case 0:
			return false
		case 1:
			i++
			continue
		}
		if i+1 >= len(opts) || opts[i+1] < 2 || i+int(opts[i+1]) > len(opts) {
			return false
		}
		if opts[i] == 2 && opts[i+1] == 4 {
			old := binary.BigEndian.Uint16(opts[i+2 : i+4])
			if int(old) <= limit {
				return false
			}
			binary.BigEndian.PutUint16(opts[i+2:i+4], uint16(limit))
			// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m').
			sum := uint32(^binary.BigEndian.Uint16(tcp[16:18])) + uint32(^old) + uint32(limit)
			for sum > 0xffff {
				sum = sum&0xffff + sum>>16
			}
			binary.BigEndian.PutUint16(tcp[16:18], ^uint16(sum))
			return true
		}
		i += int(opts[i+1])
	}
	return false
}
