package wire

import (
	"fmt"
	"math"
)

// Element is one message element (RFC 5415 §4.6): a 16-bit type, a 16-bit
// length and a value. AppendBinary appends the value only; the message
// encoder writes type and length, computed from what was appended.
type Element interface {
	Type() ElementType
	// AppendBinary appends the encoded value to b, or returns b and an error
	// when the element holds a value the RFC cannot carry.
	AppendBinary(b []byte) ([]byte, error)
	// UnmarshalBinary decodes a value, copying what it keeps.
	UnmarshalBinary(value []byte) error
}

// RawElement is an element whose type this package does not decode. It
// re-encodes byte for byte.
type RawElement struct {
	ElementType ElementType
	Value       []byte
}

// Type returns the element's type as received.
func (e *RawElement) Type() ElementType { return e.ElementType }

// AppendBinary appends the value unchanged.
func (e *RawElement) AppendBinary(b []byte) ([]byte, error) {
	if len(e.Value) > math.MaxUint16 {
		return b, errorf("value", 0, ErrTooLong, "length %d exceeds 65535", len(e.Value))
	}
	return append(b, e.Value...), nil
}

// UnmarshalBinary keeps a copy of value.
func (e *RawElement) UnmarshalBinary(value []byte) error {
	e.Value = append([]byte(nil), value...)
	return nil
}

// newElement is the one dispatch from element type to Go type. It returns
// nil for types this package does not decode.
func newElement(t ElementType) Element {
	switch t {
	case TypeACDescriptor:
		return new(ACDescriptor)
	case TypeACIPv4List:
		return new(ACIPv4List)
	case TypeACIPv6List:
		return new(ACIPv6List)
	case TypeACName:
		return new(ACName)
	case TypeACNameWithPriority:
		return new(ACNameWithPriority)
	case TypeACTimestamp:
		return new(ACTimestamp)
	case TypeAddMACACLEntry:
		return new(AddMACACLEntry)
	case TypeAddStation:
		return new(AddStation)
	case TypeCAPWAPControlIPv4Address:
		return new(CAPWAPControlIPv4Address)
	case TypeCAPWAPControlIPv6Address:
		return new(CAPWAPControlIPv6Address)
	case TypeCAPWAPTimers:
		return new(CAPWAPTimers)
	case TypeDataTransferData:
		return new(DataTransferData)
	case TypeDataTransferMode:
		return new(DataTransferMode)
	case TypeDecryptionErrorReport:
		return new(DecryptionErrorReport)
	case TypeDecryptionErrorReportPeriod:
		return new(DecryptionErrorReportPeriod)
	case TypeDeleteMACACLEntry:
		return new(DeleteMACACLEntry)
	case TypeDeleteStation:
		return new(DeleteStation)
	case TypeDiscoveryType:
		return new(DiscoveryType)
	case TypeDuplicateIPv4Address:
		return new(DuplicateIPv4Address)
	case TypeDuplicateIPv6Address:
		return new(DuplicateIPv6Address)
	case TypeIdleTimeout:
		return new(IdleTimeout)
	case TypeImageData:
		return new(ImageData)
	case TypeImageIdentifier:
		return new(ImageIdentifier)
	case TypeImageInformation:
		return new(ImageInformation)
	case TypeInitiateDownload:
		return new(InitiateDownload)
	case TypeLocationData:
		return new(LocationData)
	case TypeMaximumMessageLength:
		return new(MaximumMessageLength)
	case TypeCAPWAPLocalIPv4Address:
		return new(CAPWAPLocalIPv4Address)
	case TypeRadioAdministrativeState:
		return new(RadioAdministrativeState)
	case TypeRadioOperationalState:
		return new(RadioOperationalState)
	case TypeResultCode:
		return new(ResultCodeElement)
	case TypeReturnedMessageElement:
		return new(ReturnedMessageElement)
	case TypeSessionID:
		return new(SessionID)
	case TypeStatisticsTimer:
		return new(StatisticsTimer)
	case TypeVendorSpecificPayload:
		return new(VendorSpecificPayload)
	case TypeWTPBoardData:
		return new(WTPBoardData)
	case TypeWTPDescriptor:
		return new(WTPDescriptor)
	case TypeWTPFallback:
		return new(WTPFallback)
	case TypeWTPFrameTunnelMode:
		return new(WTPFrameTunnelMode)
	case TypeWTPMACType:
		return new(WTPMACType)
	case TypeWTPName:
		return new(WTPName)
	case TypeWTPRadioStatistics:
		return new(WTPRadioStatistics)
	case TypeWTPRebootStatistics:
		return new(WTPRebootStatistics)
	case TypeWTPStaticIPAddressInformation:
		return new(WTPStaticIPAddressInformation)
	case TypeCAPWAPLocalIPv6Address:
		return new(CAPWAPLocalIPv6Address)
	case TypeCAPWAPTransportProtocol:
		return new(CAPWAPTransportProtocol)
	case TypeMTUDiscoveryPadding:
		return new(MTUDiscoveryPadding)
	case TypeECNSupport:
		return new(ECNSupport)
	case TypeIEEE80211AddWLAN:
		return new(IEEE80211AddWLAN)
	case TypeIEEE80211Antenna:
		return new(IEEE80211Antenna)
	case TypeIEEE80211AssignedWTPBSSID:
		return new(IEEE80211AssignedWTPBSSID)
	case TypeIEEE80211DeleteWLAN:
		return new(IEEE80211DeleteWLAN)
	case TypeIEEE80211DirectSequenceControl:
		return new(IEEE80211DirectSequenceControl)
	case TypeIEEE80211InformationElement:
		return new(IEEE80211InformationElement)
	case TypeIEEE80211MACOperation:
		return new(IEEE80211MACOperation)
	case TypeIEEE80211MICCountermeasures:
		return new(IEEE80211MICCountermeasures)
	case TypeIEEE80211MultiDomainCapability:
		return new(IEEE80211MultiDomainCapability)
	case TypeIEEE80211OFDMControl:
		return new(IEEE80211OFDMControl)
	case TypeIEEE80211RateSet:
		return new(IEEE80211RateSet)
	case TypeIEEE80211RSNAErrorReport:
		return new(IEEE80211RSNAErrorReport)
	case TypeIEEE80211Station:
		return new(IEEE80211Station)
	case TypeIEEE80211StationQoSProfile:
		return new(IEEE80211StationQoSProfile)
	case TypeIEEE80211StationSessionKey:
		return new(IEEE80211StationSessionKey)
	case TypeIEEE80211Statistics:
		return new(IEEE80211Statistics)
	case TypeIEEE80211SupportedRates:
		return new(IEEE80211SupportedRates)
	case TypeIEEE80211TxPower:
		return new(IEEE80211TxPower)
	case TypeIEEE80211TxPowerLevel:
		return new(IEEE80211TxPowerLevel)
	case TypeIEEE80211UpdateStationQoS:
		return new(IEEE80211UpdateStationQoS)
	case TypeIEEE80211UpdateWLAN:
		return new(IEEE80211UpdateWLAN)
	case TypeIEEE80211WTPQoS:
		return new(IEEE80211WTPQoS)
	case TypeIEEE80211WTPRadioConfiguration:
		return new(IEEE80211WTPRadioConfiguration)
	case TypeIEEE80211WTPRadioFailAlarm:
		return new(IEEE80211WTPRadioFailAlarm)
	case TypeIEEE80211WTPRadioInformation:
		return new(IEEE80211WTPRadioInformation)
	}
	return nil
}

// DecodeElement decodes one element value of type t: into its Go type when
// the package knows t (capstan's vendor elements included), else into a
// [*RawElement].
func DecodeElement(t ElementType, value []byte) (Element, error) {
	if t == TypeVendorSpecificPayload {
		return decodeVendor(value)
	}
	e := newElement(t)
	if e == nil {
		e = &RawElement{ElementType: t}
	}
	if err := e.UnmarshalBinary(value); err != nil {
		return nil, err
	}
	return e, nil
}

// elementHeaderLen is the Type and Length fields of every element.
const elementHeaderLen = 4

// decodeElements decodes a run of TLVs. base is the offset of b within the
// caller's buffer, for error offsets; result is the code to answer with.
func decodeElements(op string, b []byte, base int, result ResultCode) ([]Element, error) {
	var out []Element
	for off := 0; off < len(b); {
		if len(b)-off < elementHeaderLen {
			return nil, &Error{Op: op, Offset: base + off, Result: result, Field: "element header",
				Err: fmt.Errorf("%d bytes left, need 4: %w", len(b)-off, ErrTruncated)}
		}
		t := ElementType(uint16(b[off])<<8 | uint16(b[off+1]))
		n := int(b[off+2])<<8 | int(b[off+3])
		if t == 0 {
			return nil, &Error{Op: op, Offset: base + off, Result: result, Field: "type",
				Err: fmt.Errorf("element type 0 is reserved: %w", ErrInvalid)}
		}
		start := off + elementHeaderLen
		if len(b)-start < n {
			return nil, &Error{Op: op, Element: t, Offset: base + off + 2, Result: result, Field: "length",
				Err: fmt.Errorf("length %d, %d bytes left: %w", n, len(b)-start, ErrTruncated)}
		}
		e, err := DecodeElement(t, b[start:start+n])
		if err != nil {
			return nil, elementError(op, t, base+start, result, err)
		}
		out = append(out, e)
		off = start + n
	}
	return out, nil
}

// AppendElement appends one element as a TLV: type, length and value.
func AppendElement(b []byte, e Element) ([]byte, error) {
	start := len(b)
	b = appendU16(b, uint16(e.Type()))
	b = append(b, 0, 0)
	b, err := e.AppendBinary(b)
	if err != nil {
		return b[:start], elementError("encode element", e.Type(), 0, ResultSuccess, err)
	}
	n := len(b) - start - elementHeaderLen
	if n > math.MaxUint16 {
		return b[:start], &Error{Op: "encode element", Element: e.Type(), Field: "length",
			Err: fmt.Errorf("value length %d exceeds 65535: %w", n, ErrTooLong)}
	}
	b[start+2], b[start+3] = byte(n>>8), byte(n)
	return b, nil
}

// appendElements appends each element in order.
func appendElements(b []byte, es []Element) ([]byte, error) {
	var err error
	for _, e := range es {
		if b, err = AppendElement(b, e); err != nil {
			return b, err
		}
	}
	return b, nil
}
