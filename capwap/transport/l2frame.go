package transport

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// EtherType is the EtherType of capstan's layer-2 transport: IEEE 802's
// "local experimental" value, which no registered protocol uses.
const EtherType = 0x88B5

// l2Magic marks a capstan frame, so that other experimental users of 0x88B5
// on the same segment are ignored rather than misparsed.
var l2Magic = [2]byte{0xCA, 0x57}

// L2Version is the version of the layer-2 header this package speaks.
const L2Version = 1

// l2HeaderLen is magic(2) version(1) channel(1) length(2).
const l2HeaderLen = 6

// Channel says which CAPWAP channel a layer-2 frame belongs to: UDP keeps
// them apart by port, layer 2 by this header field.
type Channel uint8

// The two CAPWAP channels.
const (
	ControlChannel Channel = 0
	DataChannel    Channel = 1
)

// L2MaxPayload is what one Ethernet frame can carry after the header.
const L2MaxPayload = 1500 - l2HeaderLen

// Errors of the layer-2 header.
var (
	errL2Magic   = errors.New("l2: not a capstan frame")
	errL2Version = errors.New("l2: unsupported version")
	errL2Length  = errors.New("l2: bad length")
	errL2Channel = errors.New("l2: unknown channel")
)

// appendL2Header appends the header of a frame carrying n payload bytes.
func appendL2Header(b []byte, ch Channel, n int) []byte {
	b = append(b, l2Magic[0], l2Magic[1], L2Version, byte(ch))
	return binary.BigEndian.AppendUint16(b, uint16(n))
}

// parseL2Frame returns the channel and payload of one frame. Ethernet pads
// short frames to 60 bytes, so the payload length comes from the header.
func parseL2Frame(b []byte) (Channel, []byte, error) {
	if len(b) < l2HeaderLen || b[0] != l2Magic[0] || b[1] != l2Magic[1] {
		return 0, nil, errL2Magic
	}
	if b[2] != L2Version {
		return 0, nil, fmt.Errorf("%w %d", errL2Version, b[2])
	}
	if ch := Channel(b[3]); ch != ControlChannel && ch != DataChannel {
		return 0, nil, fmt.Errorf("%w %d", errL2Channel, b[3])
	}
	n := int(binary.BigEndian.Uint16(b[4:6]))
	if n > len(b)-l2HeaderLen || n > L2MaxPayload {
		return 0, nil, fmt.Errorf("%w %d of %d", errL2Length, n, len(b)-l2HeaderLen)
	}
	return Channel(b[3]), b[l2HeaderLen : l2HeaderLen+n], nil
}
