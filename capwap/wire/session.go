package wire

import (
	"encoding/hex"
	"fmt"
)

// enumU8 reads one byte that must lie in [lo, hi].
func (c *cursor) enumU8(field string, lo, hi uint8) uint8 {
	off := c.off
	v := c.u8(field)
	if c.err == nil && (v < lo || v > hi) {
		c.err = &fieldError{field: field, offset: off, err: fmt.Errorf("value %d outside %d..%d: %w", v, lo, hi, ErrInvalid)}
	}
	return v
}

func checkEnum(field string, v, lo, hi uint8) error {
	if v < lo || v > hi {
		return errorf(field, 0, ErrInvalid, "value %d outside %d..%d", v, lo, hi)
	}
	return nil
}

// SessionID is the Session ID element (RFC 5415 §4.6.37): a random 128-bit
// identifier of one WTP–AC session.
type SessionID [16]byte

// Type returns TypeSessionID.
func (*SessionID) Type() ElementType { return TypeSessionID }

// AppendBinary appends the value.
func (e *SessionID) AppendBinary(b []byte) ([]byte, error) { return append(b, e[:]...), nil }

// UnmarshalBinary decodes the value.
func (e *SessionID) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	copy(e[:], c.bytes(16, "session ID"))
	return c.finish()
}

func (e SessionID) String() string { return hex.EncodeToString(e[:]) }

// ResultCodeElement is the Result Code element (RFC 5415 §4.6.35).
type ResultCodeElement struct{ Code ResultCode }

// Type returns TypeResultCode.
func (*ResultCodeElement) Type() ElementType { return TypeResultCode }

// AppendBinary appends the value.
func (e *ResultCodeElement) AppendBinary(b []byte) ([]byte, error) {
	return appendU32(b, uint32(e.Code)), nil
}

// UnmarshalBinary decodes the value. Codes beyond 22 are kept: a newer peer
// may send them and the caller decides.
func (e *ResultCodeElement) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.Code = ResultCode(c.u32("result code"))
	return c.finish()
}

// Returned Message Element reasons (RFC 5415 §4.6.36).
const (
	ReasonUnknownElement          = 1
	ReasonUnsupportedElement      = 2
	ReasonUnknownElementValue     = 3
	ReasonUnsupportedElementValue = 4
)

// ReturnedMessageElement is the Returned Message Element element (RFC 5415
// §4.6.36): an element the WTP could not apply, returned whole (type,
// length and value, at most 255 bytes) with the reason.
type ReturnedMessageElement struct {
	Reason  uint8
	Element []byte // the offending element's TLV as received
}

// Type returns TypeReturnedMessageElement.
func (*ReturnedMessageElement) Type() ElementType { return TypeReturnedMessageElement }

// AppendBinary appends the value.
func (e *ReturnedMessageElement) AppendBinary(b []byte) ([]byte, error) {
	if err := checkEnum("reason", e.Reason, 1, 4); err != nil {
		return b, err
	}
	if err := checkLen("message element", len(e.Element), elementHeaderLen, 255); err != nil {
		return b, err
	}
	return append(append(b, e.Reason, byte(len(e.Element))), e.Element...), nil
}

// UnmarshalBinary decodes the value.
func (e *ReturnedMessageElement) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.Reason = c.enumU8("reason", 1, 4)
	n := int(c.u8("length"))
	if c.err == nil && n < elementHeaderLen {
		c.fail("length", fmt.Errorf("length %d cannot hold an element: %w", n, ErrInvalid))
	}
	e.Element = c.bytes(n, "message element")
	return c.finish()
}

// Discovery types (RFC 5415 §4.6.21).
const (
	DiscoveryUnknown  = 0
	DiscoveryStatic   = 1
	DiscoveryDHCP     = 2
	DiscoveryDNS      = 3
	DiscoveryReferral = 4
)

// DiscoveryType is the Discovery Type element (RFC 5415 §4.6.21): how the
// WTP learned of the AC it sends a Discovery Request to.
type DiscoveryType struct{ Method uint8 }

// Type returns TypeDiscoveryType.
func (*DiscoveryType) Type() ElementType { return TypeDiscoveryType }

// AppendBinary appends the value.
func (e *DiscoveryType) AppendBinary(b []byte) ([]byte, error) {
	if err := checkEnum("discovery type", e.Method, 0, 4); err != nil {
		return b, err
	}
	return append(b, e.Method), nil
}

// UnmarshalBinary decodes the value.
func (e *DiscoveryType) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.Method = c.enumU8("discovery type", 0, 4)
	return c.finish()
}

// CAPWAPTimers is the CAPWAP Timers element (RFC 5415 §4.6.13), in seconds:
// MaxDiscoveryInterval and EchoInterval.
type CAPWAPTimers struct{ Discovery, EchoRequest uint8 }

// Type returns TypeCAPWAPTimers.
func (*CAPWAPTimers) Type() ElementType { return TypeCAPWAPTimers }

// AppendBinary appends the value.
func (e *CAPWAPTimers) AppendBinary(b []byte) ([]byte, error) {
	return append(b, e.Discovery, e.EchoRequest), nil
}

// UnmarshalBinary decodes the value.
func (e *CAPWAPTimers) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.Discovery, e.EchoRequest = c.u8("discovery"), c.u8("echo request")
	return c.finish()
}

// Transports of the CAPWAP Transport Protocol element (RFC 5415 §4.6.14).
const (
	TransportUDPLite = 1
	TransportUDP     = 2
)

// CAPWAPTransportProtocol is the CAPWAP Transport Protocol element (RFC 5415
// §4.6.14): UDP-Lite or UDP for the data channel.
type CAPWAPTransportProtocol struct{ Transport uint8 }

// Type returns TypeCAPWAPTransportProtocol.
func (*CAPWAPTransportProtocol) Type() ElementType { return TypeCAPWAPTransportProtocol }

// AppendBinary appends the value.
func (e *CAPWAPTransportProtocol) AppendBinary(b []byte) ([]byte, error) {
	if err := checkEnum("transport", e.Transport, 1, 2); err != nil {
		return b, err
	}
	return append(b, e.Transport), nil
}

// UnmarshalBinary decodes the value.
func (e *CAPWAPTransportProtocol) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.Transport = c.enumU8("transport", 1, 2)
	return c.finish()
}

// IdleTimeout is the Idle Timeout element (RFC 5415 §4.6.24), in seconds.
type IdleTimeout struct{ Timeout uint32 }

// Type returns TypeIdleTimeout.
func (*IdleTimeout) Type() ElementType { return TypeIdleTimeout }

// AppendBinary appends the value.
func (e *IdleTimeout) AppendBinary(b []byte) ([]byte, error) { return appendU32(b, e.Timeout), nil }

// UnmarshalBinary decodes the value.
func (e *IdleTimeout) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.Timeout = c.u32("timeout")
	return c.finish()
}

// ECN support values (RFC 5415 §4.6.25).
const (
	ECNLimited = 0
	ECNFull    = 1
)

// ECNSupport is the ECN Support element (RFC 5415 §4.6.25).
type ECNSupport struct{ Support uint8 }

// Type returns TypeECNSupport.
func (*ECNSupport) Type() ElementType { return TypeECNSupport }

// AppendBinary appends the value.
func (e *ECNSupport) AppendBinary(b []byte) ([]byte, error) {
	if err := checkEnum("ECN support", e.Support, 0, 1); err != nil {
		return b, err
	}
	return append(b, e.Support), nil
}

// UnmarshalBinary decodes the value.
func (e *ECNSupport) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.Support = c.enumU8("ECN support", 0, 1)
	return c.finish()
}

// MaximumMessageLength is the Maximum Message Length element (RFC 5415
// §4.6.31): the longest CAPWAP message the sender accepts.
type MaximumMessageLength struct{ Length uint16 }

// Type returns TypeMaximumMessageLength.
func (*MaximumMessageLength) Type() ElementType { return TypeMaximumMessageLength }

// AppendBinary appends the value.
func (e *MaximumMessageLength) AppendBinary(b []byte) ([]byte, error) {
	return appendU16(b, e.Length), nil
}

// UnmarshalBinary decodes the value.
func (e *MaximumMessageLength) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.Length = c.u16("maximum message length")
	return c.finish()
}

// MTUDiscoveryPadding is the MTU Discovery Padding element (RFC 5415
// §4.6.32): Length octets of 0xFF.
type MTUDiscoveryPadding struct{ Length int }

// Type returns TypeMTUDiscoveryPadding.
func (*MTUDiscoveryPadding) Type() ElementType { return TypeMTUDiscoveryPadding }

// AppendBinary appends the value.
func (e *MTUDiscoveryPadding) AppendBinary(b []byte) ([]byte, error) {
	if err := checkLen("padding", e.Length, 0, MaxElementsLen-elementHeaderLen); err != nil {
		return b, err
	}
	for range e.Length {
		b = append(b, 0xff)
	}
	return b, nil
}

// UnmarshalBinary decodes the value; every octet must be 0xFF.
func (e *MTUDiscoveryPadding) UnmarshalBinary(v []byte) error {
	for i, x := range v {
		if x != 0xff {
			return errorf("padding", i, ErrInvalid, "octet 0x%02x, want 0xff", x)
		}
	}
	e.Length = len(v)
	return nil
}

// StatisticsTimer is the Statistics Timer element (RFC 5415 §4.6.38), in
// seconds.
type StatisticsTimer struct{ Interval uint16 }

// Type returns TypeStatisticsTimer.
func (*StatisticsTimer) Type() ElementType { return TypeStatisticsTimer }

// AppendBinary appends the value.
func (e *StatisticsTimer) AppendBinary(b []byte) ([]byte, error) {
	return appendU16(b, e.Interval), nil
}

// UnmarshalBinary decodes the value.
func (e *StatisticsTimer) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.Interval = c.u16("statistics timer")
	return c.finish()
}

// DecryptionErrorReportPeriod is the Decryption Error Report Period element
// (RFC 5415 §4.6.18), in seconds.
type DecryptionErrorReportPeriod struct {
	RadioID  uint8
	Interval uint16
}

// Type returns TypeDecryptionErrorReportPeriod.
func (*DecryptionErrorReportPeriod) Type() ElementType { return TypeDecryptionErrorReportPeriod }

// AppendBinary appends the value.
func (e *DecryptionErrorReportPeriod) AppendBinary(b []byte) ([]byte, error) {
	return appendU16(append(b, e.RadioID), e.Interval), nil
}

// UnmarshalBinary decodes the value.
func (e *DecryptionErrorReportPeriod) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.RadioID, e.Interval = c.u8("radio ID"), c.u16("report interval")
	return c.finish()
}

// Enabled/Disabled values shared by WTP Fallback and the radio states.
const (
	Enabled  = 1
	Disabled = 2
)

// WTPFallback is the WTP Fallback element (RFC 5415 §4.6.42): Enabled or
// Disabled automatic return to the primary AC.
type WTPFallback struct{ Mode uint8 }

// Type returns TypeWTPFallback.
func (*WTPFallback) Type() ElementType { return TypeWTPFallback }

// AppendBinary appends the value.
func (e *WTPFallback) AppendBinary(b []byte) ([]byte, error) {
	if err := checkEnum("mode", e.Mode, 1, 2); err != nil {
		return b, err
	}
	return append(b, e.Mode), nil
}

// UnmarshalBinary decodes the value.
func (e *WTPFallback) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.Mode = c.enumU8("mode", 1, 2)
	return c.finish()
}

// WTP Frame Tunnel Mode bits (RFC 5415 §4.6.43).
const (
	TunnelNative      = 1 << 3 // N: native 802.11 frames tunneled
	Tunnel8023        = 1 << 2 // E: 802.3 frames tunneled
	TunnelLocalBridge = 1 << 1 // L: local bridging
)

// WTPFrameTunnelMode is the WTP Frame Tunnel Mode element (RFC 5415
// §4.6.43): the tunnel modes the WTP supports. Reserved bits are ignored on
// receipt and not kept.
type WTPFrameTunnelMode struct{ Modes uint8 }

// Type returns TypeWTPFrameTunnelMode.
func (*WTPFrameTunnelMode) Type() ElementType { return TypeWTPFrameTunnelMode }

// AppendBinary appends the value.
func (e *WTPFrameTunnelMode) AppendBinary(b []byte) ([]byte, error) {
	return append(b, e.Modes&(TunnelNative|Tunnel8023|TunnelLocalBridge)), nil
}

// UnmarshalBinary decodes the value.
func (e *WTPFrameTunnelMode) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.Modes = c.u8("modes") & (TunnelNative | Tunnel8023 | TunnelLocalBridge)
	return c.finish()
}

// WTP MAC types (RFC 5415 §4.6.44).
const (
	LocalMAC     = 0
	SplitMAC     = 1
	LocalOrSplit = 2
)

// WTPMACType is the WTP MAC Type element (RFC 5415 §4.6.44).
type WTPMACType struct{ MACType uint8 }

// Type returns TypeWTPMACType.
func (*WTPMACType) Type() ElementType { return TypeWTPMACType }

// AppendBinary appends the value.
func (e *WTPMACType) AppendBinary(b []byte) ([]byte, error) {
	if err := checkEnum("MAC type", e.MACType, 0, 2); err != nil {
		return b, err
	}
	return append(b, e.MACType), nil
}

// UnmarshalBinary decodes the value.
func (e *WTPMACType) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.MACType = c.enumU8("MAC type", 0, 2)
	return c.finish()
}

// WTPRadioID is the Radio ID that addresses the whole WTP in a Radio
// Administrative State element (RFC 5415 §4.6.33).
const WTPRadioID = 0xff

// RadioAdministrativeState is the Radio Administrative State element (RFC
// 5415 §4.6.33): Enabled or Disabled, for one radio or (WTPRadioID) the WTP.
type RadioAdministrativeState struct {
	RadioID    uint8
	AdminState uint8
}

// Type returns TypeRadioAdministrativeState.
func (*RadioAdministrativeState) Type() ElementType { return TypeRadioAdministrativeState }

// AppendBinary appends the value.
func (e *RadioAdministrativeState) AppendBinary(b []byte) ([]byte, error) {
	if err := checkEnum("admin state", e.AdminState, 1, 2); err != nil {
		return b, err
	}
	return append(b, e.RadioID, e.AdminState), nil
}

// UnmarshalBinary decodes the value.
func (e *RadioAdministrativeState) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.RadioID, e.AdminState = c.u8("radio ID"), c.enumU8("admin state", 1, 2)
	return c.finish()
}

// Radio Operational State causes (RFC 5415 §4.6.34).
const (
	CauseNormal          = 0
	CauseRadioFailure    = 1
	CauseSoftwareFailure = 2
	CauseAdminSet        = 3
)

// RadioOperationalState is the Radio Operational State element (RFC 5415
// §4.6.34): a radio's state (Enabled or Disabled) and why.
type RadioOperationalState struct {
	RadioID uint8
	State   uint8
	Cause   uint8
}

// Type returns TypeRadioOperationalState.
func (*RadioOperationalState) Type() ElementType { return TypeRadioOperationalState }

// AppendBinary appends the value.
func (e *RadioOperationalState) AppendBinary(b []byte) ([]byte, error) {
	if err := checkEnum("state", e.State, 1, 2); err != nil {
		return b, err
	}
	if err := checkEnum("cause", e.Cause, 0, 3); err != nil {
		return b, err
	}
	return append(b, e.RadioID, e.State, e.Cause), nil
}

// UnmarshalBinary decodes the value.
func (e *RadioOperationalState) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.RadioID, e.State, e.Cause = c.u8("radio ID"), c.enumU8("state", 1, 2), c.enumU8("cause", 0, 3)
	return c.finish()
}
