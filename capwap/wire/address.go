package wire

import (
	"net"
	"net/netip"
)

// CAPWAPControlIPv4Address is the CAPWAP Control IPv4 Address element (RFC
// 5415 §4.6.9): one AC interface and the WTPs attached to it.
type CAPWAPControlIPv4Address struct {
	Address  netip.Addr
	WTPCount uint16
}

// Type returns TypeCAPWAPControlIPv4Address.
func (*CAPWAPControlIPv4Address) Type() ElementType { return TypeCAPWAPControlIPv4Address }

// AppendBinary appends the value.
func (e *CAPWAPControlIPv4Address) AppendBinary(b []byte) ([]byte, error) {
	b, err := appendIPv4(b, "address", e.Address)
	return appendU16(b, e.WTPCount), err
}

// UnmarshalBinary decodes the value.
func (e *CAPWAPControlIPv4Address) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.Address, e.WTPCount = c.ipv4("address"), c.u16("WTP count")
	return c.finish()
}

// CAPWAPControlIPv6Address is the CAPWAP Control IPv6 Address element (RFC
// 5415 §4.6.10).
type CAPWAPControlIPv6Address struct {
	Address  netip.Addr
	WTPCount uint16
}

// Type returns TypeCAPWAPControlIPv6Address.
func (*CAPWAPControlIPv6Address) Type() ElementType { return TypeCAPWAPControlIPv6Address }

// AppendBinary appends the value.
func (e *CAPWAPControlIPv6Address) AppendBinary(b []byte) ([]byte, error) {
	b, err := appendIPv6(b, "address", e.Address)
	return appendU16(b, e.WTPCount), err
}

// UnmarshalBinary decodes the value.
func (e *CAPWAPControlIPv6Address) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.Address, e.WTPCount = c.ipv6("address"), c.u16("WTP count")
	return c.finish()
}

// CAPWAPLocalIPv4Address is the CAPWAP Local IPv4 Address element (RFC 5415
// §4.6.11): the sender's own address, for middlebox (NAT) detection.
type CAPWAPLocalIPv4Address struct{ Address netip.Addr }

// Type returns TypeCAPWAPLocalIPv4Address.
func (*CAPWAPLocalIPv4Address) Type() ElementType { return TypeCAPWAPLocalIPv4Address }

// AppendBinary appends the value.
func (e *CAPWAPLocalIPv4Address) AppendBinary(b []byte) ([]byte, error) {
	return appendIPv4(b, "address", e.Address)
}

// UnmarshalBinary decodes the value.
func (e *CAPWAPLocalIPv4Address) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.Address = c.ipv4("address")
	return c.finish()
}

// CAPWAPLocalIPv6Address is the CAPWAP Local IPv6 Address element (RFC 5415
// §4.6.12).
type CAPWAPLocalIPv6Address struct{ Address netip.Addr }

// Type returns TypeCAPWAPLocalIPv6Address.
func (*CAPWAPLocalIPv6Address) Type() ElementType { return TypeCAPWAPLocalIPv6Address }

// AppendBinary appends the value.
func (e *CAPWAPLocalIPv6Address) AppendBinary(b []byte) ([]byte, error) {
	return appendIPv6(b, "address", e.Address)
}

// UnmarshalBinary decodes the value.
func (e *CAPWAPLocalIPv6Address) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.Address = c.ipv6("address")
	return c.finish()
}

// DuplicateIPv4Address is the Duplicate IPv4 Address element (RFC 5415
// §4.6.22): Status 1 when another device uses the WTP's address, 0 when
// cleared, with that device's MAC.
type DuplicateIPv4Address struct {
	Address netip.Addr
	Status  uint8
	MAC     net.HardwareAddr
}

// Type returns TypeDuplicateIPv4Address.
func (*DuplicateIPv4Address) Type() ElementType { return TypeDuplicateIPv4Address }

// AppendBinary appends the value.
func (e *DuplicateIPv4Address) AppendBinary(b []byte) ([]byte, error) {
	b, err := appendIPv4(b, "address", e.Address)
	if err != nil {
		return b, err
	}
	return appendLMAC(append(b, e.Status), "MAC", e.MAC)
}

// UnmarshalBinary decodes the value.
func (e *DuplicateIPv4Address) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.Address, e.Status, e.MAC = c.ipv4("address"), c.u8("status"), c.lmac("MAC")
	return c.finish()
}

// DuplicateIPv6Address is the Duplicate IPv6 Address element (RFC 5415
// §4.6.23).
type DuplicateIPv6Address struct {
	Address netip.Addr
	Status  uint8
	MAC     net.HardwareAddr
}

// Type returns TypeDuplicateIPv6Address.
func (*DuplicateIPv6Address) Type() ElementType { return TypeDuplicateIPv6Address }

// AppendBinary appends the value.
func (e *DuplicateIPv6Address) AppendBinary(b []byte) ([]byte, error) {
	b, err := appendIPv6(b, "address", e.Address)
	if err != nil {
		return b, err
	}
	return appendLMAC(append(b, e.Status), "MAC", e.MAC)
}

// UnmarshalBinary decodes the value.
func (e *DuplicateIPv6Address) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.Address, e.Status, e.MAC = c.ipv6("address"), c.u8("status"), c.lmac("MAC")
	return c.finish()
}

// WTPStaticIPAddressInformation is the WTP Static IP Address Information
// element (RFC 5415 §4.6.48): Static true sets the address, false clears it.
type WTPStaticIPAddressInformation struct {
	Address, Netmask, Gateway netip.Addr
	Static                    bool
}

// Type returns TypeWTPStaticIPAddressInformation.
func (*WTPStaticIPAddressInformation) Type() ElementType { return TypeWTPStaticIPAddressInformation }

// AppendBinary appends the value. Unset addresses encode as 0.0.0.0, which
// the RFC allows when Static is false.
func (e *WTPStaticIPAddressInformation) AppendBinary(b []byte) ([]byte, error) {
	var err error
	for _, f := range []struct {
		name string
		a    netip.Addr
	}{{"address", e.Address}, {"netmask", e.Netmask}, {"gateway", e.Gateway}} {
		a := f.a
		if !a.IsValid() && !e.Static {
			a = netip.IPv4Unspecified()
		}
		if b, err = appendIPv4(b, f.name, a); err != nil {
			return b, err
		}
	}
	return append(b, boolByte(e.Static)), nil
}

// UnmarshalBinary decodes the value.
func (e *WTPStaticIPAddressInformation) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.Address, e.Netmask, e.Gateway = c.ipv4("address"), c.ipv4("netmask"), c.ipv4("gateway")
	e.Static = c.boolean("static")
	if !e.Static { // "only valid if the static field is set": 0.0.0.0 means unset
		for _, a := range []*netip.Addr{&e.Address, &e.Netmask, &e.Gateway} {
			if a.IsUnspecified() {
				*a = netip.Addr{}
			}
		}
	}
	return c.finish()
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}
