package wire

import (
	"fmt"
	"net"
)

// IEEE80211Station is the IEEE 802.11 Station element (RFC 5416 §6.13): a
// station's association as the WTP or AC sees it.
type IEEE80211Station struct {
	RadioID        uint8
	AssociationID  uint16
	MAC            net.HardwareAddr // 6 bytes
	Capabilities   uint16
	WLANID         uint8
	SupportedRates []uint8
}

// Type returns TypeIEEE80211Station.
func (*IEEE80211Station) Type() ElementType { return TypeIEEE80211Station }

// AppendBinary appends the value. The Flags field is reserved and sent as 0.
func (e *IEEE80211Station) AppendBinary(b []byte) ([]byte, error) {
	if err := checkWLANID(e.WLANID); err != nil {
		return b, err
	}
	if err := checkLen("supported rates", len(e.SupportedRates), 1, 255); err != nil {
		return b, err
	}
	b = append(appendU16(append(b, e.RadioID), e.AssociationID), 0)
	b, err := appendMAC48(b, "MAC", e.MAC)
	if err != nil {
		return b, err
	}
	return append(append(appendU16(b, e.Capabilities), e.WLANID), e.SupportedRates...), nil
}

// UnmarshalBinary decodes the value.
func (e *IEEE80211Station) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	*e = IEEE80211Station{RadioID: c.u8("radio ID"), AssociationID: c.u16("association ID")}
	c.u8("flags")
	e.MAC, e.Capabilities, e.WLANID = c.mac(6, "MAC"), c.u16("capabilities"), c.wlanID()
	if c.err == nil && (c.remaining() < 1 || c.remaining() > 255) {
		c.fail("supported rates", fmt.Errorf("%d rates, want 1..255: %w", c.remaining(), ErrInvalid))
	}
	e.SupportedRates = c.rest()
	return c.finish()
}

// IEEE80211StationQoSProfile is the IEEE 802.11 Station QoS Profile element
// (RFC 5416 §6.14): the highest 802.1p priority a station may use.
type IEEE80211StationQoSProfile struct {
	MAC      net.HardwareAddr
	Priority uint8 // 3 bits
}

// Type returns TypeIEEE80211StationQoSProfile.
func (*IEEE80211StationQoSProfile) Type() ElementType { return TypeIEEE80211StationQoSProfile }

// AppendBinary appends the value.
func (e *IEEE80211StationQoSProfile) AppendBinary(b []byte) ([]byte, error) {
	if e.Priority > 7 {
		return b, errorf("8021p", 0, ErrInvalid, "priority %d exceeds 7", e.Priority)
	}
	b, err := appendMAC48(b, "MAC", e.MAC)
	return appendU16(b, uint16(e.Priority)), err
}

// UnmarshalBinary decodes the value.
func (e *IEEE80211StationQoSProfile) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.MAC, e.Priority = c.mac(6, "MAC"), uint8(c.u16("8021p")&7)
	return c.finish()
}

// Station Session Key flags (RFC 5416 §6.15).
const (
	SessionKeyAKMOnly  = 1 << 15 // A: accept only 802.1X frames
	SessionKeyACCrypto = 1 << 14 // C: the AC does the encryption
)

// IEEE80211StationSessionKey is the IEEE 802.11 Station Session Key element
// (RFC 5416 §6.15): the pairwise key and counters for a station.
type IEEE80211StationSessionKey struct {
	MAC         net.HardwareAddr
	Flags       uint16 // SessionKeyAKMOnly | SessionKeyACCrypto
	PairwiseTSC uint64 // 48 bits
	PairwiseRSC uint64 // 48 bits
	Key         []byte
}

// Type returns TypeIEEE80211StationSessionKey.
func (*IEEE80211StationSessionKey) Type() ElementType { return TypeIEEE80211StationSessionKey }

// AppendBinary appends the value.
func (e *IEEE80211StationSessionKey) AppendBinary(b []byte) ([]byte, error) {
	if e.PairwiseTSC > 1<<48-1 || e.PairwiseRSC > 1<<48-1 {
		return b, errorf("pairwise TSC/RSC", 0, ErrInvalid, "exceeds 48 bits")
	}
	if err := checkLen("key", len(e.Key), 1, MaxElementsLen-elementHeaderLen-20); err != nil {
		return b, err
	}
	b, err := appendMAC48(b, "MAC", e.MAC)
	if err != nil {
		return b, err
	}
	b = appendU16(b, e.Flags&(SessionKeyAKMOnly|SessionKeyACCrypto))
	return append(appendU48(appendU48(b, e.PairwiseTSC), e.PairwiseRSC), e.Key...), nil
}

// UnmarshalBinary decodes the value.
func (e *IEEE80211StationSessionKey) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.MAC = c.mac(6, "MAC")
	e.Flags = c.u16("flags") & (SessionKeyAKMOnly | SessionKeyACCrypto)
	e.PairwiseTSC, e.PairwiseRSC = c.u48("pairwise TSC"), c.u48("pairwise RSC")
	if c.err == nil && c.remaining() == 0 {
		c.fail("key", fmt.Errorf("empty key: %w", ErrTruncated))
	}
	e.Key = c.rest()
	return c.finish()
}

// StationQoSTag is one QoS sub-element of Update Station QoS: an 802.1p
// priority and a DSCP value.
type StationQoSTag struct{ Priority, DSCP uint8 }

// IEEE80211UpdateStationQoS is the IEEE 802.11 Update Station QoS element
// (RFC 5416 §6.20). Its text says "Length: 8" and "four QoS sub-elements"
// while its figure shows one 2-byte sub-element after a 7-byte header; the
// codec accepts any number of 2-byte sub-elements, at least one.
type IEEE80211UpdateStationQoS struct {
	RadioID uint8
	MAC     net.HardwareAddr
	Tags    []StationQoSTag
}

// Type returns TypeIEEE80211UpdateStationQoS.
func (*IEEE80211UpdateStationQoS) Type() ElementType { return TypeIEEE80211UpdateStationQoS }

// AppendBinary appends the value.
func (e *IEEE80211UpdateStationQoS) AppendBinary(b []byte) ([]byte, error) {
	if err := checkLen("QoS sub-elements", len(e.Tags), 1, 4); err != nil {
		return b, err
	}
	b, err := appendMAC48(append(b, e.RadioID), "MAC", e.MAC)
	if err != nil {
		return b, err
	}
	for _, t := range e.Tags {
		if t.Priority > 7 || t.DSCP > 63 {
			return b, errorf("QoS sub-element", 0, ErrInvalid, "802.1p %d or DSCP %d out of range", t.Priority, t.DSCP)
		}
		b = appendU16(b, qosTag(t.Priority, t.DSCP))
	}
	return b, nil
}

// UnmarshalBinary decodes the value.
func (e *IEEE80211UpdateStationQoS) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.RadioID, e.MAC = c.u8("radio ID"), c.mac(6, "MAC")
	if c.err == nil && (c.remaining() == 0 || c.remaining()%2 != 0 || c.remaining() > 8) {
		c.fail("QoS sub-elements", fmt.Errorf("%d bytes, want 1..4 sub-elements of 2: %w", c.remaining(), ErrInvalid))
	}
	e.Tags = nil
	for c.err == nil && c.remaining() > 0 {
		p, d := parseQoSTag(c.u16("QoS sub-element"))
		e.Tags = append(e.Tags, StationQoSTag{Priority: p, DSCP: d})
	}
	return c.finish()
}
