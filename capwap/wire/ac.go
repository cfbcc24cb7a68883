package wire

import (
	"fmt"
	"net/netip"
)

// Information sub-element types of the AC Descriptor (RFC 5415 §4.6.1),
// used with vendor identifier 0.
const (
	ACInfoHardwareVersion = 4
	ACInfoSoftwareVersion = 5
)

// AC Descriptor Security bits and DTLS Policy bits (RFC 5415 §4.6.1).
const (
	ACSecurityPSK  = 1 << 2 // S: pre-shared secret
	ACSecurityX509 = 1 << 1 // X: X.509 certificates

	ACDTLSDataChannel  = 1 << 2 // D: DTLS-enabled data channel supported
	ACClearDataChannel = 1 << 1 // C: clear text data channel supported
)

// R-MAC field values of the AC Descriptor (RFC 5415 §4.6.1).
const (
	RMACSupported    = 1
	RMACNotSupported = 2
)

// Info is a vendor-qualified sub-element: the AC Information sub-element of
// the AC Descriptor and the Descriptor sub-element of the WTP Descriptor
// (RFC 5415 §4.6.1, §4.6.41). Data is at most 1024 bytes.
type Info struct {
	Vendor uint32
	Type   uint16
	Data   []byte
}

func appendInfos(b []byte, field string, infos []Info) ([]byte, error) {
	for _, in := range infos {
		if len(in.Data) > 1024 {
			return b, errorf(field, 0, ErrTooLong, "type %d data of %d bytes exceeds 1024", in.Type, len(in.Data))
		}
		b = appendU32(b, in.Vendor)
		b = appendU16(b, in.Type)
		b = appendU16(b, uint16(len(in.Data)))
		b = append(b, in.Data...)
	}
	return b, nil
}

func (c *cursor) infos(field string) []Info {
	var out []Info
	for c.err == nil && c.remaining() > 0 {
		in := Info{Vendor: c.u32(field + " vendor"), Type: c.u16(field + " type")}
		n := int(c.u16(field + " length"))
		if c.err == nil && n > 1024 {
			c.fail(field, fmt.Errorf("data of %d bytes exceeds 1024: %w", n, ErrTooLong))
		}
		in.Data = c.bytes(n, field+" data")
		out = append(out, in)
	}
	return out
}

// ACDescriptor is the AC Descriptor element (RFC 5415 §4.6.1): the AC's load,
// limits, security and DTLS policy, and its hardware and software versions.
type ACDescriptor struct {
	Stations, StationLimit uint16
	ActiveWTPs, MaxWTPs    uint16
	Security               uint8 // ACSecurityPSK | ACSecurityX509
	RMACField              uint8 // RMACSupported or RMACNotSupported
	DTLSPolicy             uint8 // ACDTLSDataChannel | ACClearDataChannel
	Info                   []Info
}

// Type returns TypeACDescriptor.
func (*ACDescriptor) Type() ElementType { return TypeACDescriptor }

// AppendBinary appends the value.
func (e *ACDescriptor) AppendBinary(b []byte) ([]byte, error) {
	b = appendU16(b, e.Stations)
	b = appendU16(b, e.StationLimit)
	b = appendU16(b, e.ActiveWTPs)
	b = appendU16(b, e.MaxWTPs)
	b = append(b, e.Security, e.RMACField, 0, e.DTLSPolicy)
	return appendInfos(b, "AC information", e.Info)
}

// UnmarshalBinary decodes the value.
func (e *ACDescriptor) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	*e = ACDescriptor{Stations: c.u16("stations"), StationLimit: c.u16("limit"),
		ActiveWTPs: c.u16("active WTPs"), MaxWTPs: c.u16("max WTPs"),
		Security: c.u8("security"), RMACField: c.u8("R-MAC field")}
	c.u8("reserved")
	e.DTLSPolicy = c.u8("DTLS policy")
	e.Info = c.infos("AC information")
	return c.finish()
}

// InfoData returns the data of the first sub-element with vendor 0 and the
// given type, such as ACInfoSoftwareVersion.
func (e *ACDescriptor) InfoData(typ uint16) []byte { return infoData(e.Info, typ) }

func infoData(infos []Info, typ uint16) []byte {
	for _, in := range infos {
		if in.Vendor == 0 && in.Type == typ {
			return in.Data
		}
	}
	return nil
}

// maxACList is the most addresses an AC IPv4/IPv6 List carries (§4.6.2).
const maxACList = 1024

// ACIPv4List is the AC IPv4 List element (RFC 5415 §4.6.2): ACs a WTP may join.
type ACIPv4List struct{ Addresses []netip.Addr }

// Type returns TypeACIPv4List.
func (*ACIPv4List) Type() ElementType { return TypeACIPv4List }

// AppendBinary appends the value.
func (e *ACIPv4List) AppendBinary(b []byte) ([]byte, error) {
	if err := checkLen("addresses", len(e.Addresses), 1, maxACList); err != nil {
		return b, err
	}
	var err error
	for _, a := range e.Addresses {
		if b, err = appendIPv4(b, "address", a); err != nil {
			return b, err
		}
	}
	return b, nil
}

// UnmarshalBinary decodes the value.
func (e *ACIPv4List) UnmarshalBinary(v []byte) error {
	if len(v) == 0 || len(v)%4 != 0 || len(v)/4 > maxACList {
		return errorf("addresses", 0, ErrInvalid, "length %d is not 4..4096 in steps of 4", len(v))
	}
	c := cursor{b: v}
	e.Addresses = make([]netip.Addr, 0, len(v)/4)
	for c.remaining() > 0 {
		e.Addresses = append(e.Addresses, c.ipv4("address"))
	}
	return c.finish()
}

// ACIPv6List is the AC IPv6 List element (RFC 5415 §4.6.3).
type ACIPv6List struct{ Addresses []netip.Addr }

// Type returns TypeACIPv6List.
func (*ACIPv6List) Type() ElementType { return TypeACIPv6List }

// AppendBinary appends the value.
func (e *ACIPv6List) AppendBinary(b []byte) ([]byte, error) {
	if err := checkLen("addresses", len(e.Addresses), 1, maxACList); err != nil {
		return b, err
	}
	var err error
	for _, a := range e.Addresses {
		if b, err = appendIPv6(b, "address", a); err != nil {
			return b, err
		}
	}
	return b, nil
}

// UnmarshalBinary decodes the value.
func (e *ACIPv6List) UnmarshalBinary(v []byte) error {
	if len(v) == 0 || len(v)%16 != 0 || len(v)/16 > maxACList {
		return errorf("addresses", 0, ErrInvalid, "length %d is not 16..16384 in steps of 16", len(v))
	}
	c := cursor{b: v}
	e.Addresses = make([]netip.Addr, 0, len(v)/16)
	for c.remaining() > 0 {
		e.Addresses = append(e.Addresses, c.ipv6("address"))
	}
	return c.finish()
}

// ACName is the AC Name element (RFC 5415 §4.6.4): 1–512 bytes of UTF-8.
type ACName struct{ Name string }

// Type returns TypeACName.
func (*ACName) Type() ElementType { return TypeACName }

// AppendBinary appends the value.
func (e *ACName) AppendBinary(b []byte) ([]byte, error) {
	if err := checkStr("name", e.Name, 1, 512); err != nil {
		return b, err
	}
	return append(b, e.Name...), nil
}

// UnmarshalBinary decodes the value.
func (e *ACName) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.Name = c.restStr(1, 512, "name")
	return c.finish()
}

// ACNameWithPriority is the AC Name with Priority element (RFC 5415
// §4.6.5): a preferred AC, priority 1 being the primary.
type ACNameWithPriority struct {
	Priority uint8
	Name     string
}

// Type returns TypeACNameWithPriority.
func (*ACNameWithPriority) Type() ElementType { return TypeACNameWithPriority }

// AppendBinary appends the value.
func (e *ACNameWithPriority) AppendBinary(b []byte) ([]byte, error) {
	if e.Priority == 0 {
		return b, errorf("priority", 0, ErrInvalid, "priority 0; 1 is the primary AC")
	}
	if err := checkStr("name", e.Name, 1, 512); err != nil {
		return b, err
	}
	return append(append(b, e.Priority), e.Name...), nil
}

// UnmarshalBinary decodes the value.
func (e *ACNameWithPriority) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.Priority = c.u8("priority")
	if c.err == nil && e.Priority == 0 {
		return errorf("priority", 0, ErrInvalid, "priority 0; 1 is the primary AC")
	}
	e.Name = c.restStr(1, 512, "name")
	return c.finish()
}

// ACTimestamp is the AC Timestamp element (RFC 5415 §4.6.6): the most
// significant 32 bits of the AC's NTP time (seconds since 1900).
type ACTimestamp struct{ Timestamp uint32 }

// Type returns TypeACTimestamp.
func (*ACTimestamp) Type() ElementType { return TypeACTimestamp }

// AppendBinary appends the value.
func (e *ACTimestamp) AppendBinary(b []byte) ([]byte, error) { return appendU32(b, e.Timestamp), nil }

// UnmarshalBinary decodes the value.
func (e *ACTimestamp) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.Timestamp = c.u32("timestamp")
	return c.finish()
}
