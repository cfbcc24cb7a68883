package wire

import "fmt"

// KeepAlive is a Data Channel Keep-Alive (RFC 5415 §4.4.1): a data-channel
// packet with the K bit whose payload is a Message Element Length and
// elements, the Session ID among them. The AC echoes it unchanged.
type KeepAlive struct {
	SessionID SessionID
	// Extra holds elements besides the Session ID, re-encoded after it.
	Extra []Element
}

// AppendBinary appends the whole packet. Every header field but HLEN and K
// is zero (§4.4.1); the length counts the bytes after the CAPWAP header,
// itself included.
func (k *KeepAlive) AppendBinary(b []byte) ([]byte, error) {
	start := len(b)
	h := Header{KeepAlive: true}
	b, _ = h.AppendBinary(b)
	lenAt := len(b)
	b = append(b, 0, 0)
	b, err := appendElements(b, append([]Element{&k.SessionID}, k.Extra...))
	if err != nil {
		return b[:start], err
	}
	n := len(b) - lenAt
	if n > 0xffff {
		return b[:start], &Error{Op: "encode keep-alive", Field: "message element length", Err: fmt.Errorf("%d bytes: %w", n, ErrTooLong)}
	}
	b[lenAt], b[lenAt+1] = byte(n>>8), byte(n)
	return b, nil
}

// DataPacket is a data-channel packet: a user frame, a keep-alive or one
// fragment of a frame.
type DataPacket struct {
	Header Header
	// Frame is the 802.3 frame (Header.Native false) or native 802.11 frame
	// (Header.Native true); nil for a keep-alive.
	Frame     []byte
	KeepAlive *KeepAlive
}

// ParseData decodes a clear data-channel packet. For a fragment, Frame
// holds the fragment's bytes: feed the packet to a [Reassembler].
func ParseData(b []byte) (*DataPacket, error) {
	var h Header
	n, err := h.decode(b)
	if err != nil {
		return nil, err
	}
	p := &DataPacket{Header: h}
	if !h.KeepAlive {
		p.Frame = append([]byte{}, b[n:]...)
		return p, nil
	}
	if h.Fragment {
		return nil, &Error{Op: "decode keep-alive", Field: "F", Offset: 3, Err: fmt.Errorf("fragmented keep-alive: %w", ErrInvalid)}
	}
	p.KeepAlive, err = decodeKeepAlive(b[n:], n)
	return p, err
}

func decodeKeepAlive(b []byte, base int) (*KeepAlive, error) {
	const op = "decode keep-alive"
	if len(b) < 2 {
		return nil, &Error{Op: op, Field: "message element length", Offset: base, Err: fmt.Errorf("%d bytes: %w", len(b), ErrTruncated)}
	}
	l := int(b[0])<<8 | int(b[1])
	switch {
	case l < 2:
		return nil, &Error{Op: op, Field: "message element length", Offset: base, Err: fmt.Errorf("length %d below 2 (it counts itself): %w", l, ErrInvalid)}
	case l > len(b):
		return nil, &Error{Op: op, Field: "message element length", Offset: base, Err: fmt.Errorf("length %d, %d bytes follow the header: %w", l, len(b), ErrTruncated)}
	case l < len(b):
		return nil, &Error{Op: op, Field: "message element length", Offset: base, Err: fmt.Errorf("length %d, but %d bytes follow the header: %w", l, len(b), ErrTrailing)}
	}
	es, err := decodeElements(op, b[2:l], base+2, ResultSuccess)
	if err != nil {
		return nil, err
	}
	k := new(KeepAlive)
	found := false
	for _, e := range es {
		if s, ok := e.(*SessionID); ok && !found {
			k.SessionID, found = *s, true
			continue
		}
		k.Extra = append(k.Extra, e)
	}
	if !found {
		return nil, &Error{Op: op, Element: TypeSessionID, Offset: base, Result: ResultMissingMandatoryElement,
			Err: fmt.Errorf("no Session ID: %w", ErrInvalid)}
	}
	return k, nil
}

// AppendBinary appends the whole packet: a keep-alive if KeepAlive is set,
// else the header and Frame.
func (p *DataPacket) AppendBinary(b []byte) ([]byte, error) {
	if p.KeepAlive != nil {
		return p.KeepAlive.AppendBinary(b)
	}
	if p.Header.KeepAlive {
		return b, &Error{Op: "encode data packet", Field: "K", Err: fmt.Errorf("the K bit set without a keep-alive: %w", ErrInvalid)}
	}
	start := len(b)
	b, err := p.Header.AppendBinary(b)
	if err != nil {
		return b[:start], err
	}
	return append(b, p.Frame...), nil
}

// IEEE 802.11 Frame Info (RFC 5416 §4): the Wireless Specific Information a
// WTP attaches to a frame it received over the air.
type FrameInfo struct {
	RSSI     int8   // dBm
	SNR      int8   // dB
	DataRate uint16 // in 0.1 Mb/s
}

// Bytes returns the 4-byte encoding for Header.WirelessInfo.
func (f FrameInfo) Bytes() []byte {
	return []byte{byte(f.RSSI), byte(f.SNR), byte(f.DataRate >> 8), byte(f.DataRate)}
}

// ParseFrameInfo decodes Wireless Specific Information from a WTP.
func ParseFrameInfo(b []byte) (FrameInfo, error) {
	if len(b) != 4 {
		return FrameInfo{}, &Error{Op: "decode frame info", Field: "wireless specific information", Err: fmt.Errorf("%d bytes, want 4: %w", len(b), ErrInvalid)}
	}
	return FrameInfo{RSSI: int8(b[0]), SNR: int8(b[1]), DataRate: uint16(b[2])<<8 | uint16(b[3])}, nil
}

// DestinationWLANs (RFC 5416 §4) is the Wireless Specific Information an AC
// attaches to a broadcast or multicast frame: bit 0 (LSB) is WLAN 1.
type DestinationWLANs uint16

// Bytes returns the 4-byte encoding for Header.WirelessInfo.
func (d DestinationWLANs) Bytes() []byte { return []byte{byte(d >> 8), byte(d), 0, 0} }

// ParseDestinationWLANs decodes Wireless Specific Information from an AC.
func ParseDestinationWLANs(b []byte) (DestinationWLANs, error) {
	if len(b) != 4 {
		return 0, &Error{Op: "decode destination WLANs", Field: "wireless specific information", Err: fmt.Errorf("%d bytes, want 4: %w", len(b), ErrInvalid)}
	}
	return DestinationWLANs(uint16(b[0])<<8 | uint16(b[1])), nil
}
