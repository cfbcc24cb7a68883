package wire

import (
	"bytes"
	"net"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// elementCase is one element with its value spelled field by field.
type elementCase struct {
	name  string
	elem  Element
	value []byte
}

var sid = SessionID{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10}

// elementCases covers every element type the package decodes.
func elementCases() []elementCase {
	return []elementCase{
		{"ACDescriptor", &ACDescriptor{Stations: 5, StationLimit: 100, ActiveWTPs: 3, MaxWTPs: 64,
			Security: ACSecurityX509, RMACField: RMACNotSupported, DTLSPolicy: ACClearDataChannel | ACDTLSDataChannel,
			Info: []Info{{Vendor: 0, Type: ACInfoHardwareVersion, Data: []byte("hw1")}, {Vendor: 0, Type: ACInfoSoftwareVersion, Data: []byte("v0.1")}}},
			mustHex("0005", "0064", // stations 5, limit 100
				"0003", "0040", // active WTPs 3, max 64
				"02", "02", "00", "06", // security X, R-MAC not supported, reserved, DTLS policy D|C
				"00000000", "0004", "0003", "687731", // vendor 0, hardware version, len 3, "hw1"
				"00000000", "0005", "0004", "76302e31")}, // vendor 0, software version, len 4, "v0.1"
		{"ACIPv4List", &ACIPv4List{Addresses: []netip.Addr{ip("192.0.2.1"), ip("198.51.100.7")}},
			mustHex("c0000201", "c6336407")},
		{"ACIPv6List", &ACIPv6List{Addresses: []netip.Addr{ip("2001:db8::1")}},
			mustHex("20010db8000000000000000000000001")},
		{"ACName", &ACName{Name: "core"}, mustHex("636f7265")},
		{"ACNameWithPriority", &ACNameWithPriority{Priority: 1, Name: "core"}, mustHex("01", "636f7265")},
		{"ACTimestamp", &ACTimestamp{Timestamp: 0xe8a1b2c3}, mustHex("e8a1b2c3")},
		{"AddMACACLEntry", &AddMACACLEntry{MACs: []net.HardwareAddr{mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02")}},
			mustHex("02", "06", "020000000001", "06", "020000000002")}, // 2 entries, each length + MAC
		{"AddStation", &AddStation{RadioID: 1, MAC: mac("02:aa:bb:cc:dd:ee"), VLANName: "guest"},
			mustHex("01", "06", "02aabbccddee", "6775657374")}, // radio 1, MAC len 6, MAC, "guest"
		{"CAPWAPControlIPv4Address", &CAPWAPControlIPv4Address{Address: ip("192.0.2.1"), WTPCount: 12},
			mustHex("c0000201", "000c")},
		{"CAPWAPControlIPv6Address", &CAPWAPControlIPv6Address{Address: ip("2001:db8::2"), WTPCount: 1},
			mustHex("20010db8000000000000000000000002", "0001")},
		{"CAPWAPTimers", &CAPWAPTimers{Discovery: 5, EchoRequest: 1}, mustHex("05", "01")},
		{"DataTransferData", &DataTransferData{DataType: DataEOF, DataMode: DataModeCrash, Data: []byte("oops")},
			mustHex("02", "01", "0004", "6f6f7073")}, // EOF, crash data, length 4, data
		{"DataTransferMode", &DataTransferMode{DataMode: DataModeMemoryDump}, mustHex("02")},
		{"DecryptionErrorReport", &DecryptionErrorReport{RadioID: 2, MACs: []net.HardwareAddr{mac("02:00:00:00:00:09")}},
			mustHex("02", "01", "06", "020000000009")}, // radio 2, 1 entry, length 6, MAC
		{"DecryptionErrorReportPeriod", &DecryptionErrorReportPeriod{RadioID: 1, Interval: 120}, mustHex("01", "0078")},
		{"DeleteMACACLEntry", &DeleteMACACLEntry{MACs: []net.HardwareAddr{mac("02:00:00:00:00:01:02:03")}},
			mustHex("01", "08", "0200000000010203")}, // 1 entry, length 8, EUI-64
		{"DeleteStation", &DeleteStation{RadioID: 1, MAC: mac("02:aa:bb:cc:dd:ee")}, mustHex("01", "06", "02aabbccddee")},
		{"DiscoveryType", &DiscoveryType{Method: DiscoveryDHCP}, mustHex("02")},
		{"DuplicateIPv4Address", &DuplicateIPv4Address{Address: ip("192.0.2.9"), Status: 1, MAC: mac("02:00:00:00:00:0a")},
			mustHex("c0000209", "01", "06", "02000000000a")},
		{"DuplicateIPv6Address", &DuplicateIPv6Address{Address: ip("2001:db8::9"), Status: 0, MAC: mac("02:00:00:00:00:0a")},
			mustHex("20010db8000000000000000000000009", "00", "06", "02000000000a")},
		{"IdleTimeout", &IdleTimeout{Timeout: 300}, mustHex("0000012c")},
		{"ImageData", &ImageData{DataType: DataIncluded, Data: []byte{0xde, 0xad}}, mustHex("01", "dead")},
		{"ImageIdentifier", &ImageIdentifier{Vendor: EnterpriseNumber, Data: "capstan-1.0"},
			mustHex("00007ed9", "636170737461 6e2d312e30")}, // vendor 32473, "capstan-1.0",
		{"ImageInformation", &ImageInformation{FileSize: 1 << 20, Hash: [16]byte{0: 0xaa, 15: 0xbb}},
			mustHex("00100000", "aa0000000000000000000000000000bb")},
		{"InitiateDownload", &InitiateDownload{}, nil},
		{"LocationData", &LocationData{Location: "Next to Fridge"}, []byte("Next to Fridge")},
		{"MaximumMessageLength", &MaximumMessageLength{Length: 4096}, mustHex("1000")},
		{"CAPWAPLocalIPv4Address", &CAPWAPLocalIPv4Address{Address: ip("198.51.100.1")}, mustHex("c6336401")},
		{"RadioAdministrativeState", &RadioAdministrativeState{RadioID: WTPRadioID, AdminState: Disabled}, mustHex("ff", "02")},
		{"RadioOperationalState", &RadioOperationalState{RadioID: 1, State: Enabled, Cause: CauseNormal}, mustHex("01", "01", "00")},
		{"ResultCode", &ResultCodeElement{Code: ResultJoinFailureIncorrectData}, mustHex("00000006")},
		{"ReturnedMessageElement", &ReturnedMessageElement{Reason: ReasonUnknownElementValue, Element: mustHex("0014", "0001", "09")},
			mustHex("03", "05", "0014000109")}, // reason 3, length 5, Discovery Type TLV with value 9
		{"SessionID", &sid, mustHex("0102030405060708090a0b0c0d0e0f10")},
		{"StatisticsTimer", &StatisticsTimer{Interval: 120}, mustHex("0078")},
		{"VendorSpecificPayload", &VendorSpecificPayload{Vendor: 14988, ElementID: 7, Data: []byte{1, 2, 3}},
			mustHex("00003a8c", "0007", "010203")}, // MikroTik's number, element 7, data
		{"WTPBoardData", &WTPBoardData{Vendor: EnterpriseNumber, Items: []BoardDataItem{
			{Type: BoardModelNumber, Value: []byte("QEMU")}, {Type: BoardSerialNumber, Value: []byte("1")},
			{Type: BoardBaseMAC, Value: mac("02:aa:bb:cc:dd:ee")}}},
			mustHex("00007ed9", // vendor 32473
				"0000", "0004", "51454d55", // model "QEMU"
				"0001", "0001", "31", // serial "1"
				"0004", "0006", "02aabbccddee")}, // base MAC
		{"WTPDescriptor", &WTPDescriptor{MaxRadios: 2, RadiosInUse: 1,
			Encryption:  []EncryptionCapability{{WBID: WBIDIEEE80211, Capabilities: 0}},
			Descriptors: []Info{{Vendor: 0, Type: WTPInfoHardwareVersion, Data: []byte("1")}, {Vendor: 0, Type: WTPInfoSoftwareVersion, Data: []byte("2")}, {Vendor: 0, Type: WTPInfoBootVersion, Data: []byte("3")}}},
			mustHex("02", "01", "01", // max radios, in use, num encrypt
				"01", "0000", // WBID 1, capabilities 0
				"00000000", "0000", "0001", "31", // hardware version "1"
				"00000000", "0001", "0001", "32", // software version "2"
				"00000000", "0002", "0001", "33")}, // boot version "3"
		{"WTPFallback", &WTPFallback{Mode: Enabled}, mustHex("01")},
		{"WTPFrameTunnelMode", &WTPFrameTunnelMode{Modes: Tunnel8023 | TunnelLocalBridge}, mustHex("06")},
		{"WTPMACType", &WTPMACType{MACType: LocalMAC}, mustHex("00")},
		{"WTPName", &WTPName{Name: "ap-1"}, []byte("ap-1")},
		{"WTPRadioStatistics", &WTPRadioStatistics{RadioID: 1, LastFailureType: 255, ResetCount: 2, SWFailureCount: 3,
			HWFailureCount: 4, OtherFailureCount: 5, UnknownFailureCount: 6, ConfigUpdateCount: 7, ChannelChangeCount: 8,
			BandChangeCount: 9, CurrentNoiseFloor: -95},
			mustHex("01", "ff", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009", "ffa1")}, // noise -95
		{"WTPRebootStatistics", &WTPRebootStatistics{RebootCount: 1, ACInitiatedCount: 2, LinkFailureCount: 3, SWFailureCount: 4,
			HWFailureCount: 5, OtherFailureCount: 6, UnknownFailureCount: 7, LastFailureType: 2},
			mustHex("0001", "0002", "0003", "0004", "0005", "0006", "0007", "02")},
		{"WTPStaticIPAddressInformation", &WTPStaticIPAddressInformation{Address: ip("192.0.2.10"), Netmask: ip("255.255.255.0"), Gateway: ip("192.0.2.1"), Static: true},
			mustHex("c000020a", "ffffff00", "c0000201", "01")},
		{"CAPWAPLocalIPv6Address", &CAPWAPLocalIPv6Address{Address: ip("2001:db8::1")}, mustHex("20010db8000000000000000000000001")},
		{"CAPWAPTransportProtocol", &CAPWAPTransportProtocol{Transport: TransportUDP}, mustHex("02")},
		{"MTUDiscoveryPadding", &MTUDiscoveryPadding{Length: 3}, mustHex("ffffff")},
		{"ECNSupport", &ECNSupport{Support: ECNFull}, mustHex("01")},
		{"IEEE80211AddWLAN", &IEEE80211AddWLAN{RadioID: 1, WLANID: 2, Capability: 0x0431, KeyIndex: 1, KeyStatus: KeyStatusPerStation,
			Key: []byte{0xaa, 0xbb}, GroupTSC: 0x010203040506, QoS: 0, AuthType: AuthOpenSystem, MACMode: MACModeLocal,
			TunnelMode: TunnelModeLocalBridge, AdvertiseSSID: true, SSID: []byte("Office")},
			mustHex("01", "02", "0431", // radio, WLAN, capability
				"01", "00", "0002", "aabb", // key index, key status, key length, key
				"010203040506",               // group TSC
				"00", "00", "00", "00", "01", // QoS, auth, MAC mode, tunnel mode, suppress SSID = 1 (advertise)
				"4f6666696365")}, // "Office"
		{"IEEE80211Antenna", &IEEE80211Antenna{RadioID: 1, Diversity: true, Combiner: 4, Selection: []uint8{1, 1}},
			mustHex("01", "01", "04", "02", "0101")},
		{"IEEE80211AssignedWTPBSSID", &IEEE80211AssignedWTPBSSID{RadioID: 1, WLANID: 1, BSSID: mac("02:00:00:00:01:00")},
			mustHex("01", "01", "020000000100")},
		{"IEEE80211DeleteWLAN", &IEEE80211DeleteWLAN{RadioID: 1, WLANID: 3}, mustHex("01", "03")},
		{"IEEE80211DirectSequenceControl", &IEEE80211DirectSequenceControl{RadioID: 1, CurrentChannel: 6, CurrentCCA: 4, EnergyDetectThreshold: 100},
			mustHex("01", "00", "06", "04", "00000064")},
		{"IEEE80211InformationElement", &IEEE80211InformationElement{RadioID: 1, WLANID: 1, Flags: IEInBeacon | IEInProbeResponse, IE: mustHex("dd", "03", "001122")},
			mustHex("01", "01", "c0", "dd03001122")},
		{"IEEE80211MACOperation", &IEEE80211MACOperation{RadioID: 1, RTSThreshold: 2347, ShortRetry: 7, LongRetry: 4,
			FragmentationThreshold: 2346, TxMSDULifetime: 512, RxMSDULifetime: 512},
			mustHex("01", "00", "092b", "07", "04", "092a", "00000200", "00000200")},
		{"IEEE80211MICCountermeasures", &IEEE80211MICCountermeasures{RadioID: 1, WLANID: 1, MAC: mac("02:00:00:00:00:05")},
			mustHex("01", "01", "020000000005")},
		{"IEEE80211MultiDomainCapability", &IEEE80211MultiDomainCapability{RadioID: 1, FirstChannel: 1, NumberOfChannels: 13, MaxTxPowerLevel: 20},
			mustHex("01", "00", "0001", "000d", "0014")},
		{"IEEE80211OFDMControl", &IEEE80211OFDMControl{RadioID: 2, CurrentChannel: 36, BandSupport: Band515to525 | Band525to535, TIThreshold: 10},
			mustHex("02", "00", "24", "03", "0000000a")},
		{"IEEE80211RateSet", &IEEE80211RateSet{RadioID: 1, Rates: []uint8{0x82, 0x84, 0x0b, 0x16}}, mustHex("01", "8284 0b16")},
		{"IEEE80211RSNAErrorReport", &IEEE80211RSNAErrorReport{ClientMAC: mac("02:00:00:00:00:01"), BSSID: mac("02:00:00:00:01:00"),
			RadioID: 1, WLANID: 1, TKIPICVErrors: 1, TKIPLocalMICFailures: 2, TKIPRemoteMICFailures: 3, CCMPReplays: 4, CCMPDecryptErrors: 5, TKIPReplays: 6},
			mustHex("020000000001", "020000000100", "01", "01", "0000",
				"00000001", "00000002", "00000003", "00000004", "00000005", "00000006")},
		{"IEEE80211Station", &IEEE80211Station{RadioID: 1, AssociationID: 1, MAC: mac("02:00:00:00:00:01"), Capabilities: 0x0431, WLANID: 1, SupportedRates: []uint8{0x82, 0x84}},
			mustHex("01", "0001", "00", "020000000001", "0431", "01", "8284")}, // radio, AID, flags, MAC, capabilities, WLAN, rates
		{"IEEE80211StationQoSProfile", &IEEE80211StationQoSProfile{MAC: mac("02:00:00:00:00:01"), Priority: 5}, mustHex("020000000001", "0005")},
		{"IEEE80211StationSessionKey", &IEEE80211StationSessionKey{MAC: mac("02:00:00:00:00:01"), Flags: SessionKeyAKMOnly, PairwiseTSC: 1, PairwiseRSC: 2, Key: mustHex("00112233445566778899aabbccddeeff")},
			mustHex("020000000001", "8000", "000000000001", "000000000002", "00112233445566778899aabbccddeeff")},
		{"IEEE80211Statistics", &IEEE80211Statistics{RadioID: 1, TxFragmentCount: 1, MulticastTxCount: 2, FailedCount: 3, RetryCount: 4,
			MultipleRetryCount: 5, FrameDuplicateCount: 6, RTSSuccessCount: 7, RTSFailureCount: 8, ACKFailureCount: 9, RxFragmentCount: 10,
			MulticastRxCount: 11, FCSErrorCount: 12, TxFrameCount: 13, DecryptionErrors: 14, DiscardedQoSFragmentCount: 15,
			AssociatedStationCount: 16, QoSCFPollsReceivedCount: 17, QoSCFPollsUnusedCount: 18, QoSCFPollsUnusableCount: 19},
			mustHex("01", "000000", "00000001", "00000002", "00000003", "00000004", "00000005", "00000006", "00000007", "00000008",
				"00000009", "0000000a", "0000000b", "0000000c", "0000000d", "0000000e", "0000000f", "00000010", "00000011", "00000012", "00000013")},
		{"IEEE80211SupportedRates", &IEEE80211SupportedRates{RadioID: 1, Rates: []uint8{0x02, 0x04, 0x0b, 0x16, 0x0c}}, mustHex("01", "02040b160c")},
		{"IEEE80211TxPower", &IEEE80211TxPower{RadioID: 1, CurrentTxPower: 20}, mustHex("01", "00", "0014")},
		{"IEEE80211TxPowerLevel", &IEEE80211TxPowerLevel{RadioID: 1, Levels: []uint16{20, 17, 14}}, mustHex("01", "03", "0014", "0011", "000e")},
		{"IEEE80211UpdateStationQoS", &IEEE80211UpdateStationQoS{RadioID: 1, MAC: mac("02:00:00:00:00:01"), Tags: []StationQoSTag{{Priority: 6, DSCP: 46}}},
			mustHex("01", "020000000001", "062e")}, // 802.1p 6 in bits 8-10, DSCP 46 in bits 0-5
		{"IEEE80211UpdateWLAN", &IEEE80211UpdateWLAN{RadioID: 1, WLANID: 2, Capability: 0x0411, KeyIndex: 0, KeyStatus: KeyStatusRekeyBegin, Key: []byte{1}},
			mustHex("01", "02", "0411", "00", "02", "0001", "01")},
		{"IEEE80211WTPQoS", &IEEE80211WTPQoS{RadioID: 1, TaggingPolicy: TagPolicyD | TagPolicyO, Profiles: [4]QoSProfile{
			{QueueDepth: 1, CWMin: 3, CWMax: 7, AIFS: 2, Priority: 6, DSCP: 46}, {QueueDepth: 2, CWMin: 7, CWMax: 15, AIFS: 2, Priority: 5, DSCP: 34},
			{QueueDepth: 3, CWMin: 15, CWMax: 1023, AIFS: 3, Priority: 0, DSCP: 0}, {QueueDepth: 4, CWMin: 15, CWMax: 1023, AIFS: 7, Priority: 1, DSCP: 8}}},
			mustHex("01", "06", // radio 1, policy D|O
				"01", "0003", "0007", "02", "062e", // voice
				"02", "0007", "000f", "02", "0522", // video
				"03", "000f", "03ff", "03", "0000", // best effort
				"04", "000f", "03ff", "07", "0108")}, // background
		{"IEEE80211WTPRadioConfiguration", &IEEE80211WTPRadioConfiguration{RadioID: 1, ShortPreamble: true, NumBSSIDs: 16, DTIMPeriod: 2,
			BSSID: mac("02:00:00:00:01:00"), BeaconPeriod: 100, Country: [4]byte{'P', 'L', ' ', 0}},
			mustHex("01", "01", "10", "02", "020000000100", "0064", "504c2000")},
		{"IEEE80211WTPRadioFailAlarm", &IEEE80211WTPRadioFailAlarm{RadioID: 1, Kind: RadioFailTransmitter, Status: 1}, mustHex("01", "02", "01", "00")},
		{"IEEE80211WTPRadioInformation", &IEEE80211WTPRadioInformation{RadioID: 1, RadioType: RadioType80211g | RadioType80211n | RadioType80211b},
			mustHex("01", "0000000d")},
		{"RawElement", &RawElement{ElementType: 4000, Value: mustHex("0102030405")}, mustHex("0102030405")},
	}
}

func TestElements(t *testing.T) {
	for _, tc := range elementCases() {
		t.Run(tc.name, func(t *testing.T) {
			// Encode: type, length, then the value field by field.
			got, err := AppendElement(nil, tc.elem)
			if err != nil {
				t.Fatalf("AppendElement: %v", err)
			}
			want := append([]byte{byte(tc.elem.Type() >> 8), byte(tc.elem.Type()), byte(len(tc.value) >> 8), byte(len(tc.value))}, tc.value...)
			if !bytes.Equal(got, want) {
				t.Fatalf("encoded\n got % x\nwant % x", got, want)
			}
			// Decode the expected value back into the same element.
			dec, err := DecodeElement(tc.elem.Type(), tc.value)
			if err != nil {
				t.Fatalf("DecodeElement: %v", err)
			}
			if diff := cmp.Diff(tc.elem, dec, cmpOpts...); diff != "" {
				t.Fatalf("decoded element (-want +got):\n%s", diff)
			}
		})
	}
}

// TestElementsCoverEveryType makes sure the table above names every type the
// dispatch knows, so no element goes without expected bytes.
func TestElementsCoverEveryType(t *testing.T) {
	seen := map[ElementType]bool{}
	for _, tc := range elementCases() {
		seen[tc.elem.Type()] = true
	}
	for typ := range elementNames {
		if !seen[typ] {
			t.Errorf("no field-by-field case for %s (%d)", typ, uint16(typ))
		}
		if newElement(typ) == nil {
			t.Errorf("%s (%d) is named but not decoded", typ, uint16(typ))
		}
	}
}
