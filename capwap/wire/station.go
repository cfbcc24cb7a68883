package wire

import (
	"fmt"
	"net"
)

// macList is the Num of Entries + (Length, MAC Address) array shared by the
// MAC ACL elements and the Decryption Error Report (RFC 5415 §4.6.7).
func appendMACList(b []byte, macs []net.HardwareAddr) ([]byte, error) {
	if err := checkLen("entries", len(macs), 1, 255); err != nil {
		return b, err
	}
	b = append(b, byte(len(macs)))
	var err error
	for _, m := range macs {
		if b, err = appendLMAC(b, "MAC", m); err != nil {
			return b, err
		}
	}
	return b, nil
}

func (c *cursor) macList() []net.HardwareAddr {
	off := c.off
	n := int(c.u8("num of entries"))
	if c.err == nil && n == 0 {
		c.err = &fieldError{field: "num of entries", offset: off, err: fmt.Errorf("no entries: %w", ErrInvalid)}
	}
	// Each entry is at least 7 bytes; n ≤ 255 bounds the allocation.
	out := make([]net.HardwareAddr, 0, n)
	for i := 0; i < n && c.err == nil; i++ {
		out = append(out, c.lmac("MAC"))
	}
	return out
}

// AddMACACLEntry is the Add MAC ACL Entry element (RFC 5415 §4.6.7): MACs the
// WTP must no longer serve.
type AddMACACLEntry struct{ MACs []net.HardwareAddr }

// Type returns TypeAddMACACLEntry.
func (*AddMACACLEntry) Type() ElementType { return TypeAddMACACLEntry }

// AppendBinary appends the value.
func (e *AddMACACLEntry) AppendBinary(b []byte) ([]byte, error) { return appendMACList(b, e.MACs) }

// UnmarshalBinary decodes the value.
func (e *AddMACACLEntry) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.MACs = c.macList()
	return c.finish()
}

// DeleteMACACLEntry is the Delete MAC ACL Entry element (RFC 5415 §4.6.19).
type DeleteMACACLEntry struct{ MACs []net.HardwareAddr }

// Type returns TypeDeleteMACACLEntry.
func (*DeleteMACACLEntry) Type() ElementType { return TypeDeleteMACACLEntry }

// AppendBinary appends the value.
func (e *DeleteMACACLEntry) AppendBinary(b []byte) ([]byte, error) { return appendMACList(b, e.MACs) }

// UnmarshalBinary decodes the value.
func (e *DeleteMACACLEntry) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.MACs = c.macList()
	return c.finish()
}

// DecryptionErrorReport is the Decryption Error Report element (RFC 5415
// §4.6.17): stations that caused decryption errors on a radio.
type DecryptionErrorReport struct {
	RadioID uint8
	MACs    []net.HardwareAddr
}

// Type returns TypeDecryptionErrorReport.
func (*DecryptionErrorReport) Type() ElementType { return TypeDecryptionErrorReport }

// AppendBinary appends the value.
func (e *DecryptionErrorReport) AppendBinary(b []byte) ([]byte, error) {
	return appendMACList(append(b, e.RadioID), e.MACs)
}

// UnmarshalBinary decodes the value.
func (e *DecryptionErrorReport) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.RadioID = c.u8("radio ID")
	e.MACs = c.macList()
	return c.finish()
}

// AddStation is the Add Station element (RFC 5415 §4.6.8): serve a station,
// optionally bridged locally onto a named VLAN (at most 512 bytes).
type AddStation struct {
	RadioID  uint8
	MAC      net.HardwareAddr
	VLANName string
}

// Type returns TypeAddStation.
func (*AddStation) Type() ElementType { return TypeAddStation }

// AppendBinary appends the value.
func (e *AddStation) AppendBinary(b []byte) ([]byte, error) {
	if err := checkStr("VLAN name", e.VLANName, 0, 512); err != nil {
		return b, err
	}
	b, err := appendLMAC(append(b, e.RadioID), "MAC", e.MAC)
	return append(b, e.VLANName...), err
}

// UnmarshalBinary decodes the value.
func (e *AddStation) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.RadioID, e.MAC = c.u8("radio ID"), c.lmac("MAC")
	e.VLANName = c.restStr(0, 512, "VLAN name")
	return c.finish()
}

// DeleteStation is the Delete Station element (RFC 5415 §4.6.20).
type DeleteStation struct {
	RadioID uint8
	MAC     net.HardwareAddr
}

// Type returns TypeDeleteStation.
func (*DeleteStation) Type() ElementType { return TypeDeleteStation }

// AppendBinary appends the value.
func (e *DeleteStation) AppendBinary(b []byte) ([]byte, error) {
	return appendLMAC(append(b, e.RadioID), "MAC", e.MAC)
}

// UnmarshalBinary decodes the value.
func (e *DeleteStation) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.RadioID, e.MAC = c.u8("radio ID"), c.lmac("MAC")
	return c.finish()
}
