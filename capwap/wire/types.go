package wire

import "strconv"

// Enterprise numbers (IANA SMI Private Enterprise Codes).
const (
	// EnterpriseNumber identifies capstan in Vendor Specific Payload
	// elements, WTP Board Data and vendor descriptor sub-elements. 32473 is
	// the number RFC 5612 reserves for documentation; it stays here, the only
	// place, until capstan registers its own.
	EnterpriseNumber uint32 = 32473
	// IEEE80211Enterprise is the enterprise number of the IEEE 802.11
	// binding's control messages (RFC 5416 §3).
	IEEE80211Enterprise uint32 = 13277
)

// WBID values (RFC 5415 §4.3).
const (
	WBIDIEEE80211 uint8 = 1
	WBIDEPCGlobal uint8 = 3
)

// MessageType is a control message type: IANA enterprise number × 256 +
// the enterprise-specific type (RFC 5415 §4.5.1.1). Requests are odd,
// responses even.
type MessageType uint32

// Control message types of RFC 5415 §4.5.1.1 and RFC 5416 §3.
const (
	DiscoveryRequest                   MessageType = 1
	DiscoveryResponse                  MessageType = 2
	JoinRequest                        MessageType = 3
	JoinResponse                       MessageType = 4
	ConfigurationStatusRequest         MessageType = 5
	ConfigurationStatusResponse        MessageType = 6
	ConfigurationUpdateRequest         MessageType = 7
	ConfigurationUpdateResponse        MessageType = 8
	WTPEventRequest                    MessageType = 9
	WTPEventResponse                   MessageType = 10
	ChangeStateEventRequest            MessageType = 11
	ChangeStateEventResponse           MessageType = 12
	EchoRequest                        MessageType = 13
	EchoResponse                       MessageType = 14
	ImageDataRequest                   MessageType = 15
	ImageDataResponse                  MessageType = 16
	ResetRequest                       MessageType = 17
	ResetResponse                      MessageType = 18
	PrimaryDiscoveryRequest            MessageType = 19
	PrimaryDiscoveryResponse           MessageType = 20
	DataTransferRequest                MessageType = 21
	DataTransferResponse               MessageType = 22
	ClearConfigurationRequest          MessageType = 23
	ClearConfigurationResponse         MessageType = 24
	StationConfigurationRequest        MessageType = 25
	StationConfigurationResponse       MessageType = 26
	IEEE80211WLANConfigurationRequest  MessageType = MessageType(IEEE80211Enterprise<<8 | 1) // 3398913
	IEEE80211WLANConfigurationResponse MessageType = MessageType(IEEE80211Enterprise<<8 | 2) // 3398914
)

var messageNames = map[MessageType]string{
	DiscoveryRequest: "Discovery Request", DiscoveryResponse: "Discovery Response",
	JoinRequest: "Join Request", JoinResponse: "Join Response",
	ConfigurationStatusRequest: "Configuration Status Request", ConfigurationStatusResponse: "Configuration Status Response",
	ConfigurationUpdateRequest: "Configuration Update Request", ConfigurationUpdateResponse: "Configuration Update Response",
	WTPEventRequest: "WTP Event Request", WTPEventResponse: "WTP Event Response",
	ChangeStateEventRequest: "Change State Event Request", ChangeStateEventResponse: "Change State Event Response",
	EchoRequest: "Echo Request", EchoResponse: "Echo Response",
	ImageDataRequest: "Image Data Request", ImageDataResponse: "Image Data Response",
	ResetRequest: "Reset Request", ResetResponse: "Reset Response",
	PrimaryDiscoveryRequest: "Primary Discovery Request", PrimaryDiscoveryResponse: "Primary Discovery Response",
	DataTransferRequest: "Data Transfer Request", DataTransferResponse: "Data Transfer Response",
	ClearConfigurationRequest: "Clear Configuration Request", ClearConfigurationResponse: "Clear Configuration Response",
	StationConfigurationRequest: "Station Configuration Request", StationConfigurationResponse: "Station Configuration Response",
	IEEE80211WLANConfigurationRequest:  "IEEE 802.11 WLAN Configuration Request",
	IEEE80211WLANConfigurationResponse: "IEEE 802.11 WLAN Configuration Response",
}

// MessageTypes lists every message type this package names, in numeric order.
func MessageTypes() []MessageType {
	var ts []MessageType
	for t := DiscoveryRequest; t <= StationConfigurationResponse; t++ {
		ts = append(ts, t)
	}
	return append(ts, IEEE80211WLANConfigurationRequest, IEEE80211WLANConfigurationResponse)
}

func (t MessageType) String() string {
	if s, ok := messageNames[t]; ok {
		return s
	}
	return "Message Type " + strconv.FormatUint(uint64(t), 10)
}

// IsRequest reports whether t is a request (odd) type.
func (t MessageType) IsRequest() bool { return t&1 == 1 }

// Response returns the response type that answers request t (RFC 5415
// §4.5.1.1: the request value plus one).
func (t MessageType) Response() MessageType { return t + 1 }

// ResultCode is the value of a Result Code element (RFC 5415 §4.6.35).
type ResultCode uint32

// Result codes of RFC 5415 §4.6.35.
const (
	ResultSuccess                                ResultCode = 0
	ResultFailureACListRequired                  ResultCode = 1
	ResultSuccessNATDetected                     ResultCode = 2
	ResultJoinFailureUnspecified                 ResultCode = 3
	ResultJoinFailureResourceDepletion           ResultCode = 4
	ResultJoinFailureUnknownSource               ResultCode = 5
	ResultJoinFailureIncorrectData               ResultCode = 6
	ResultJoinFailureSessionIDInUse              ResultCode = 7
	ResultJoinFailureHardwareUnsupported         ResultCode = 8
	ResultJoinFailureBindingUnsupported          ResultCode = 9
	ResultResetFailureUnableToReset              ResultCode = 10
	ResultResetFailureFirmwareWrite              ResultCode = 11
	ResultConfigurationFailureServiceProvided    ResultCode = 12
	ResultConfigurationFailureServiceNotProvided ResultCode = 13
	ResultImageDataInvalidChecksum               ResultCode = 14
	ResultImageDataInvalidLength                 ResultCode = 15
	ResultImageDataOtherError                    ResultCode = 16
	ResultImageDataAlreadyPresent                ResultCode = 17
	ResultMessageUnexpectedInvalidState          ResultCode = 18
	ResultMessageUnexpectedUnrecognized          ResultCode = 19
	ResultMissingMandatoryElement                ResultCode = 20
	ResultUnrecognizedElement                    ResultCode = 21
	ResultDataTransferNoInformation              ResultCode = 22
)

var resultNames = [...]string{
	"Success", "Failure (AC List Message Element MUST Be Present)", "Success (NAT Detected)",
	"Join Failure (Unspecified)", "Join Failure (Resource Depletion)", "Join Failure (Unknown Source)",
	"Join Failure (Incorrect Data)", "Join Failure (Session ID Already in Use)",
	"Join Failure (WTP Hardware Not Supported)", "Join Failure (Binding Not Supported)",
	"Reset Failure (Unable to Reset)", "Reset Failure (Firmware Write Error)",
	"Configuration Failure (Unable to Apply Requested Configuration - Service Provided Anyhow)",
	"Configuration Failure (Unable to Apply Requested Configuration - Service Not Provided)",
	"Image Data Error (Invalid Checksum)", "Image Data Error (Invalid Data Length)",
	"Image Data Error (Other Error)", "Image Data Error (Image Already Present)",
	"Message Unexpected (Invalid in Current State)", "Message Unexpected (Unrecognized Request)",
	"Failure - Missing Mandatory Message Element", "Failure - Unrecognized Message Element",
	"Data Transfer Error (No Information to Transfer)",
}

func (r ResultCode) String() string {
	if int(r) < len(resultNames) {
		return resultNames[r]
	}
	return "Result Code " + strconv.FormatUint(uint64(r), 10)
}

// IsSuccess reports whether r is one of the two success codes.
func (r ResultCode) IsSuccess() bool { return r == ResultSuccess || r == ResultSuccessNATDetected }

// ElementType is a message element type (RFC 5415 §4.6, RFC 5416 §6).
type ElementType uint16

// Message element types of RFC 5415 §4.6.
const (
	TypeACDescriptor                  ElementType = 1
	TypeACIPv4List                    ElementType = 2
	TypeACIPv6List                    ElementType = 3
	TypeACName                        ElementType = 4
	TypeACNameWithPriority            ElementType = 5
	TypeACTimestamp                   ElementType = 6
	TypeAddMACACLEntry                ElementType = 7
	TypeAddStation                    ElementType = 8
	TypeCAPWAPControlIPv4Address      ElementType = 10
	TypeCAPWAPControlIPv6Address      ElementType = 11
	TypeCAPWAPTimers                  ElementType = 12
	TypeDataTransferData              ElementType = 13
	TypeDataTransferMode              ElementType = 14
	TypeDecryptionErrorReport         ElementType = 15
	TypeDecryptionErrorReportPeriod   ElementType = 16
	TypeDeleteMACACLEntry             ElementType = 17
	TypeDeleteStation                 ElementType = 18
	TypeDiscoveryType                 ElementType = 20
	TypeDuplicateIPv4Address          ElementType = 21
	TypeDuplicateIPv6Address          ElementType = 22
	TypeIdleTimeout                   ElementType = 23
	TypeImageData                     ElementType = 24
	TypeImageIdentifier               ElementType = 25
	TypeImageInformation              ElementType = 26
	TypeInitiateDownload              ElementType = 27
	TypeLocationData                  ElementType = 28
	TypeMaximumMessageLength          ElementType = 29
	TypeCAPWAPLocalIPv4Address        ElementType = 30
	TypeRadioAdministrativeState      ElementType = 31
	TypeRadioOperationalState         ElementType = 32
	TypeResultCode                    ElementType = 33
	TypeReturnedMessageElement        ElementType = 34
	TypeSessionID                     ElementType = 35
	TypeStatisticsTimer               ElementType = 36
	TypeVendorSpecificPayload         ElementType = 37
	TypeWTPBoardData                  ElementType = 38
	TypeWTPDescriptor                 ElementType = 39
	TypeWTPFallback                   ElementType = 40
	TypeWTPFrameTunnelMode            ElementType = 41
	TypeWTPMACType                    ElementType = 44
	TypeWTPName                       ElementType = 45
	TypeWTPRadioStatistics            ElementType = 47
	TypeWTPRebootStatistics           ElementType = 48
	TypeWTPStaticIPAddressInformation ElementType = 49
	TypeCAPWAPLocalIPv6Address        ElementType = 50
	TypeCAPWAPTransportProtocol       ElementType = 51
	TypeMTUDiscoveryPadding           ElementType = 52
	TypeECNSupport                    ElementType = 53
)

// IEEE 802.11 binding message element types of RFC 5416 §6.
const (
	TypeIEEE80211AddWLAN               ElementType = 1024
	TypeIEEE80211Antenna               ElementType = 1025
	TypeIEEE80211AssignedWTPBSSID      ElementType = 1026
	TypeIEEE80211DeleteWLAN            ElementType = 1027
	TypeIEEE80211DirectSequenceControl ElementType = 1028
	TypeIEEE80211InformationElement    ElementType = 1029
	TypeIEEE80211MACOperation          ElementType = 1030
	TypeIEEE80211MICCountermeasures    ElementType = 1031
	TypeIEEE80211MultiDomainCapability ElementType = 1032
	TypeIEEE80211OFDMControl           ElementType = 1033
	TypeIEEE80211RateSet               ElementType = 1034
	TypeIEEE80211RSNAErrorReport       ElementType = 1035
	TypeIEEE80211Station               ElementType = 1036
	TypeIEEE80211StationQoSProfile     ElementType = 1037
	TypeIEEE80211StationSessionKey     ElementType = 1038
	TypeIEEE80211Statistics            ElementType = 1039
	TypeIEEE80211SupportedRates        ElementType = 1040
	TypeIEEE80211TxPower               ElementType = 1041
	TypeIEEE80211TxPowerLevel          ElementType = 1042
	TypeIEEE80211UpdateStationQoS      ElementType = 1043
	TypeIEEE80211UpdateWLAN            ElementType = 1044
	TypeIEEE80211WTPQoS                ElementType = 1045
	TypeIEEE80211WTPRadioConfiguration ElementType = 1046
	TypeIEEE80211WTPRadioFailAlarm     ElementType = 1047
	TypeIEEE80211WTPRadioInformation   ElementType = 1048
)

var elementNames = map[ElementType]string{
	TypeACDescriptor: "AC Descriptor", TypeACIPv4List: "AC IPv4 List", TypeACIPv6List: "AC IPv6 List",
	TypeACName: "AC Name", TypeACNameWithPriority: "AC Name with Priority", TypeACTimestamp: "AC Timestamp",
	TypeAddMACACLEntry: "Add MAC ACL Entry", TypeAddStation: "Add Station",
	TypeCAPWAPControlIPv4Address: "CAPWAP Control IPv4 Address", TypeCAPWAPControlIPv6Address: "CAPWAP Control IPv6 Address",
	TypeCAPWAPTimers: "CAPWAP Timers", TypeDataTransferData: "Data Transfer Data", TypeDataTransferMode: "Data Transfer Mode",
	TypeDecryptionErrorReport: "Decryption Error Report", TypeDecryptionErrorReportPeriod: "Decryption Error Report Period",
	TypeDeleteMACACLEntry: "Delete MAC ACL Entry", TypeDeleteStation: "Delete Station", TypeDiscoveryType: "Discovery Type",
	TypeDuplicateIPv4Address: "Duplicate IPv4 Address", TypeDuplicateIPv6Address: "Duplicate IPv6 Address",
	TypeIdleTimeout: "Idle Timeout", TypeImageData: "Image Data", TypeImageIdentifier: "Image Identifier",
	TypeImageInformation: "Image Information", TypeInitiateDownload: "Initiate Download", TypeLocationData: "Location Data",
	TypeMaximumMessageLength: "Maximum Message Length", TypeCAPWAPLocalIPv4Address: "CAPWAP Local IPv4 Address",
	TypeRadioAdministrativeState: "Radio Administrative State", TypeRadioOperationalState: "Radio Operational State",
	TypeResultCode: "Result Code", TypeReturnedMessageElement: "Returned Message Element", TypeSessionID: "Session ID",
	TypeStatisticsTimer: "Statistics Timer", TypeVendorSpecificPayload: "Vendor Specific Payload",
	TypeWTPBoardData: "WTP Board Data", TypeWTPDescriptor: "WTP Descriptor", TypeWTPFallback: "WTP Fallback",
	TypeWTPFrameTunnelMode: "WTP Frame Tunnel Mode", TypeWTPMACType: "WTP MAC Type", TypeWTPName: "WTP Name",
	TypeWTPRadioStatistics: "WTP Radio Statistics", TypeWTPRebootStatistics: "WTP Reboot Statistics",
	TypeWTPStaticIPAddressInformation: "WTP Static IP Address Information",
	TypeCAPWAPLocalIPv6Address:        "CAPWAP Local IPv6 Address", TypeCAPWAPTransportProtocol: "CAPWAP Transport Protocol",
	TypeMTUDiscoveryPadding: "MTU Discovery Padding", TypeECNSupport: "ECN Support",
	TypeIEEE80211AddWLAN: "IEEE 802.11 Add WLAN", TypeIEEE80211Antenna: "IEEE 802.11 Antenna",
	TypeIEEE80211AssignedWTPBSSID: "IEEE 802.11 Assigned WTP BSSID", TypeIEEE80211DeleteWLAN: "IEEE 802.11 Delete WLAN",
	TypeIEEE80211DirectSequenceControl: "IEEE 802.11 Direct Sequence Control",
	TypeIEEE80211InformationElement:    "IEEE 802.11 Information Element", TypeIEEE80211MACOperation: "IEEE 802.11 MAC Operation",
	TypeIEEE80211MICCountermeasures:    "IEEE 802.11 MIC Countermeasures",
	TypeIEEE80211MultiDomainCapability: "IEEE 802.11 Multi-Domain Capability", TypeIEEE80211OFDMControl: "IEEE 802.11 OFDM Control",
	TypeIEEE80211RateSet: "IEEE 802.11 Rate Set", TypeIEEE80211RSNAErrorReport: "IEEE 802.11 RSNA Error Report From Station",
	TypeIEEE80211Station: "IEEE 802.11 Station", TypeIEEE80211StationQoSProfile: "IEEE 802.11 Station QoS Profile",
	TypeIEEE80211StationSessionKey: "IEEE 802.11 Station Session Key", TypeIEEE80211Statistics: "IEEE 802.11 Statistics",
	TypeIEEE80211SupportedRates: "IEEE 802.11 Supported Rates", TypeIEEE80211TxPower: "IEEE 802.11 Tx Power",
	TypeIEEE80211TxPowerLevel: "IEEE 802.11 Tx Power Level", TypeIEEE80211UpdateStationQoS: "IEEE 802.11 Update Station QoS",
	TypeIEEE80211UpdateWLAN: "IEEE 802.11 Update WLAN", TypeIEEE80211WTPQoS: "IEEE 802.11 WTP Quality of Service",
	TypeIEEE80211WTPRadioConfiguration: "IEEE 802.11 WTP Radio Configuration",
	TypeIEEE80211WTPRadioFailAlarm:     "IEEE 802.11 WTP Radio Fail Alarm Indication",
	TypeIEEE80211WTPRadioInformation:   "IEEE 802.11 WTP Radio Information",
}

func (t ElementType) String() string {
	if s, ok := elementNames[t]; ok {
		return s
	}
	return "Element Type " + strconv.FormatUint(uint64(t), 10)
}
