package wire

// MaxVendorData is the most data a Vendor Specific Payload carries (RFC
// 5415 §4.6.39).
const MaxVendorData = 2048

// vendorHeaderLen is Vendor Identifier (4) and Element ID (2).
const vendorHeaderLen = 6

// VendorSpecificPayload is the Vendor Specific Payload element (RFC 5415
// §4.6.39) of a vendor or element ID this package does not decode; it
// re-encodes byte for byte.
type VendorSpecificPayload struct {
	Vendor    uint32
	ElementID uint16
	Data      []byte
}

// Type returns TypeVendorSpecificPayload.
func (*VendorSpecificPayload) Type() ElementType { return TypeVendorSpecificPayload }

// AppendBinary appends the value.
func (e *VendorSpecificPayload) AppendBinary(b []byte) ([]byte, error) {
	if err := checkLen("data", len(e.Data), 1, MaxVendorData); err != nil {
		return b, err
	}
	return append(appendU16(appendU32(b, e.Vendor), e.ElementID), e.Data...), nil
}

// UnmarshalBinary decodes the value.
func (e *VendorSpecificPayload) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.Vendor, e.ElementID = c.u32("vendor identifier"), c.u16("element ID")
	if c.err == nil {
		if err := checkLen("data", c.remaining(), 1, MaxVendorData); err != nil {
			return err
		}
	}
	e.Data = c.rest()
	return c.finish()
}

// VendorElement is a vendor-specific element this package decodes: its
// Type is TypeVendorSpecificPayload and its value starts with Vendor
// Identifier and Element ID.
type VendorElement interface {
	Element
	VendorID() uint32
	VendorElementID() uint16
}

// decodeVendor decodes a Vendor Specific Payload value into capstan's own
// element type when the vendor is capstan and the ID is known, else into a
// [*VendorSpecificPayload].
func decodeVendor(v []byte) (Element, error) {
	raw := new(VendorSpecificPayload)
	if err := raw.UnmarshalBinary(v); err != nil {
		return nil, err
	}
	if raw.Vendor == EnterpriseNumber {
		if e := newCapstanElement(raw.ElementID); e != nil {
			if err := unmarshalAttrs(raw.Data, e, vendorHeaderLen); err != nil {
				return nil, err
			}
			return e, nil
		}
	}
	return raw, nil
}

// capstanFormat is the version of the attribute format of capstan's
// vendor elements.
const capstanFormat = 1

// appendCapstan encodes a capstan vendor element: vendor header, then its
// fields as attributes.
func appendCapstan(b []byte, id uint16, e any) ([]byte, error) {
	start := len(b)
	b = appendU16(appendU32(b, EnterpriseNumber), id)
	// Attribute 0 is the format version, always present: it keeps the data
	// non-empty (RFC 5415 §4.6.39 wants at least one byte) and lets a later
	// format announce itself. Decoders skip it like any unknown attribute.
	b = append(b, 0, 0, 0, 1, capstanFormat)
	b, err := marshalAttrs(b, e)
	if err != nil {
		return b[:start], err
	}
	if n := len(b) - start - vendorHeaderLen; n < 1 || n > MaxVendorData {
		return b[:start], errorf("data", 0, ErrTooLong, "vendor element %d carries %d bytes, want 1..%d", id, n, MaxVendorData)
	}
	return b, nil
}

// unmarshalCapstan decodes a capstan vendor element value of the given ID.
func unmarshalCapstan(v []byte, id uint16, e any) error {
	raw := new(VendorSpecificPayload)
	if err := raw.UnmarshalBinary(v); err != nil {
		return err
	}
	if raw.Vendor != EnterpriseNumber || raw.ElementID != id {
		return errorf("vendor header", 0, ErrInvalid, "vendor %d element %d, want %d element %d",
			raw.Vendor, raw.ElementID, EnterpriseNumber, id)
	}
	return unmarshalAttrs(raw.Data, e, vendorHeaderLen)
}
