package wire

import "fmt"

// controlHeaderLen is the control header: Message Type (4), Sequence
// Number (1), Message Element Length (2), Flags (1) (RFC 5415 §4.5.1).
const controlHeaderLen = 8

// MaxElementsLen is the most element bytes one control message can carry:
// Message Element Length is 16 bits and counts 3 bytes besides the elements.
const MaxElementsLen = 0xffff - 3

// ControlMessage is a CAPWAP control message (RFC 5415 §4.5.1) with the
// transport header it travels in.
type ControlMessage struct {
	Header   Header // RID, WBID and the optional fields; fragment fields are the transport's
	Type     MessageType
	Seq      uint8
	Elements []Element
}

// AppendBinary appends the whole packet: preamble, header, control header
// and elements. The Message Element Length is computed here: it counts the
// bytes after the Sequence Number, that is the elements plus 3 (the length
// field itself and Flags), as RFC 5415 §4.5.1.3 says.
func (m *ControlMessage) AppendBinary(b []byte) ([]byte, error) {
	start := len(b)
	if m.Header.Fragment || m.Header.KeepAlive {
		return b, &Error{Op: "encode " + m.Type.String(), Field: "header",
			Err: fmt.Errorf("the F or K bit set on a whole control message: %w", ErrInvalid)}
	}
	b, err := m.Header.AppendBinary(b)
	if err != nil {
		return b[:start], err
	}
	b, err = m.appendControl(b)
	if err != nil {
		return b[:start], err
	}
	return b, nil
}

// appendControl appends the control header and elements (the payload).
func (m *ControlMessage) appendControl(b []byte) ([]byte, error) {
	start := len(b)
	b = appendU32(b, uint32(m.Type))
	b = append(b, m.Seq, 0, 0, 0) // Sequence, Length (patched below), Flags
	b, err := appendElements(b, m.Elements)
	if err != nil {
		var e *Error
		if asError(err, &e) {
			e.Op = "encode " + m.Type.String()
		}
		return b[:start], err
	}
	n := len(b) - start - controlHeaderLen
	if n > MaxElementsLen {
		return b[:start], &Error{Op: "encode " + m.Type.String(), Field: "message element length",
			Err: fmt.Errorf("elements of %d bytes exceed %d: %w", n, MaxElementsLen, ErrTooLong)}
	}
	l := n + 3
	b[start+5], b[start+6] = byte(l>>8), byte(l)
	return b, nil
}

// MarshalPayload returns the control header and elements without the
// transport header: what the fragmenter splits.
func (m *ControlMessage) MarshalPayload() ([]byte, error) { return m.appendControl(nil) }

// ParseControl decodes a whole clear control packet. A fragment is refused
// with ErrFragment: reassemble first, then call DecodeControlPayload.
func ParseControl(b []byte) (*ControlMessage, error) {
	var h Header
	n, err := h.decode(b)
	if err != nil {
		return nil, err
	}
	if h.Fragment {
		return nil, &Error{Op: "decode control message", Field: "F", Offset: 3,
			Err: fmt.Errorf("fragment %d of set %d: reassemble first: %w", h.FragmentOffset, h.FragmentID, ErrFragment)}
	}
	if h.KeepAlive {
		return nil, &Error{Op: "decode control message", Field: "K", Offset: 3,
			Err: fmt.Errorf("keep-alive bit on the control channel: %w", ErrInvalid)}
	}
	m, err := decodeControl(b[n:], n)
	if err != nil {
		return nil, err
	}
	m.Header = h
	return m, nil
}

// DecodeControlPayload decodes a control header and its elements, such as a
// reassembled fragment set, into a message with the given transport header.
func DecodeControlPayload(h Header, payload []byte) (*ControlMessage, error) {
	m, err := decodeControl(payload, 0)
	if err != nil {
		return nil, err
	}
	h.Fragment, h.LastFragment, h.FragmentOffset, h.FragmentID = false, false, 0, 0
	m.Header = h
	return m, nil
}

// decodeControl decodes a control payload found at offset base.
func decodeControl(b []byte, base int) (*ControlMessage, error) {
	if len(b) < controlHeaderLen {
		return nil, &Error{Op: "decode control message", Field: "control header", Offset: base,
			Err: fmt.Errorf("%d bytes, need %d: %w", len(b), controlHeaderLen, ErrTruncated)}
	}
	m := &ControlMessage{
		Type: MessageType(uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])),
		Seq:  b[4],
	}
	op := "decode " + m.Type.String()
	// A malformed request is answered; a Join gets the Join-specific code.
	result := ResultUnrecognizedElement
	if m.Type == JoinRequest {
		result = ResultJoinFailureIncorrectData
	}
	l := int(b[5])<<8 | int(b[6])
	switch {
	case l < 3:
		return nil, &Error{Op: op, Field: "message element length", Offset: base + 5, Result: result,
			Err: fmt.Errorf("length %d below 3 (it counts itself and Flags): %w", l, ErrInvalid)}
	case 5+l > len(b):
		return nil, &Error{Op: op, Field: "message element length", Offset: base + 5, Result: result,
			Err: fmt.Errorf("length %d, %d bytes follow the sequence number: %w", l, len(b)-5, ErrTruncated)}
	case 5+l < len(b):
		return nil, &Error{Op: op, Field: "message element length", Offset: base + 5, Result: result,
			Err: fmt.Errorf("length %d, but %d bytes follow the sequence number: %w", l, len(b)-5, ErrTrailing)}
	}
	// Flags "MUST be set to zero" (§4.5.1.4) but are not otherwise defined;
	// like the reserved header bits they are ignored on receipt.
	es, err := decodeElements(op, b[controlHeaderLen:], base+controlHeaderLen, result)
	if err != nil {
		return nil, err
	}
	m.Elements = es
	return m, nil
}

// Element returns the first element of type t, or nil.
func (m *ControlMessage) Element(t ElementType) Element {
	for _, e := range m.Elements {
		if e.Type() == t {
			return e
		}
	}
	return nil
}

// ElementsOf returns every element of type t, in order.
func (m *ControlMessage) ElementsOf(t ElementType) []Element {
	var out []Element
	for _, e := range m.Elements {
		if e.Type() == t {
			out = append(out, e)
		}
	}
	return out
}
