package wire

// mandatory lists, per message type, the elements RFC 5415 §5–§9 and RFC
// 5416 §3 require; each inner list is satisfied by any one of its types (the
// IPv4/IPv6 address pairs). Types not listed require nothing checkable here.
var mandatory = map[MessageType][][]ElementType{
	DiscoveryRequest: {
		{TypeDiscoveryType}, {TypeWTPBoardData}, {TypeWTPDescriptor},
		{TypeWTPFrameTunnelMode}, {TypeWTPMACType},
	},
	DiscoveryResponse: {
		{TypeACDescriptor}, {TypeACName},
		{TypeCAPWAPControlIPv4Address, TypeCAPWAPControlIPv6Address},
	},
	JoinRequest: {
		{TypeLocationData}, {TypeWTPBoardData}, {TypeWTPDescriptor}, {TypeWTPName},
		{TypeSessionID}, {TypeWTPFrameTunnelMode}, {TypeWTPMACType}, {TypeECNSupport},
		{TypeCAPWAPLocalIPv4Address, TypeCAPWAPLocalIPv6Address},
	},
	JoinResponse: {
		{TypeResultCode}, {TypeACDescriptor}, {TypeACName}, {TypeECNSupport},
		{TypeCAPWAPControlIPv4Address, TypeCAPWAPControlIPv6Address},
		{TypeCAPWAPLocalIPv4Address, TypeCAPWAPLocalIPv6Address},
	},
	ConfigurationStatusRequest: {
		{TypeACName}, {TypeRadioAdministrativeState}, {TypeStatisticsTimer}, {TypeWTPRebootStatistics},
	},
	ConfigurationStatusResponse: {
		{TypeCAPWAPTimers}, {TypeDecryptionErrorReportPeriod}, {TypeIdleTimeout}, {TypeWTPFallback},
	},
	ChangeStateEventRequest:     {{TypeRadioOperationalState}, {TypeResultCode}},
	ChangeStateEventResponse:    {},
	ConfigurationUpdateResponse: {{TypeResultCode}},
	WTPEventResponse:            {},
	ResetRequest:                {{TypeImageIdentifier}},
	ResetResponse:               {},
}

// MissingMandatory returns the first element type m lacks among those its
// message type requires (RFC 5415 §5–§9), or 0 and false when none is
// missing. A receiver answers such a request with Result Code 20.
func (m *ControlMessage) MissingMandatory() (ElementType, bool) {
	for _, oneOf := range mandatory[m.Type] {
		found := false
		for _, t := range oneOf {
			if m.Element(t) != nil {
				found = true
				break
			}
		}
		if !found {
			return oneOf[0], true
		}
	}
	return 0, false
}
