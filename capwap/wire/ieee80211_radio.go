package wire

import (
	"fmt"
	"net"
)

// IEEE80211Antenna is the IEEE 802.11 Antenna element (RFC 5416 §6.2).
type IEEE80211Antenna struct {
	RadioID   uint8
	Diversity bool    // receive diversity enabled
	Combiner  uint8   // 1 left, 2 right, 3 omni, 4 MIMO
	Selection []uint8 // per antenna: 1 internal, 2 external; 1..255 antennas
}

// Type returns TypeIEEE80211Antenna.
func (*IEEE80211Antenna) Type() ElementType { return TypeIEEE80211Antenna }

// AppendBinary appends the value.
func (e *IEEE80211Antenna) AppendBinary(b []byte) ([]byte, error) {
	if err := checkEnum("combiner", e.Combiner, 1, 4); err != nil {
		return b, err
	}
	if err := checkLen("antenna selection", len(e.Selection), 1, 255); err != nil {
		return b, err
	}
	b = append(b, e.RadioID, boolByte(e.Diversity), e.Combiner, byte(len(e.Selection)))
	return append(b, e.Selection...), nil
}

// UnmarshalBinary decodes the value.
func (e *IEEE80211Antenna) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.RadioID, e.Diversity, e.Combiner = c.u8("radio ID"), c.boolean("diversity"), c.enumU8("combiner", 1, 4)
	off := c.off
	n := int(c.u8("antenna count"))
	if c.err == nil && n == 0 {
		c.err = &fieldError{field: "antenna count", offset: off, err: fmt.Errorf("no antennas: %w", ErrInvalid)}
	}
	e.Selection = c.bytes(n, "antenna selection")
	return c.finish()
}

// IEEE80211DirectSequenceControl is the IEEE 802.11 Direct Sequence Control
// element (RFC 5416 §6.5): the 2.4 GHz DSSS channel and CCA settings.
type IEEE80211DirectSequenceControl struct {
	RadioID               uint8
	CurrentChannel        uint8
	CurrentCCA            uint8 // 1 energy detect only, 2 carrier sense only, 4 both, 8 CS with timer, 16 hi-rate CS and ED
	EnergyDetectThreshold uint32
}

// Type returns TypeIEEE80211DirectSequenceControl.
func (*IEEE80211DirectSequenceControl) Type() ElementType { return TypeIEEE80211DirectSequenceControl }

// AppendBinary appends the value.
func (e *IEEE80211DirectSequenceControl) AppendBinary(b []byte) ([]byte, error) {
	return appendU32(append(b, e.RadioID, 0, e.CurrentChannel, e.CurrentCCA), e.EnergyDetectThreshold), nil
}

// UnmarshalBinary decodes the value.
func (e *IEEE80211DirectSequenceControl) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.RadioID = c.u8("radio ID")
	c.u8("reserved")
	e.CurrentChannel, e.CurrentCCA = c.u8("current channel"), c.u8("current CCA")
	e.EnergyDetectThreshold = c.u32("energy detect threshold")
	return c.finish()
}

// IEEE80211MACOperation is the IEEE 802.11 MAC Operation element (RFC 5416
// §6.7).
type IEEE80211MACOperation struct {
	RadioID                uint8
	RTSThreshold           uint16
	ShortRetry, LongRetry  uint8
	FragmentationThreshold uint16
	TxMSDULifetime         uint32
	RxMSDULifetime         uint32
}

// Type returns TypeIEEE80211MACOperation.
func (*IEEE80211MACOperation) Type() ElementType { return TypeIEEE80211MACOperation }

// AppendBinary appends the value.
func (e *IEEE80211MACOperation) AppendBinary(b []byte) ([]byte, error) {
	b = appendU16(append(b, e.RadioID, 0), e.RTSThreshold)
	b = appendU16(append(b, e.ShortRetry, e.LongRetry), e.FragmentationThreshold)
	return appendU32(appendU32(b, e.TxMSDULifetime), e.RxMSDULifetime), nil
}

// UnmarshalBinary decodes the value.
func (e *IEEE80211MACOperation) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.RadioID = c.u8("radio ID")
	c.u8("reserved")
	e.RTSThreshold, e.ShortRetry, e.LongRetry = c.u16("RTS threshold"), c.u8("short retry"), c.u8("long retry")
	e.FragmentationThreshold = c.u16("fragmentation threshold")
	e.TxMSDULifetime, e.RxMSDULifetime = c.u32("Tx MSDU lifetime"), c.u32("Rx MSDU lifetime")
	return c.finish()
}

// IEEE80211MultiDomainCapability is the IEEE 802.11 Multi-Domain Capability
// element (RFC 5416 §6.9): a run of channels and their maximum power.
type IEEE80211MultiDomainCapability struct {
	RadioID          uint8
	FirstChannel     uint16
	NumberOfChannels uint16
	MaxTxPowerLevel  uint16
}

// Type returns TypeIEEE80211MultiDomainCapability.
func (*IEEE80211MultiDomainCapability) Type() ElementType { return TypeIEEE80211MultiDomainCapability }

// AppendBinary appends the value.
func (e *IEEE80211MultiDomainCapability) AppendBinary(b []byte) ([]byte, error) {
	b = appendU16(append(b, e.RadioID, 0), e.FirstChannel)
	return appendU16(appendU16(b, e.NumberOfChannels), e.MaxTxPowerLevel), nil
}

// UnmarshalBinary decodes the value.
func (e *IEEE80211MultiDomainCapability) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.RadioID = c.u8("radio ID")
	c.u8("reserved")
	e.FirstChannel, e.NumberOfChannels, e.MaxTxPowerLevel = c.u16("first channel"), c.u16("number of channels"), c.u16("max tx power level")
	return c.finish()
}

// OFDM Control band support bits (RFC 5416 §6.10).
const (
	Band515to525   = 1 << 0
	Band525to535   = 1 << 1
	Band5725to5825 = 1 << 2
	Band547to5725  = 1 << 3
	BandLowerJapan = 1 << 4
	Band503to5091  = 1 << 5
	Band494to499   = 1 << 6
)

// IEEE80211OFDMControl is the IEEE 802.11 OFDM Control element (RFC 5416
// §6.10): the 5 GHz channel, the bands supported and the TI threshold.
type IEEE80211OFDMControl struct {
	RadioID        uint8
	CurrentChannel uint8
	BandSupport    uint8
	TIThreshold    uint32
}

// Type returns TypeIEEE80211OFDMControl.
func (*IEEE80211OFDMControl) Type() ElementType { return TypeIEEE80211OFDMControl }

// AppendBinary appends the value.
func (e *IEEE80211OFDMControl) AppendBinary(b []byte) ([]byte, error) {
	return appendU32(append(b, e.RadioID, 0, e.CurrentChannel, e.BandSupport), e.TIThreshold), nil
}

// UnmarshalBinary decodes the value.
func (e *IEEE80211OFDMControl) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.RadioID = c.u8("radio ID")
	c.u8("reserved")
	e.CurrentChannel, e.BandSupport, e.TIThreshold = c.u8("current channel"), c.u8("band support"), c.u32("TI threshold")
	return c.finish()
}

// Rate lists: RFC 5416 §6.11 says 2–8 bytes, the size of one Supported
// Rates IE; 802.11g alone has 12 rates (the rest travel in Extended
// Supported Rates), so the codec accepts 1–255 rates.
func appendRates(b []byte, radioID uint8, rates []uint8) ([]byte, error) {
	if err := checkLen("rates", len(rates), 1, 255); err != nil {
		return b, err
	}
	return append(append(b, radioID), rates...), nil
}

func (c *cursor) rates() []uint8 {
	if c.err == nil && (c.remaining() < 1 || c.remaining() > 255) {
		c.fail("rates", fmt.Errorf("%d rates, want 1..255: %w", c.remaining(), ErrInvalid))
	}
	return c.rest()
}

// IEEE80211RateSet is the IEEE 802.11 Rate Set element (RFC 5416 §6.11): the
// operational rates to advertise, in 500 kb/s units (bit 7 marks basic).
type IEEE80211RateSet struct {
	RadioID uint8
	Rates   []uint8
}

// Type returns TypeIEEE80211RateSet.
func (*IEEE80211RateSet) Type() ElementType { return TypeIEEE80211RateSet }

// AppendBinary appends the value.
func (e *IEEE80211RateSet) AppendBinary(b []byte) ([]byte, error) {
	return appendRates(b, e.RadioID, e.Rates)
}

// UnmarshalBinary decodes the value.
func (e *IEEE80211RateSet) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.RadioID, e.Rates = c.u8("radio ID"), c.rates()
	return c.finish()
}

// IEEE80211SupportedRates is the IEEE 802.11 Supported Rates element (RFC
// 5416 §6.17): the rates the radio supports.
type IEEE80211SupportedRates struct {
	RadioID uint8
	Rates   []uint8
}

// Type returns TypeIEEE80211SupportedRates.
func (*IEEE80211SupportedRates) Type() ElementType { return TypeIEEE80211SupportedRates }

// AppendBinary appends the value.
func (e *IEEE80211SupportedRates) AppendBinary(b []byte) ([]byte, error) {
	return appendRates(b, e.RadioID, e.Rates)
}

// UnmarshalBinary decodes the value.
func (e *IEEE80211SupportedRates) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.RadioID, e.Rates = c.u8("radio ID"), c.rates()
	return c.finish()
}

// IEEE80211TxPower is the IEEE 802.11 Tx Power element (RFC 5416 §6.18), in
// dBm.
type IEEE80211TxPower struct {
	RadioID        uint8
	CurrentTxPower uint16
}

// Type returns TypeIEEE80211TxPower.
func (*IEEE80211TxPower) Type() ElementType { return TypeIEEE80211TxPower }

// AppendBinary appends the value.
func (e *IEEE80211TxPower) AppendBinary(b []byte) ([]byte, error) {
	return appendU16(append(b, e.RadioID, 0), e.CurrentTxPower), nil
}

// UnmarshalBinary decodes the value.
func (e *IEEE80211TxPower) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.RadioID = c.u8("radio ID")
	c.u8("reserved")
	e.CurrentTxPower = c.u16("current tx power")
	return c.finish()
}

// IEEE80211TxPowerLevel is the IEEE 802.11 Tx Power Level element (RFC 5416
// §6.19): the power levels the radio supports, in dBm, 1..255 of them.
type IEEE80211TxPowerLevel struct {
	RadioID uint8
	Levels  []uint16
}

// Type returns TypeIEEE80211TxPowerLevel.
func (*IEEE80211TxPowerLevel) Type() ElementType { return TypeIEEE80211TxPowerLevel }

// AppendBinary appends the value.
func (e *IEEE80211TxPowerLevel) AppendBinary(b []byte) ([]byte, error) {
	if err := checkLen("power levels", len(e.Levels), 1, 255); err != nil {
		return b, err
	}
	b = append(b, e.RadioID, byte(len(e.Levels)))
	for _, l := range e.Levels {
		b = appendU16(b, l)
	}
	return b, nil
}

// UnmarshalBinary decodes the value.
func (e *IEEE80211TxPowerLevel) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.RadioID = c.u8("radio ID")
	off := c.off
	n := int(c.u8("num levels"))
	if c.err == nil && n == 0 {
		c.err = &fieldError{field: "num levels", offset: off, err: fmt.Errorf("no levels: %w", ErrInvalid)}
	}
	e.Levels = make([]uint16, 0, n)
	for i := 0; i < n && c.err == nil; i++ {
		e.Levels = append(e.Levels, c.u16("power level"))
	}
	return c.finish()
}

// QoSProfile is one of the four QoS sub-elements of the WTP Quality of
// Service element, in the order voice, video, best effort, background.
type QoSProfile struct {
	QueueDepth uint8
	CWMin      uint16
	CWMax      uint16
	AIFS       uint8
	Priority   uint8 // 802.1p, 3 bits
	DSCP       uint8 // 6 bits
}

// WTP QoS tagging policy bits (RFC 5416 §6.22).
const (
	TagPolicyP = 1 << 4 // use 802.1p
	TagPolicyQ = 1 << 3
	TagPolicyD = 1 << 2 // use DSCP
	TagPolicyO = 1 << 1
	TagPolicyI = 1 << 0
)

// IEEE80211WTPQoS is the IEEE 802.11 WTP Quality of Service element (RFC 5416
// §6.22): a radio's default QoS tagging and queues.
type IEEE80211WTPQoS struct {
	RadioID       uint8
	TaggingPolicy uint8
	Profiles      [4]QoSProfile
}

// Type returns TypeIEEE80211WTPQoS.
func (*IEEE80211WTPQoS) Type() ElementType { return TypeIEEE80211WTPQoS }

// AppendBinary appends the value.
func (e *IEEE80211WTPQoS) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, e.RadioID, e.TaggingPolicy&0x1f)
	for _, p := range e.Profiles {
		if p.Priority > 7 || p.DSCP > 63 {
			return b, errorf("QoS sub-element", 0, ErrInvalid, "802.1p %d or DSCP %d out of range", p.Priority, p.DSCP)
		}
		b = appendU16(appendU16(append(b, p.QueueDepth), p.CWMin), p.CWMax)
		b = appendU16(append(b, p.AIFS), qosTag(p.Priority, p.DSCP))
	}
	return b, nil
}

// UnmarshalBinary decodes the value.
func (e *IEEE80211WTPQoS) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.RadioID, e.TaggingPolicy = c.u8("radio ID"), c.u8("tagging policy")&0x1f
	for i := range e.Profiles {
		p := QoSProfile{QueueDepth: c.u8("queue depth"), CWMin: c.u16("CWMin"), CWMax: c.u16("CWMax"), AIFS: c.u8("AIFS")}
		p.Priority, p.DSCP = parseQoSTag(c.u16("QoS tag"))
		e.Profiles[i] = p
	}
	return c.finish()
}

// qosTag packs Reserved(5)|8021p(3)|RSV(2)|DSCP(6).
func qosTag(prio, dscp uint8) uint16 { return uint16(prio&7)<<8 | uint16(dscp&0x3f) }

func parseQoSTag(v uint16) (prio, dscp uint8) { return uint8(v >> 8 & 7), uint8(v & 0x3f) }

// IEEE80211WTPRadioConfiguration is the IEEE 802.11 WTP Radio Configuration
// element (RFC 5416 §6.23).
type IEEE80211WTPRadioConfiguration struct {
	RadioID       uint8
	ShortPreamble bool
	NumBSSIDs     uint8 // 1..16 in the RFC
	DTIMPeriod    uint8
	BSSID         net.HardwareAddr // the radio's base MAC, 6 bytes
	BeaconPeriod  uint16           // in TUs
	Country       [4]byte          // dot11CountryString: 2 letters, environment, 0
}

// Type returns TypeIEEE80211WTPRadioConfiguration.
func (*IEEE80211WTPRadioConfiguration) Type() ElementType { return TypeIEEE80211WTPRadioConfiguration }

// AppendBinary appends the value.
func (e *IEEE80211WTPRadioConfiguration) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, e.RadioID, boolByte(e.ShortPreamble), e.NumBSSIDs, e.DTIMPeriod)
	b, err := appendMAC48(b, "BSSID", e.BSSID)
	if err != nil {
		return b, err
	}
	return append(appendU16(b, e.BeaconPeriod), e.Country[:]...), nil
}

// UnmarshalBinary decodes the value.
func (e *IEEE80211WTPRadioConfiguration) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.RadioID, e.ShortPreamble = c.u8("radio ID"), c.boolean("short preamble")
	e.NumBSSIDs, e.DTIMPeriod = c.u8("num of BSSIDs"), c.u8("DTIM period")
	e.BSSID, e.BeaconPeriod = c.mac(6, "BSSID"), c.u16("beacon period")
	copy(e.Country[:], c.bytes(4, "country string"))
	return c.finish()
}

// Radio Fail Alarm types (RFC 5416 §6.24).
const (
	RadioFailReceiver    = 1
	RadioFailTransmitter = 2
)

// IEEE80211WTPRadioFailAlarm is the IEEE 802.11 WTP Radio Fail Alarm
// Indication element (RFC 5416 §6.24): Status 1 raised, 0 cleared.
type IEEE80211WTPRadioFailAlarm struct {
	RadioID uint8
	Kind    uint8 // RadioFailReceiver or RadioFailTransmitter (the RFC's "Type")
	Status  uint8
}

// Type returns TypeIEEE80211WTPRadioFailAlarm.
func (*IEEE80211WTPRadioFailAlarm) Type() ElementType { return TypeIEEE80211WTPRadioFailAlarm }

// AppendBinary appends the value.
func (e *IEEE80211WTPRadioFailAlarm) AppendBinary(b []byte) ([]byte, error) {
	if err := checkEnum("type", e.Kind, 1, 2); err != nil {
		return b, err
	}
	if err := checkEnum("status", e.Status, 0, 1); err != nil {
		return b, err
	}
	return append(b, e.RadioID, e.Kind, e.Status, 0), nil
}

// UnmarshalBinary decodes the value.
func (e *IEEE80211WTPRadioFailAlarm) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.RadioID, e.Kind, e.Status = c.u8("radio ID"), c.enumU8("type", 1, 2), c.enumU8("status", 0, 1)
	c.u8("pad")
	return c.finish()
}

// Radio Type bits of WTP Radio Information (RFC 5416 §6.25).
const (
	RadioType80211b = 1 << 0
	RadioType80211a = 1 << 1
	RadioType80211g = 1 << 2
	RadioType80211n = 1 << 3
)

// IEEE80211WTPRadioInformation is the IEEE 802.11 WTP Radio Information
// element (RFC 5416 §6.25): which 802.11 PHYs a radio supports. Capabilities
// beyond 802.11n travel in capstan's radio capabilities vendor element.
type IEEE80211WTPRadioInformation struct {
	RadioID   uint8
	RadioType uint32
}

// Type returns TypeIEEE80211WTPRadioInformation.
func (*IEEE80211WTPRadioInformation) Type() ElementType { return TypeIEEE80211WTPRadioInformation }

// AppendBinary appends the value.
func (e *IEEE80211WTPRadioInformation) AppendBinary(b []byte) ([]byte, error) {
	return appendU32(append(b, e.RadioID), e.RadioType&0xf), nil
}

// UnmarshalBinary decodes the value; reserved bits are ignored.
func (e *IEEE80211WTPRadioInformation) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	e.RadioID, e.RadioType = c.u8("radio ID"), c.u32("radio type")&0xf
	return c.finish()
}

// IEEE80211Statistics is the IEEE 802.11 Statistics element (RFC 5416
// §6.16): the radio's dot11 counters.
type IEEE80211Statistics struct {
	RadioID                   uint8
	TxFragmentCount           uint32
	MulticastTxCount          uint32
	FailedCount               uint32
	RetryCount                uint32
	MultipleRetryCount        uint32
	FrameDuplicateCount       uint32
	RTSSuccessCount           uint32
	RTSFailureCount           uint32
	ACKFailureCount           uint32
	RxFragmentCount           uint32
	MulticastRxCount          uint32
	FCSErrorCount             uint32
	TxFrameCount              uint32
	DecryptionErrors          uint32
	DiscardedQoSFragmentCount uint32
	AssociatedStationCount    uint32
	QoSCFPollsReceivedCount   uint32
	QoSCFPollsUnusedCount     uint32
	QoSCFPollsUnusableCount   uint32
}

// Type returns TypeIEEE80211Statistics.
func (*IEEE80211Statistics) Type() ElementType { return TypeIEEE80211Statistics }

func (e *IEEE80211Statistics) counters() []*uint32 {
	return []*uint32{&e.TxFragmentCount, &e.MulticastTxCount, &e.FailedCount, &e.RetryCount,
		&e.MultipleRetryCount, &e.FrameDuplicateCount, &e.RTSSuccessCount, &e.RTSFailureCount,
		&e.ACKFailureCount, &e.RxFragmentCount, &e.MulticastRxCount, &e.FCSErrorCount, &e.TxFrameCount,
		&e.DecryptionErrors, &e.DiscardedQoSFragmentCount, &e.AssociatedStationCount,
		&e.QoSCFPollsReceivedCount, &e.QoSCFPollsUnusedCount, &e.QoSCFPollsUnusableCount}
}

// AppendBinary appends the value.
func (e *IEEE80211Statistics) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, e.RadioID, 0, 0, 0)
	for _, p := range e.counters() {
		b = appendU32(b, *p)
	}
	return b, nil
}

// UnmarshalBinary decodes the value.
func (e *IEEE80211Statistics) UnmarshalBinary(v []byte) error {
	c := cursor{b: v}
	*e = IEEE80211Statistics{RadioID: c.u8("radio ID")}
	c.bytes(3, "reserved")
	for _, p := range e.counters() {
		*p = c.u32("counter")
	}
	return c.finish()
}
