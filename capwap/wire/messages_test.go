package wire

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sampleMessages returns one message of every control message type, each
// carrying the elements RFC 5415 §5–9 and RFC 5416 §3, §5 list for it (and
// capstan's vendor elements where they belong).
func sampleMessages() []*ControlMessage {
	boardData := &WTPBoardData{Vendor: EnterpriseNumber, Items: []BoardDataItem{
		{Type: BoardModelNumber, Value: []byte("QEMU malta")}, {Type: BoardSerialNumber, Value: []byte("0001")},
		{Type: BoardBaseMAC, Value: mac("02:aa:bb:cc:dd:ee")}}}
	descriptor := &WTPDescriptor{MaxRadios: 2, RadiosInUse: 2, Encryption: []EncryptionCapability{{WBID: WBIDIEEE80211}},
		Descriptors: []Info{{Type: WTPInfoHardwareVersion, Data: []byte("1")}, {Type: WTPInfoSoftwareVersion, Data: []byte("capstan 0.1")},
			{Type: WTPInfoBootVersion, Data: []byte("u-boot")}}}
	acDescriptor := &ACDescriptor{Stations: 10, StationLimit: 1000, ActiveWTPs: 2, MaxWTPs: 500, Security: ACSecurityX509,
		RMACField: RMACNotSupported, DTLSPolicy: ACClearDataChannel,
		Info: []Info{{Type: ACInfoHardwareVersion, Data: []byte("x86_64")}, {Type: ACInfoSoftwareVersion, Data: []byte("capstan 0.1")}}}
	radioInfo := &IEEE80211WTPRadioInformation{RadioID: 1, RadioType: RadioType80211b | RadioType80211g | RadioType80211n}
	result := &ResultCodeElement{Code: ResultSuccess}
	station := mac("02:00:00:00:00:01")
	capa := &RadioCapabilities{RadioID: 1, Phy: "phy0", Bands: Band2GHz | Band5GHz, HTCapa: 0x01ef,
		Channels:     []Channel{{FrequencyMHz: 2412, MaxPowerMBm: 2000}, {FrequencyMHz: 5260, Flags: ChannelRadar | ChannelNoIR, DFSState: DFSUsable, MaxPowerMBm: 2300}},
		Combinations: []InterfaceCombination{{MaxInterfaces: 8, NumChannels: 1, Types: []uint32{3}, Limits: []uint32{8}}}, MAC: station}
	msgs := []*ControlMessage{
		{Type: DiscoveryRequest, Elements: []Element{&DiscoveryType{Method: DiscoveryStatic}, boardData, descriptor,
			&WTPFrameTunnelMode{Modes: Tunnel8023 | TunnelLocalBridge}, &WTPMACType{MACType: LocalMAC}, radioInfo,
			&MTUDiscoveryPadding{Length: 8}, &VendorSpecificPayload{Vendor: 14988, ElementID: 1, Data: []byte("x")}}},
		{Type: DiscoveryResponse, Elements: []Element{acDescriptor, &ACName{Name: "capstan-02AABBCCDDEE"}, radioInfo,
			&CAPWAPControlIPv4Address{Address: ip("192.0.2.1"), WTPCount: 2}, &CAPWAPControlIPv6Address{Address: ip("2001:db8::1"), WTPCount: 0}}},
		{Type: JoinRequest, Elements: []Element{&LocationData{Location: "lab"}, boardData, descriptor, &WTPName{Name: "ap-1"}, &sid,
			&WTPFrameTunnelMode{Modes: TunnelLocalBridge}, &WTPMACType{MACType: LocalMAC}, radioInfo, &ECNSupport{Support: ECNLimited},
			&CAPWAPLocalIPv4Address{Address: ip("192.0.2.10")}, &CAPWAPLocalIPv6Address{Address: ip("2001:db8::10")},
			&CAPWAPTransportProtocol{Transport: TransportUDP}, &MaximumMessageLength{Length: 8192},
			&WTPRebootStatistics{RebootCount: 1}, &CertificateRequest{CSR: []byte{0x30, 0x82, 0x01, 0x00}, OneTimePassword: "123456"}}},
		{Type: JoinResponse, Elements: []Element{result, acDescriptor, &ACName{Name: "core"}, radioInfo, &ECNSupport{Support: ECNLimited},
			&CAPWAPControlIPv4Address{Address: ip("192.0.2.1"), WTPCount: 3}, &CAPWAPLocalIPv4Address{Address: ip("192.0.2.1")},
			&ACIPv4List{Addresses: []netip.Addr{ip("192.0.2.1"), ip("192.0.2.2")}}, &ACIPv6List{Addresses: []netip.Addr{ip("2001:db8::1")}},
			&CAPWAPTransportProtocol{Transport: TransportUDP}, &ImageIdentifier{Vendor: EnterpriseNumber, Data: "capstan-0.1"},
			&MaximumMessageLength{Length: 8192}, &Certificate{Role: CertificateLeaf, DER: []byte{0x30, 0x82}},
			&Certificate{Role: CertificateCA, DER: []byte{0x30, 0x83}}, &Enrollment{State: EnrollmentIssued, Message: "issued"}}},
		{Type: ConfigurationStatusRequest, Elements: []Element{&ACName{Name: "core"}, &RadioAdministrativeState{RadioID: 1, AdminState: Enabled},
			&StatisticsTimer{Interval: 120}, &WTPRebootStatistics{}, &ACNameWithPriority{Priority: 1, Name: "core"},
			&CAPWAPTransportProtocol{Transport: TransportUDP}, &WTPStaticIPAddressInformation{},
			&IEEE80211Antenna{RadioID: 1, Combiner: 3, Selection: []uint8{1}}, &IEEE80211DirectSequenceControl{RadioID: 1, CurrentChannel: 6, CurrentCCA: 4},
			&IEEE80211MACOperation{RadioID: 1, RTSThreshold: 2347, ShortRetry: 7, LongRetry: 4, FragmentationThreshold: 2346, TxMSDULifetime: 512, RxMSDULifetime: 512},
			&IEEE80211MultiDomainCapability{RadioID: 1, FirstChannel: 1, NumberOfChannels: 13, MaxTxPowerLevel: 20},
			&IEEE80211OFDMControl{RadioID: 2, CurrentChannel: 36, BandSupport: Band515to525},
			&IEEE80211SupportedRates{RadioID: 1, Rates: []uint8{2, 4, 11, 22}}, &IEEE80211TxPower{RadioID: 1, CurrentTxPower: 20},
			&IEEE80211TxPowerLevel{RadioID: 1, Levels: []uint16{20, 10}},
			&IEEE80211WTPRadioConfiguration{RadioID: 1, NumBSSIDs: 16, DTIMPeriod: 2, BSSID: mac("02:00:00:00:01:00"), BeaconPeriod: 100, Country: [4]byte{'P', 'L', ' ', 0}},
			capa}},
		{Type: ConfigurationStatusResponse, Elements: []Element{&CAPWAPTimers{Discovery: 5, EchoRequest: 1},
			&DecryptionErrorReportPeriod{RadioID: 1, Interval: 120}, &IdleTimeout{Timeout: 300}, &WTPFallback{Mode: Enabled},
			&ACIPv4List{Addresses: []netip.Addr{ip("192.0.2.1")}}, &IEEE80211RateSet{RadioID: 1, Rates: []uint8{0x82, 0x84}},
			&IEEE80211WTPQoS{RadioID: 1}, &Datapath{RadioID: 1, WLANID: 1, LocalForwarding: true, Bridge: "br-lan"}}},
		{Type: ConfigurationUpdateRequest, Elements: []Element{&ACNameWithPriority{Priority: 2, Name: "backup"}, &ACTimestamp{Timestamp: 1},
			&AddMACACLEntry{MACs: []net.HardwareAddr{station}}, &CAPWAPTimers{Discovery: 5, EchoRequest: 1},
			&DeleteMACACLEntry{MACs: []net.HardwareAddr{station}}, &IdleTimeout{Timeout: 60}, &LocationData{Location: "hall"},
			&RadioAdministrativeState{RadioID: 1, AdminState: Disabled}, &StatisticsTimer{Interval: 60}, &WTPFallback{Mode: Disabled},
			&WTPName{Name: "ap-hall"}, &WTPStaticIPAddressInformation{Address: ip("192.0.2.10"), Netmask: ip("255.255.255.0"), Gateway: ip("192.0.2.1"), Static: true},
			&ImageIdentifier{Vendor: EnterpriseNumber, Data: "capstan-0.2"}, &IEEE80211TxPower{RadioID: 1, CurrentTxPower: 17},
			&LockInfo{Locked: true, CommonNames: []string{"capstan-02AABBCCDDEE"}},
			&RadioConfig{RadioID: 1, Country: "PL", Band: "2g", Channel: 6, WidthMHz: 20, TxPowerDBm: 17}}},
		{Type: ConfigurationUpdateResponse, Elements: []Element{result, &RadioOperationalState{RadioID: 1, State: Disabled, Cause: CauseAdminSet},
			&Refusal{RadioID: 1, WLANID: 2, Field: "passphrase", Reason: "5 characters: want 8–63"}}},
		{Type: WTPEventRequest, Elements: []Element{&DecryptionErrorReport{RadioID: 1, MACs: []net.HardwareAddr{station}},
			&DuplicateIPv4Address{Address: ip("192.0.2.10"), Status: 1, MAC: station}, &DuplicateIPv6Address{Address: ip("2001:db8::10"), Status: 0, MAC: station},
			&WTPRadioStatistics{RadioID: 1, LastFailureType: 255, CurrentNoiseFloor: -95}, &WTPRebootStatistics{LastFailureType: 2},
			&DeleteStation{RadioID: 1, MAC: station}, &IEEE80211MICCountermeasures{RadioID: 1, WLANID: 1, MAC: station},
			&IEEE80211RSNAErrorReport{ClientMAC: station, BSSID: mac("02:00:00:00:01:00"), RadioID: 1, WLANID: 1},
			&IEEE80211Statistics{RadioID: 1, AssociatedStationCount: 1}, &IEEE80211WTPRadioFailAlarm{RadioID: 1, Kind: RadioFailReceiver, Status: 0},
			&Survey{RadioID: 1, Entries: []SurveyEntry{{FrequencyMHz: 2412, NoiseDBm: -92, InUse: true, ActiveMs: 1000, BusyMs: 120}}},
			&Survey{RadioID: 1, Scan: true}, &Platform{Arch: "mipsel_24kc", PackageManager: "opkg"},
			&Station{RadioID: 1, WLANID: 1, MAC: station, State: StationAssociated, Interface: "wlan0", SSID: "office", Signal: -30, SignalAvg: -31,
				TxRateKbps: 1000, RxRateKbps: 36000, TxBytes: 409, RxBytes: 1113, TxPackets: 4, RxPackets: 10, ConnectedSec: 3, InactiveMs: 1288}}},
		{Type: WTPEventResponse},
		{Type: ChangeStateEventRequest, Elements: []Element{&RadioOperationalState{RadioID: 1, State: Enabled, Cause: CauseNormal}, result,
			&ReturnedMessageElement{Reason: ReasonUnsupportedElementValue, Element: mustHex("0024", "0002", "0001")}}},
		{Type: ChangeStateEventResponse},
		{Type: EchoRequest},
		{Type: EchoResponse},
		{Type: ImageDataRequest, Elements: []Element{&CAPWAPTransportProtocol{Transport: TransportUDP}, &ImageData{DataType: DataIncluded, Data: []byte("block")},
			&ImageIdentifier{Vendor: EnterpriseNumber, Data: "capstan-0.2"}, &InitiateDownload{}}},
		{Type: ImageDataResponse, Elements: []Element{result, &ImageInformation{FileSize: 4096}}},
		{Type: ResetRequest, Elements: []Element{&ImageIdentifier{Vendor: EnterpriseNumber, Data: "capstan-0.2"}}},
		{Type: ResetResponse, Elements: []Element{result}},
		{Type: PrimaryDiscoveryRequest, Elements: []Element{&DiscoveryType{Method: DiscoveryReferral}, boardData, descriptor,
			&WTPFrameTunnelMode{Modes: TunnelLocalBridge}, &WTPMACType{MACType: LocalMAC}, radioInfo}},
		{Type: PrimaryDiscoveryResponse, Elements: []Element{acDescriptor, &ACName{Name: "core"}, radioInfo,
			&CAPWAPControlIPv4Address{Address: ip("192.0.2.1"), WTPCount: 2}}},
		{Type: DataTransferRequest, Elements: []Element{&DataTransferMode{DataMode: DataModeCrash}}},
		{Type: DataTransferResponse, Elements: []Element{result, &DataTransferData{DataType: DataEOF, DataMode: DataModeCrash, Data: []byte("panic")}}},
		{Type: ClearConfigurationRequest},
		{Type: ClearConfigurationResponse, Elements: []Element{result}},
		{Type: StationConfigurationRequest, Elements: []Element{&AddStation{RadioID: 1, MAC: station},
			&IEEE80211Station{RadioID: 1, AssociationID: 1, MAC: station, Capabilities: 0x0431, WLANID: 1, SupportedRates: []uint8{0x82}},
			&IEEE80211StationSessionKey{MAC: station, Key: mustHex("00112233445566778899aabbccddeeff")},
			&IEEE80211StationQoSProfile{MAC: station, Priority: 3}, &IEEE80211UpdateStationQoS{RadioID: 1, MAC: station, Tags: []StationQoSTag{{Priority: 3, DSCP: 24}}},
			&AccessVerdict{RadioID: 1, WLANID: 1, MAC: station, Action: AccessAccept, VLAN: 20, SignalMin: -80}}},
		{Type: StationConfigurationResponse, Elements: []Element{result}},
		{Type: IEEE80211WLANConfigurationRequest, Header: Header{WBID: WBIDIEEE80211}, Elements: []Element{
			&IEEE80211AddWLAN{RadioID: 1, WLANID: 1, Capability: 0x0401, AdvertiseSSID: true, SSID: []byte("Office")},
			&IEEE80211InformationElement{RadioID: 1, WLANID: 1, Flags: IEInBeacon, IE: mustHex("30", "02", "0100")},
			&WLANSecurity{RadioID: 1, WLANID: 1, Mode: SecurityWPA2WPA3, Passphrase: "correct horse", MFP: 1,
				Clients: []ClientPassphrase{{MAC: station, Passphrase: "guest-pass", VLAN: 30}}}}},
		{Type: IEEE80211WLANConfigurationResponse, Header: Header{WBID: WBIDIEEE80211}, Elements: []Element{result,
			&IEEE80211AssignedWTPBSSID{RadioID: 1, WLANID: 1, BSSID: mac("02:00:00:00:01:01")}}},
	}
	for i, m := range msgs {
		m.Seq = uint8(i * 7)
		if m.Header.WBID == 0 {
			m.Header.WBID = WBIDIEEE80211
		}
	}
	return msgs
}

// TestSampleMessagesCoverEveryType keeps one sample per message type.
func TestSampleMessagesCoverEveryType(t *testing.T) {
	seen := map[MessageType]bool{}
	for _, m := range sampleMessages() {
		seen[m.Type] = true
	}
	for _, mt := range MessageTypes() {
		if !seen[mt] {
			t.Errorf("no sample %s", mt)
		}
	}
}

func TestControlMessageRoundTrip(t *testing.T) {
	for _, m := range sampleMessages() {
		t.Run(m.Type.String(), func(t *testing.T) {
			b, err := m.AppendBinary(nil)
			if err != nil {
				t.Fatalf("AppendBinary: %v", err)
			}
			checkMessageElementLength(t, b)
			got, err := ParseControl(b)
			if err != nil {
				t.Fatalf("ParseControl: %v", err)
			}
			if diff := cmp.Diff(m, got, cmpOpts...); diff != "" {
				t.Fatalf("round trip (-want +got):\n%s", diff)
			}
			again, err := got.AppendBinary(nil)
			if err != nil {
				t.Fatalf("re-encode: %v", err)
			}
			if !bytes.Equal(b, again) {
				t.Fatalf("re-encoding differs:\n% x\n% x", b, again)
			}
		})
	}
}

// checkMessageElementLength checks RFC 5415 §4.5.1.3 on an encoded packet:
// the Message Element Length equals the bytes after the Sequence Number.
func checkMessageElementLength(t *testing.T, pkt []byte) {
	t.Helper()
	hlen := int(pkt[1]>>3) * 4
	ctl := pkt[hlen:]
	got := int(binary.BigEndian.Uint16(ctl[5:7]))
	if want := len(ctl) - 5; got != want {
		t.Fatalf("Message Element Length = %d, want %d (bytes after the sequence number)", got, want)
	}
	// And it walks: the elements fill exactly got-3 bytes.
	n := 0
	for off := controlHeaderLen; off < len(ctl); {
		l := int(binary.BigEndian.Uint16(ctl[off+2:]))
		off += 4 + l
		n += 4 + l
	}
	if n != got-3 {
		t.Fatalf("elements span %d bytes, length field says %d", n, got-3)
	}
}

// TestControlHeaderBytes spells one Echo Request and one Join Response field
// by field: preamble, header, control header, element TLVs.
func TestControlHeaderBytes(t *testing.T) {
	m := &ControlMessage{Header: Header{WBID: WBIDIEEE80211}, Type: JoinResponse, Seq: 9,
		Elements: []Element{&ResultCodeElement{Code: ResultSuccess}}}
	got, err := m.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := hx(t,
		"00",                       // preamble: version 0, type 0
		"10",                       // HLEN 2 (5 bits) | RID high bits 0
		"02",                       // RID low bits 0 | WBID 1 (bits 9-13) | T bit 0
		"00",                       // F L W M K flags 0
		"0000",                     // fragment ID
		"0000",                     // fragment offset, reserved
		"00000004",                 // message type 4 (Join Response)
		"09",                       // sequence number
		"000b",                     // message element length: 8 bytes of element + 3
		"00",                       // flags
		"0021", "0004", "00000000") // Result Code, length 4, Success
	if !bytes.Equal(got, want) {
		t.Fatalf("got  % x\nwant % x", got, want)
	}

	// The IEEE 802.11 binding's message type carries enterprise 13277.
	wlan := &ControlMessage{Type: IEEE80211WLANConfigurationRequest, Seq: 1}
	got, err = wlan.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := hx(t, "00100000", "00000000", "0033dd01", "01", "0003", "00"); !bytes.Equal(got, want) {
		t.Fatalf("got  % x\nwant % x", got, want)
	}
}

func TestMissingMandatory(t *testing.T) {
	join := &ControlMessage{Type: JoinRequest, Elements: []Element{
		&LocationData{Location: "x"}, &WTPBoardData{Vendor: EnterpriseNumber}, &WTPDescriptor{},
		&WTPName{Name: "ap"}, &SessionID{}, &WTPFrameTunnelMode{}, &WTPMACType{}, &ECNSupport{},
	}}
	if got, missing := join.MissingMandatory(); !missing || got != TypeCAPWAPLocalIPv4Address {
		t.Errorf("without a local address: %v %v, want CAPWAP Local IPv4 Address", got, missing)
	}
	join.Elements = append(join.Elements, &CAPWAPLocalIPv6Address{})
	if got, missing := join.MissingMandatory(); missing {
		t.Errorf("complete Join Request reported missing %v", got)
	}
	join.Elements = join.Elements[1:]
	if got, _ := join.MissingMandatory(); got != TypeLocationData {
		t.Errorf("without Location Data: %v", got)
	}
	echo := &ControlMessage{Type: EchoRequest}
	if _, missing := echo.MissingMandatory(); missing {
		t.Error("Echo Request has no mandatory elements")
	}
}
