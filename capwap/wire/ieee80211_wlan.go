package wire

import (
	"fmt"
	"net"
)

// WLAN IDs: RFC 5416 §6.1 allows 1–16. capstan runs up to 33 BSSes per
// radio (a master and 32 virtual), so the codec accepts 1–255 and leaves the
// limit to the provisioning layer; only 0 is refused.
func checkWLANID(id uint8) error {
	if id == 0 {
		return errorf("WLAN ID", 0, ErrInvalid, "WLAN ID 0; IDs start at 1")
	}
	return nil
}

func (c *cursor) wlanID() uint8 {
	off := c.off
	v := c.u8("WLAN ID")
	if c.err == nil && v == 0 {
		c.err = &fieldError{field: "WLAN ID", offset: off, err: fmt.Errorf("WLAN ID 0; IDs start at 1: %w", ErrInvalid)}
	}
	return v
}

// Key Status values of Add WLAN and Update WLAN (RFC 5416 §6.1).
const (
	KeyStatusPerStation    = 0 // keys per station (RSN IE present)
	KeyStatusStaticWEP     = 1 // shared WEP key
	KeyStatusRekeyBegin    = 2 // group rekeying begins
	KeyStatusRekeyComplete = 3 // group rekeying done
)

// Add WLAN Auth Type, MAC Mode and Tunnel Mode values (RFC 5416 §6.1).
const (
	AuthOpenSystem = 0
	AuthSharedKey  = 1

	MACModeLocal = 0
	MACModeSplit = 1

	TunnelModeLocalBridge = 0
	TunnelMode8023        = 1
	TunnelMode80211       = 2
)

// IEEE80211AddWLAN is the IEEE 802.11 Add WLAN element (RFC 5416 §6.1).
type IEEE80211AddWLAN struct {
	RadioID    uint8
	WLANID     uint8
	Capability uint16 // 802.11 capability bits E|I|C|F|P|S|B|A|M|Q|T|D|V|O|K|L
	KeyIndex   uint8
	KeyStatus  uint8
	Key        []byte
	GroupTSC   uint64 // 48 bits
	QoS        uint8  // 0 best effort, 1 video, 2 voice, 3 background
	AuthType   uint8
	MACMode    uint8
	TunnelMode uint8
	// AdvertiseSSID is the RFC's "Suppress SSID" field, whose 1 means the
	// SSID is advertised and 0 hides it; the name says what true does.
	AdvertiseSSID bool
	SSID          []byte
}

// Type returns TypeIEEE80211AddWLAN.
func (*IEEE80211AddWLAN) Type() ElementType { return TypeIEEE80211AddWLAN }

// AppendBinary appends the value.
func (e *IEEE80211AddWLAN) AppendBinary(b []byte) ([]byte, error) {
	switch {
	case checkWLANID(e.WLANID) != nil:
		return b, checkWLANID(e.WLANID)
	case e.KeyStatus > 3:
		return b, errorf("key status", 0, ErrInvalid, "value %d outside 0..3", e.KeyStatus)
	case len(e.Key) > 0xffff:
		return b, errorf("key", 0, ErrTooLong, "length %d", len(e.Key))
	case e.GroupTSC > 1<<48-1:
		return b, errorf("group TSC", 0, ErrInvalid, "exceeds 48 bits")
	case e.QoS > 3:
		return b, errorf("QoS", 0, ErrInvalid, "value %d outside 0..3", e.QoS)
	case e.AuthType > 1:
		return b, errorf("auth type", 0, ErrInvalid, "value %d outside 0..1", e.AuthType)
	case e.MACMode > 1:
		return b, errorf("MAC mode", 0, ErrInvalid, "value %d outside 0..1", e.MACMode)
	case e.TunnelMode > 2:
		return b, errorf("tunnel mode", 0, ErrInvalid, "value %d outside 0..2", e.TunnelMode)
	case len(e.SSID) < 1 || len(e.SSID) > 32:
		return b, errorf("SSID", 0, ErrInvalid, "length %d outside 1..32", len(e.SSID))
	}
	b = appendU16(append(b, e.RadioID, e.WLANID), e.Capability)
	b = append(appendU16(append(b, e.KeyIndex, e.KeyStatus), uint16(len(e.Key))), e.Key...)
	b = appendU48(b, e.GroupTSC)
	b = append(b, e.QoS, e.AuthType, e.MACMode, e.TunnelMode, boolByte(e.AdvertiseSSID))
	return append(b, e.SSID...), nil
}

// UnmarshalBinary decodes the value.
func (e *IEEE80211AddWLAN) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	*e = IEEE80211AddWLAN{RadioID: c.u8("radio ID"), WLANID: c.wlanID(), Capability: c.u16("capability"),
		KeyIndex: c.u8("key index"), KeyStatus: c.enumU8("key status", 0, 3)}
	e.Key = c.bytes(int(c.u16("key length")), "key")
	e.GroupTSC = c.u48("group TSC")
	e.QoS, e.AuthType = c.enumU8("QoS", 0, 3), c.enumU8("auth type", 0, 1)
	e.MACMode, e.TunnelMode = c.enumU8("MAC mode", 0, 1), c.enumU8("tunnel mode", 0, 2)
	e.AdvertiseSSID = c.boolean("suppress SSID")
	if c.err == nil && (c.remaining() < 1 || c.remaining() > 32) {
		c.fail("SSID", fmt.Errorf("length %d outside 1..32: %w", c.remaining(), ErrInvalid))
	}
	e.SSID = c.rest()
	return c.finish()
}

// IEEE80211UpdateWLAN is the IEEE 802.11 Update WLAN element (RFC 5416 §6.21).
type IEEE80211UpdateWLAN struct {
	RadioID    uint8
	WLANID     uint8
	Capability uint16
	KeyIndex   uint8
	KeyStatus  uint8
	Key        []byte
}

// Type returns TypeIEEE80211UpdateWLAN.
func (*IEEE80211UpdateWLAN) Type() ElementType { return TypeIEEE80211UpdateWLAN }

// AppendBinary appends the value.
func (e *IEEE80211UpdateWLAN) AppendBinary(b []byte) ([]byte, error) {
	if err := checkWLANID(e.WLANID); err != nil {
		return b, err
	}
	if e.KeyStatus > 3 {
		return b, errorf("key status", 0, ErrInvalid, "value %d outside 0..3", e.KeyStatus)
	}
	if len(e.Key) > 0xffff {
		return b, errorf("key", 0, ErrTooLong, "length %d", len(e.Key))
	}
	b = appendU16(append(b, e.RadioID, e.WLANID), e.Capability)
	return append(appendU16(append(b, e.KeyIndex, e.KeyStatus), uint16(len(e.Key))), e.Key...), nil
}

// UnmarshalBinary decodes the value.
func (e *IEEE80211UpdateWLAN) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	*e = IEEE80211UpdateWLAN{RadioID: c.u8("radio ID"), WLANID: c.wlanID(), Capability: c.u16("capability"),
		KeyIndex: c.u8("key index"), KeyStatus: c.enumU8("key status", 0, 3)}
	e.Key = c.bytes(int(c.u16("key length")), "key")
	return c.finish()
}

// IEEE80211DeleteWLAN is the IEEE 802.11 Delete WLAN element (RFC 5416 §6.4).
type IEEE80211DeleteWLAN struct{ RadioID, WLANID uint8 }

// Type returns TypeIEEE80211DeleteWLAN.
func (*IEEE80211DeleteWLAN) Type() ElementType { return TypeIEEE80211DeleteWLAN }

// AppendBinary appends the value.
func (e *IEEE80211DeleteWLAN) AppendBinary(b []byte) ([]byte, error) {
	if err := checkWLANID(e.WLANID); err != nil {
		return b, err
	}
	return append(b, e.RadioID, e.WLANID), nil
}

// UnmarshalBinary decodes the value.
func (e *IEEE80211DeleteWLAN) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.RadioID, e.WLANID = c.u8("radio ID"), c.wlanID()
	return c.finish()
}

// IEEE80211AssignedWTPBSSID is the IEEE 802.11 Assigned WTP BSSID element
// (RFC 5416 §6.3): the BSSID the WTP gave a new WLAN.
type IEEE80211AssignedWTPBSSID struct {
	RadioID, WLANID uint8
	BSSID           net.HardwareAddr // 6 bytes
}

// Type returns TypeIEEE80211AssignedWTPBSSID.
func (*IEEE80211AssignedWTPBSSID) Type() ElementType { return TypeIEEE80211AssignedWTPBSSID }

// AppendBinary appends the value.
func (e *IEEE80211AssignedWTPBSSID) AppendBinary(b []byte) ([]byte, error) {
	if err := checkWLANID(e.WLANID); err != nil {
		return b, err
	}
	return appendMAC48(append(b, e.RadioID, e.WLANID), "BSSID", e.BSSID)
}

// UnmarshalBinary decodes the value.
func (e *IEEE80211AssignedWTPBSSID) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.RadioID, e.WLANID, e.BSSID = c.u8("radio ID"), c.wlanID(), c.mac(6, "BSSID")
	return c.finish()
}

// Information Element flags (RFC 5416 §6.6).
const (
	IEInBeacon        = 1 << 7 // B
	IEInProbeResponse = 1 << 6 // P
)

// IEEE80211InformationElement is the IEEE 802.11 Information Element
// element (RFC 5416 §6.6): a raw 802.11 IE (ID, length, body) for a WLAN's
// beacons and/or probe responses.
type IEEE80211InformationElement struct {
	RadioID, WLANID uint8
	Flags           uint8 // IEInBeacon | IEInProbeResponse
	IE              []byte
}

// Type returns TypeIEEE80211InformationElement.
func (*IEEE80211InformationElement) Type() ElementType { return TypeIEEE80211InformationElement }

// AppendBinary appends the value.
func (e *IEEE80211InformationElement) AppendBinary(b []byte) ([]byte, error) {
	if err := checkIE(e.IE); err != nil {
		return b, err
	}
	return append(append(b, e.RadioID, e.WLANID, e.Flags&(IEInBeacon|IEInProbeResponse)), e.IE...), nil
}

// UnmarshalBinary decodes the value. WLAN ID 0 is accepted here: RFC 5416
// §5 sends radio-wide IEs (e.g. in Configuration Status) with no WLAN.
func (e *IEEE80211InformationElement) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.RadioID, e.WLANID = c.u8("radio ID"), c.u8("WLAN ID")
	e.Flags = c.u8("flags") & (IEInBeacon | IEInProbeResponse)
	if c.err == nil {
		if err := checkIE(c.b[c.off:]); err != nil {
			var fe *fieldError
			if asFieldError(err, &fe) {
				fe.offset += c.off
			}
			return err
		}
	}
	e.IE = c.rest()
	return c.finish()
}

// checkIE checks that ie is exactly one 802.11 information element.
func checkIE(ie []byte) error {
	if len(ie) < 2 {
		return errorf("info element", 0, ErrTruncated, "%d bytes, an IE needs at least 2", len(ie))
	}
	if int(ie[1]) != len(ie)-2 {
		return errorf("info element", 1, ErrInvalid, "IE length %d, %d bytes follow", ie[1], len(ie)-2)
	}
	return nil
}

// IEEE80211MICCountermeasures is the IEEE 802.11 MIC Countermeasures element
// (RFC 5416 §6.8): the station that caused a MIC failure.
type IEEE80211MICCountermeasures struct {
	RadioID, WLANID uint8
	MAC             net.HardwareAddr
}

// Type returns TypeIEEE80211MICCountermeasures.
func (*IEEE80211MICCountermeasures) Type() ElementType { return TypeIEEE80211MICCountermeasures }

// AppendBinary appends the value.
func (e *IEEE80211MICCountermeasures) AppendBinary(b []byte) ([]byte, error) {
	if err := checkWLANID(e.WLANID); err != nil {
		return b, err
	}
	return appendMAC48(append(b, e.RadioID, e.WLANID), "MAC", e.MAC)
}

// UnmarshalBinary decodes the value.
func (e *IEEE80211MICCountermeasures) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.RadioID, e.WLANID, e.MAC = c.u8("radio ID"), c.wlanID(), c.mac(6, "MAC")
	return c.finish()
}

// IEEE80211RSNAErrorReport is the IEEE 802.11 RSNA Error Report From Station
// element (RFC 5416 §6.12).
type IEEE80211RSNAErrorReport struct {
	ClientMAC, BSSID      net.HardwareAddr
	RadioID, WLANID       uint8
	TKIPICVErrors         uint32
	TKIPLocalMICFailures  uint32
	TKIPRemoteMICFailures uint32
	CCMPReplays           uint32
	CCMPDecryptErrors     uint32
	TKIPReplays           uint32
}

// Type returns TypeIEEE80211RSNAErrorReport.
func (*IEEE80211RSNAErrorReport) Type() ElementType { return TypeIEEE80211RSNAErrorReport }

// AppendBinary appends the value.
func (e *IEEE80211RSNAErrorReport) AppendBinary(b []byte) ([]byte, error) {
	b, err := appendMAC48(b, "client MAC", e.ClientMAC)
	if err != nil {
		return b, err
	}
	if b, err = appendMAC48(b, "BSSID", e.BSSID); err != nil {
		return b, err
	}
	if err := checkWLANID(e.WLANID); err != nil {
		return b, err
	}
	b = append(b, e.RadioID, e.WLANID, 0, 0)
	for _, v := range []uint32{e.TKIPICVErrors, e.TKIPLocalMICFailures, e.TKIPRemoteMICFailures,
		e.CCMPReplays, e.CCMPDecryptErrors, e.TKIPReplays} {
		b = appendU32(b, v)
	}
	return b, nil
}

// UnmarshalBinary decodes the value.
func (e *IEEE80211RSNAErrorReport) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	*e = IEEE80211RSNAErrorReport{ClientMAC: c.mac(6, "client MAC"), BSSID: c.mac(6, "BSSID"),
		RadioID: c.u8("radio ID"), WLANID: c.wlanID()}
	c.u16("reserved")
	e.TKIPICVErrors, e.TKIPLocalMICFailures = c.u32("TKIP ICV errors"), c.u32("TKIP local MIC failures")
	e.TKIPRemoteMICFailures, e.CCMPReplays = c.u32("TKIP remote MIC failures"), c.u32("CCMP replays")
	e.CCMPDecryptErrors, e.TKIPReplays = c.u32("CCMP decrypt errors"), c.u32("TKIP replays")
	return c.finish()
}

// appendMAC48 appends a fixed 6-byte MAC (RFC 5416 elements carry no length).
func appendMAC48(b []byte, field string, m net.HardwareAddr) ([]byte, error) {
	if len(m) != 6 {
		return b, errorf(field, 0, ErrInvalid, "MAC length %d, want 6", len(m))
	}
	return append(b, m...), nil
}
