package wire

import (
	"fmt"
)

// Board Data sub-element types (RFC 5415 §4.6.40).
const (
	BoardModelNumber  = 0
	BoardSerialNumber = 1
	BoardID           = 2
	BoardRevision     = 3
	BoardBaseMAC      = 4
)

// BoardDataItem is one Board Data sub-element; Value is at most 1024 bytes.
type BoardDataItem struct {
	Type  uint16
	Value []byte
}

// WTPBoardData is the WTP Board Data element (RFC 5415 §4.6.40): the
// hardware vendor (never 0) and the board's model, serial number and more.
type WTPBoardData struct {
	Vendor uint32
	Items  []BoardDataItem
}

// Type returns TypeWTPBoardData.
func (*WTPBoardData) Type() ElementType { return TypeWTPBoardData }

// AppendBinary appends the value.
func (e *WTPBoardData) AppendBinary(b []byte) ([]byte, error) {
	if e.Vendor == 0 {
		return b, errorf("vendor identifier", 0, ErrInvalid, "must not be zero")
	}
	b = appendU32(b, e.Vendor)
	for _, it := range e.Items {
		if len(it.Value) > 1024 {
			return b, errorf("board data", 0, ErrTooLong, "type %d value of %d bytes exceeds 1024", it.Type, len(it.Value))
		}
		b = append(appendU16(appendU16(b, it.Type), uint16(len(it.Value))), it.Value...)
	}
	return b, nil
}

// UnmarshalBinary decodes the value.
func (e *WTPBoardData) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.Vendor = c.u32("vendor identifier")
	if c.err == nil && e.Vendor == 0 {
		return errorf("vendor identifier", 0, ErrInvalid, "must not be zero")
	}
	e.Items = nil
	for c.err == nil && c.remaining() > 0 {
		it := BoardDataItem{Type: c.u16("board data type")}
		n := int(c.u16("board data length"))
		if c.err == nil && n > 1024 {
			c.fail("board data length", fmt.Errorf("%d exceeds 1024: %w", n, ErrTooLong))
		}
		it.Value = c.bytes(n, "board data value")
		e.Items = append(e.Items, it)
	}
	return c.finish()
}

// Item returns the value of the first sub-element of type t, or nil.
func (e *WTPBoardData) Item(t uint16) []byte {
	for _, it := range e.Items {
		if it.Type == t {
			return it.Value
		}
	}
	return nil
}

// WTP Descriptor sub-element types (RFC 5415 §4.6.41), used with vendor 0.
const (
	WTPInfoHardwareVersion = 0
	WTPInfoSoftwareVersion = 1
	WTPInfoBootVersion     = 2
	WTPInfoOtherSoftware   = 3
)

// EncryptionCapability is one Encryption sub-element of the WTP Descriptor.
type EncryptionCapability struct {
	WBID         uint8 // 5 bits
	Capabilities uint16
}

// WTPDescriptor is the WTP Descriptor element (RFC 5415 §4.6.41): radios,
// encryption capabilities per binding and hardware and software versions.
type WTPDescriptor struct {
	MaxRadios   uint8
	RadiosInUse uint8
	Encryption  []EncryptionCapability // 1..255
	Descriptors []Info
}

// Type returns TypeWTPDescriptor.
func (*WTPDescriptor) Type() ElementType { return TypeWTPDescriptor }

// AppendBinary appends the value.
func (e *WTPDescriptor) AppendBinary(b []byte) ([]byte, error) {
	if err := checkLen("encryption sub-elements", len(e.Encryption), 1, 255); err != nil {
		return b, err
	}
	b = append(b, e.MaxRadios, e.RadiosInUse, byte(len(e.Encryption)))
	for _, enc := range e.Encryption {
		if enc.WBID > 31 {
			return b, errorf("WBID", 0, ErrInvalid, "%d exceeds 31", enc.WBID)
		}
		b = appendU16(append(b, enc.WBID), enc.Capabilities)
	}
	return appendInfos(b, "descriptor", e.Descriptors)
}

// UnmarshalBinary decodes the value.
func (e *WTPDescriptor) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.MaxRadios, e.RadiosInUse = c.u8("max radios"), c.u8("radios in use")
	off := c.off
	n := int(c.u8("num encrypt"))
	if c.err == nil && n == 0 {
		c.err = &fieldError{field: "num encrypt", offset: off, err: fmt.Errorf("no encryption sub-element: %w", ErrInvalid)}
	}
	e.Encryption = make([]EncryptionCapability, 0, n)
	for i := 0; i < n && c.err == nil; i++ {
		e.Encryption = append(e.Encryption, EncryptionCapability{WBID: c.u8("WBID") & 0x1f, Capabilities: c.u16("encryption capabilities")})
	}
	e.Descriptors = c.infos("descriptor")
	return c.finish()
}

// InfoData returns the data of the first descriptor with vendor 0 and the
// given type, such as WTPInfoSoftwareVersion.
func (e *WTPDescriptor) InfoData(typ uint16) []byte { return infoData(e.Descriptors, typ) }

// WTPName is the WTP Name element (RFC 5415 §4.6.45): 1–512 bytes of UTF-8.
type WTPName struct{ Name string }

// Type returns TypeWTPName.
func (*WTPName) Type() ElementType { return TypeWTPName }

// AppendBinary appends the value.
func (e *WTPName) AppendBinary(b []byte) ([]byte, error) {
	if err := checkStr("name", e.Name, 1, 512); err != nil {
		return b, err
	}
	return append(b, e.Name...), nil
}

// UnmarshalBinary decodes the value.
func (e *WTPName) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.Name = c.restStr(1, 512, "name")
	return c.finish()
}

// LocationData is the Location Data element (RFC 5415 §4.6.30): 1–1024
// bytes of UTF-8 set by the administrator.
type LocationData struct{ Location string }

// Type returns TypeLocationData.
func (*LocationData) Type() ElementType { return TypeLocationData }

// AppendBinary appends the value.
func (e *LocationData) AppendBinary(b []byte) ([]byte, error) {
	if err := checkStr("location", e.Location, 1, 1024); err != nil {
		return b, err
	}
	return append(b, e.Location...), nil
}

// UnmarshalBinary decodes the value.
func (e *LocationData) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.Location = c.restStr(1, 1024, "location")
	return c.finish()
}

// WTPRadioStatistics is the WTP Radio Statistics element (RFC 5415 §4.6.46).
type WTPRadioStatistics struct {
	RadioID             uint8
	LastFailureType     uint8 // 0 not supported, 1 software, 2 hardware, 3 other, 255 unknown
	ResetCount          uint16
	SWFailureCount      uint16
	HWFailureCount      uint16
	OtherFailureCount   uint16
	UnknownFailureCount uint16
	ConfigUpdateCount   uint16
	ChannelChangeCount  uint16
	BandChangeCount     uint16
	CurrentNoiseFloor   int16 // dBm
}

// Type returns TypeWTPRadioStatistics.
func (*WTPRadioStatistics) Type() ElementType { return TypeWTPRadioStatistics }

// AppendBinary appends the value.
func (e *WTPRadioStatistics) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, e.RadioID, e.LastFailureType)
	for _, v := range []uint16{e.ResetCount, e.SWFailureCount, e.HWFailureCount, e.OtherFailureCount,
		e.UnknownFailureCount, e.ConfigUpdateCount, e.ChannelChangeCount, e.BandChangeCount, uint16(e.CurrentNoiseFloor)} {
		b = appendU16(b, v)
	}
	return b, nil
}

// UnmarshalBinary decodes the value.
func (e *WTPRadioStatistics) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	*e = WTPRadioStatistics{RadioID: c.u8("radio ID"), LastFailureType: c.u8("last failure type"),
		ResetCount: c.u16("reset count"), SWFailureCount: c.u16("SW failure count"),
		HWFailureCount: c.u16("HW failure count"), OtherFailureCount: c.u16("other failure count"),
		UnknownFailureCount: c.u16("unknown failure count"), ConfigUpdateCount: c.u16("config update count"),
		ChannelChangeCount: c.u16("channel change count"), BandChangeCount: c.u16("band change count"),
		CurrentNoiseFloor: int16(c.u16("current noise floor"))}
	return c.finish()
}

// WTPRebootStatistics is the WTP Reboot Statistics element (RFC 5415
// §4.6.47). 65535 in the first two counts means "not available".
type WTPRebootStatistics struct {
	RebootCount         uint16
	ACInitiatedCount    uint16
	LinkFailureCount    uint16
	SWFailureCount      uint16
	HWFailureCount      uint16
	OtherFailureCount   uint16
	UnknownFailureCount uint16
	LastFailureType     uint8 // 0 not supported, 1 AC initiated, 2 link, 3 SW, 4 HW, 5 other, 255 unknown
}

// Type returns TypeWTPRebootStatistics.
func (*WTPRebootStatistics) Type() ElementType { return TypeWTPRebootStatistics }

// AppendBinary appends the value.
func (e *WTPRebootStatistics) AppendBinary(b []byte) ([]byte, error) {
	for _, v := range []uint16{e.RebootCount, e.ACInitiatedCount, e.LinkFailureCount, e.SWFailureCount,
		e.HWFailureCount, e.OtherFailureCount, e.UnknownFailureCount} {
		b = appendU16(b, v)
	}
	return append(b, e.LastFailureType), nil
}

// UnmarshalBinary decodes the value.
func (e *WTPRebootStatistics) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	*e = WTPRebootStatistics{RebootCount: c.u16("reboot count"), ACInitiatedCount: c.u16("AC initiated count"),
		LinkFailureCount: c.u16("link failure count"), SWFailureCount: c.u16("SW failure count"),
		HWFailureCount: c.u16("HW failure count"), OtherFailureCount: c.u16("other failure count"),
		UnknownFailureCount: c.u16("unknown failure count"), LastFailureType: c.u8("last failure type")}
	return c.finish()
}
