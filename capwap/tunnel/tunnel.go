// Package tunnel carries clients' 802.3 frames over the CAPWAP data channel
// (RFC 5415 §4.4) for manager forwarding: the header with the IEEE 802.11
// binding's Wireless Specific Information (RFC 5416 §4), CAPWAP
// fragmentation of frames that do not fit the underlay (RFC 5415 §3.4), and
// bounded reassembly per peer.
//
// Encoding writes into a buffer the caller owns and decoding returns views
// into the packet, so the per-frame path allocates nothing; only a frame
// that arrives in fragments is copied while it is put back together. The
// package does no I/O.
//
// The two directions carry different Wireless Specific Information, as RFC
// 5416 §4 defines it: from the manager, Destination WLANs (a bit per WLAN
// ID) tells the CAP which WLAN of the radio a frame is for; from the CAP,
// nothing (the manager finds a frame's WLAN from its source, a station it
// registered).
package tunnel

import (
	"errors"
	"fmt"
	"time"

	"github.com/capstan-wifi/capstan/capwap/wire"
)

// Header lengths: the fixed CAPWAP header, and with the 4-byte Wireless
// Specific Information (1 length byte and 3 bytes of padding: 8 bytes).
const (
	HeaderLen      = 8
	HeaderLenWLANs = 16
)

// MaxFrame is the largest frame carried: a 1500-byte MTU, the Ethernet
// header and two VLAN tags.
const MaxFrame = 1500 + 14 + 8

// wbid80211 is the IEEE 802.11 wireless binding (RFC 5415 §4.3).
const wbid80211 = 1

// Errors Decode wraps.
var (
	ErrNotData   = errors.New("not a clear CAPWAP data packet")
	ErrMalformed = errors.New("malformed CAPWAP data packet")
)

// Header is what a forwarded frame's CAPWAP header says.
type Header struct {
	RadioID uint8
	// WLANs is the Destination WLANs bit set (bit 0 is WLAN 1); 0 when the
	// packet carries none.
	WLANs      wire.DestinationWLANs
	KeepAlive  bool
	Fragment   bool
	Last       bool
	FragmentID uint16
	Offset     int // bytes
}

// WLANBit is the Destination WLANs bit of WLAN id (1–16); 0 for others.
func WLANBit(id uint8) wire.DestinationWLANs {
	if id < 1 || id > 16 {
		return 0
	}
	return 1 << (id - 1)
}

// Decode reads the header of a clear data-channel packet and returns the
// payload as a view into b. Native 802.11 frames (T bit) and other wireless
// bindings are refused: capstan tunnels 802.3.
func Decode(b []byte) (Header, []byte, error) {
	var h Header
	if len(b) < HeaderLen {
		return h, nil, fmt.Errorf("%d bytes: %w", len(b), ErrMalformed)
	}
	if b[0] != 0 {
		return h, nil, fmt.Errorf("preamble %#02x: %w", b[0], ErrNotData)
	}
	word := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	hlen := int(word>>19&0x1f) * 4
	if hlen < HeaderLen || hlen > len(b) {
		return h, nil, fmt.Errorf("header length %d in a %d-byte packet: %w", hlen, len(b), ErrMalformed)
	}
	h.RadioID = uint8(word >> 14 & 0x1f)
	h.KeepAlive = word&(1<<3) != 0
	h.Fragment = word&(1<<7) != 0
	h.Last = h.Fragment && word&(1<<6) != 0
	if h.KeepAlive {
		return h, b[hlen:], nil
	}
	if wbid := word >> 9 & 0x1f; wbid != wbid80211 {
		return h, nil, fmt.Errorf("wireless binding %d, want 1 (IEEE 802.11): %w", wbid, ErrMalformed)
	}
	if word&(1<<8) != 0 {
		return h, nil, fmt.Errorf("native 802.11 frame (T bit): capstan tunnels 802.3: %w", ErrMalformed)
	}
	h.FragmentID = uint16(b[4])<<8 | uint16(b[5])
	h.Offset = int((uint16(b[6])<<8|uint16(b[7]))>>3) * 8
	off := HeaderLen
	if word&(1<<4) != 0 { // Radio MAC: skipped
		if off >= hlen {
			return h, nil, fmt.Errorf("radio MAC beyond the header: %w", ErrMalformed)
		}
		off += (1 + int(b[off]) + 3) &^ 3
	}
	if word&(1<<5) != 0 {
		if off >= hlen {
			return h, nil, fmt.Errorf("wireless information beyond the header: %w", ErrMalformed)
		}
		n := int(b[off])
		if off+1+n > hlen {
			return h, nil, fmt.Errorf("wireless information of %d bytes overruns the header: %w", n, ErrMalformed)
		}
		if n == 4 {
			h.WLANs = wire.DestinationWLANs(uint16(b[off+1])<<8 | uint16(b[off+2]))
		}
	}
	if off > hlen {
		return h, nil, fmt.Errorf("optional fields overrun the header: %w", ErrMalformed)
	}
	return h, b[hlen:], nil
}

// Encoder turns frames into data-channel packets of at most MTU bytes
// (the CAPWAP header and payload: the underlay's MTU less its IP and UDP
// headers, or what one layer-2 frame carries). It is not safe for
// concurrent use.
type Encoder struct {
	MTU    int
	nextID uint16
	buf    []byte
}

// NewEncoder returns an Encoder for packets of at most mtu bytes.
func NewEncoder(mtu int) *Encoder {
	return &Encoder{MTU: mtu, buf: make([]byte, 0, mtu)}
}

// Encode calls emit with each packet that carries frame to radio and, when
// wlans is not 0, to those WLANs: one packet when it fits, else fragments.
// The packet passed to emit is valid only during the call.
func (e *Encoder) Encode(radio uint8, wlans wire.DestinationWLANs, frame []byte, emit func([]byte) error) error {
	hlen := HeaderLen
	if wlans != 0 {
		hlen = HeaderLenWLANs
	}
	room := e.MTU - hlen
	if len(frame) <= room {
		return emit(e.header(radio, wlans, frame, false, false, 0, 0))
	}
	step := room &^ 7
	if step < 8 || len(frame) > 0x1fff*8 {
		return fmt.Errorf("tunnel: a %d-byte frame cannot be fragmented into %d-byte packets", len(frame), e.MTU)
	}
	e.nextID++
	for off := 0; off < len(frame); off += step {
		end := min(off+step, len(frame))
		if err := emit(e.header(radio, wlans, frame[off:end], true, end == len(frame), e.nextID, off)); err != nil {
			return err
		}
	}
	return nil
}

func (e *Encoder) header(radio uint8, wlans wire.DestinationWLANs, payload []byte, frag, last bool, id uint16, off int) []byte {
	hlen := HeaderLen
	word := uint32(radio&0x1f)<<14 | wbid80211<<9
	if wlans != 0 {
		hlen = HeaderLenWLANs
		word |= 1 << 5
	}
	word |= uint32(hlen/4) << 19
	if frag {
		word |= 1 << 7
		if last {
			word |= 1 << 6
		}
	}
	b := append(e.buf[:0], byte(word>>24), byte(word>>16), byte(word>>8), byte(word), byte(id>>8), byte(id), byte(off/8>>5), byte(off/8<<3))
	if wlans != 0 {
		b = append(b, 4, byte(wlans>>8), byte(wlans), 0, 0, 0, 0, 0)
	}
	b = append(b, payload...)
	e.buf = b
	return b
}

// Reassembler puts fragmented frames back together for one peer, within
// wire's limits for a data channel: frames of at most MaxFrame bytes, a few
// in flight, each completed within Timeout.
type Reassembler struct {
	r *wire.Reassembler
}

// NewReassembler returns a Reassembler for one peer.
func NewReassembler() *Reassembler {
	return &Reassembler{r: wire.NewReassembler(wire.ReassemblyLimits{MaxSets: 8, MaxSize: MaxFrame, MaxFragments: 16, Timeout: 2 * time.Second})}
}

// Add takes one fragment (h, payload from Decode) and returns the whole
// frame when this fragment completes it.
func (r *Reassembler) Add(h Header, payload []byte, now time.Time) (Header, []byte, bool, error) {
	p := &wire.Packet{Header: wire.Header{RadioID: h.RadioID, WBID: wbid80211, Fragment: h.Fragment, LastFragment: h.Last,
		FragmentID: h.FragmentID, FragmentOffset: uint16(h.Offset / 8)}, Payload: payload}
	_, frame, done, err := r.r.Add(p, now)
	if !done || err != nil {
		return h, nil, false, err
	}
	h.Fragment, h.Last, h.FragmentID, h.Offset = false, false, 0, 0
	return h, frame, true, nil
}
