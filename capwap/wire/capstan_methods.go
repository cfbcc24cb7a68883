package wire

// Element methods of capstan's vendor elements: each is a Vendor Specific
// Payload (RFC 5415 §4.6.39) from EnterpriseNumber whose data is attributes.

// Type returns TypeVendorSpecificPayload.
func (*CertificateRequest) Type() ElementType { return TypeVendorSpecificPayload }

// VendorID returns EnterpriseNumber.
func (*CertificateRequest) VendorID() uint32 { return EnterpriseNumber }

// VendorElementID returns CapstanCertificateRequest.
func (*CertificateRequest) VendorElementID() uint16 { return CapstanCertificateRequest }

// AppendBinary appends the vendor header and the attributes.
func (e *CertificateRequest) AppendBinary(b []byte) ([]byte, error) {
	return appendCapstan(b, CapstanCertificateRequest, e)
}

// UnmarshalBinary decodes a Vendor Specific Payload value.
func (e *CertificateRequest) UnmarshalBinary(v []byte) error {
	return unmarshalCapstan(v, CapstanCertificateRequest, e)
}

// Type returns TypeVendorSpecificPayload.
func (*Certificate) Type() ElementType { return TypeVendorSpecificPayload }

// VendorID returns EnterpriseNumber.
func (*Certificate) VendorID() uint32 { return EnterpriseNumber }

// VendorElementID returns CapstanCertificate.
func (*Certificate) VendorElementID() uint16 { return CapstanCertificate }

// AppendBinary appends the vendor header and the attributes.
func (e *Certificate) AppendBinary(b []byte) ([]byte, error) {
	return appendCapstan(b, CapstanCertificate, e)
}

// UnmarshalBinary decodes a Vendor Specific Payload value.
func (e *Certificate) UnmarshalBinary(v []byte) error {
	return unmarshalCapstan(v, CapstanCertificate, e)
}

// Type returns TypeVendorSpecificPayload.
func (*LockInfo) Type() ElementType { return TypeVendorSpecificPayload }

// VendorID returns EnterpriseNumber.
func (*LockInfo) VendorID() uint32 { return EnterpriseNumber }

// VendorElementID returns CapstanLock.
func (*LockInfo) VendorElementID() uint16 { return CapstanLock }

// AppendBinary appends the vendor header and the attributes.
func (e *LockInfo) AppendBinary(b []byte) ([]byte, error) { return appendCapstan(b, CapstanLock, e) }

// UnmarshalBinary decodes a Vendor Specific Payload value.
func (e *LockInfo) UnmarshalBinary(v []byte) error { return unmarshalCapstan(v, CapstanLock, e) }

// Type returns TypeVendorSpecificPayload.
func (*RadioCapabilities) Type() ElementType { return TypeVendorSpecificPayload }

// VendorID returns EnterpriseNumber.
func (*RadioCapabilities) VendorID() uint32 { return EnterpriseNumber }

// VendorElementID returns CapstanRadioCapabilities.
func (*RadioCapabilities) VendorElementID() uint16 { return CapstanRadioCapabilities }

// AppendBinary appends the vendor header and the attributes.
func (e *RadioCapabilities) AppendBinary(b []byte) ([]byte, error) {
	return appendCapstan(b, CapstanRadioCapabilities, e)
}

// UnmarshalBinary decodes a Vendor Specific Payload value.
func (e *RadioCapabilities) UnmarshalBinary(v []byte) error {
	return unmarshalCapstan(v, CapstanRadioCapabilities, e)
}

// Type returns TypeVendorSpecificPayload.
func (*WLANSecurity) Type() ElementType { return TypeVendorSpecificPayload }

// VendorID returns EnterpriseNumber.
func (*WLANSecurity) VendorID() uint32 { return EnterpriseNumber }

// VendorElementID returns CapstanWLANSecurity.
func (*WLANSecurity) VendorElementID() uint16 { return CapstanWLANSecurity }

// AppendBinary appends the vendor header and the attributes.
func (e *WLANSecurity) AppendBinary(b []byte) ([]byte, error) {
	return appendCapstan(b, CapstanWLANSecurity, e)
}

// UnmarshalBinary decodes a Vendor Specific Payload value.
func (e *WLANSecurity) UnmarshalBinary(v []byte) error {
	return unmarshalCapstan(v, CapstanWLANSecurity, e)
}

// Type returns TypeVendorSpecificPayload.
func (*Datapath) Type() ElementType { return TypeVendorSpecificPayload }

// VendorID returns EnterpriseNumber.
func (*Datapath) VendorID() uint32 { return EnterpriseNumber }

// VendorElementID returns CapstanDatapath.
func (*Datapath) VendorElementID() uint16 { return CapstanDatapath }

// AppendBinary appends the vendor header and the attributes.
func (e *Datapath) AppendBinary(b []byte) ([]byte, error) {
	return appendCapstan(b, CapstanDatapath, e)
}

// UnmarshalBinary decodes a Vendor Specific Payload value.
func (e *Datapath) UnmarshalBinary(v []byte) error { return unmarshalCapstan(v, CapstanDatapath, e) }

// Type returns TypeVendorSpecificPayload.
func (*AccessVerdict) Type() ElementType { return TypeVendorSpecificPayload }

// VendorID returns EnterpriseNumber.
func (*AccessVerdict) VendorID() uint32 { return EnterpriseNumber }

// VendorElementID returns CapstanAccessVerdict.
func (*AccessVerdict) VendorElementID() uint16 { return CapstanAccessVerdict }

// AppendBinary appends the vendor header and the attributes.
func (e *AccessVerdict) AppendBinary(b []byte) ([]byte, error) {
	return appendCapstan(b, CapstanAccessVerdict, e)
}

// UnmarshalBinary decodes a Vendor Specific Payload value.
func (e *AccessVerdict) UnmarshalBinary(v []byte) error {
	return unmarshalCapstan(v, CapstanAccessVerdict, e)
}

// Type returns TypeVendorSpecificPayload.
func (*Survey) Type() ElementType { return TypeVendorSpecificPayload }

// VendorID returns EnterpriseNumber.
func (*Survey) VendorID() uint32 { return EnterpriseNumber }

// VendorElementID returns CapstanSurvey.
func (*Survey) VendorElementID() uint16 { return CapstanSurvey }

// AppendBinary appends the vendor header and the attributes.
func (e *Survey) AppendBinary(b []byte) ([]byte, error) { return appendCapstan(b, CapstanSurvey, e) }

// UnmarshalBinary decodes a Vendor Specific Payload value.
func (e *Survey) UnmarshalBinary(v []byte) error { return unmarshalCapstan(v, CapstanSurvey, e) }

// Type returns TypeVendorSpecificPayload.
func (*Enrollment) Type() ElementType { return TypeVendorSpecificPayload }

// VendorID returns EnterpriseNumber.
func (*Enrollment) VendorID() uint32 { return EnterpriseNumber }

// VendorElementID returns CapstanEnrollment.
func (*Enrollment) VendorElementID() uint16 { return CapstanEnrollment }

// AppendBinary appends the vendor header and the attributes.
func (e *Enrollment) AppendBinary(b []byte) ([]byte, error) {
	return appendCapstan(b, CapstanEnrollment, e)
}

// UnmarshalBinary decodes a Vendor Specific Payload value.
func (e *Enrollment) UnmarshalBinary(v []byte) error {
	return unmarshalCapstan(v, CapstanEnrollment, e)
}

// Type returns TypeVendorSpecificPayload.
func (*Station) Type() ElementType { return TypeVendorSpecificPayload }

// VendorID returns EnterpriseNumber.
func (*Station) VendorID() uint32 { return EnterpriseNumber }

// VendorElementID returns CapstanStation.
func (*Station) VendorElementID() uint16 { return CapstanStation }

// AppendBinary appends the vendor header and the attributes.
func (e *Station) AppendBinary(b []byte) ([]byte, error) { return appendCapstan(b, CapstanStation, e) }

// UnmarshalBinary decodes a Vendor Specific Payload value.
func (e *Station) UnmarshalBinary(v []byte) error { return unmarshalCapstan(v, CapstanStation, e) }

// Type returns TypeVendorSpecificPayload.
func (*RadioConfig) Type() ElementType { return TypeVendorSpecificPayload }

// VendorID returns EnterpriseNumber.
func (*RadioConfig) VendorID() uint32 { return EnterpriseNumber }

// VendorElementID returns CapstanRadioConfig.
func (*RadioConfig) VendorElementID() uint16 { return CapstanRadioConfig }

// AppendBinary appends the vendor header and the attributes.
func (e *RadioConfig) AppendBinary(b []byte) ([]byte, error) {
	return appendCapstan(b, CapstanRadioConfig, e)
}

// UnmarshalBinary decodes a Vendor Specific Payload value.
func (e *RadioConfig) UnmarshalBinary(v []byte) error {
	return unmarshalCapstan(v, CapstanRadioConfig, e)
}

// Type returns TypeVendorSpecificPayload.
func (*Refusal) Type() ElementType { return TypeVendorSpecificPayload }

// VendorID returns EnterpriseNumber.
func (*Refusal) VendorID() uint32 { return EnterpriseNumber }

// VendorElementID returns CapstanRefusal.
func (*Refusal) VendorElementID() uint16 { return CapstanRefusal }

// AppendBinary appends the vendor header and the attributes.
func (e *Refusal) AppendBinary(b []byte) ([]byte, error) { return appendCapstan(b, CapstanRefusal, e) }

// UnmarshalBinary decodes a Vendor Specific Payload value.
func (e *Refusal) UnmarshalBinary(v []byte) error { return unmarshalCapstan(v, CapstanRefusal, e) }

// Type returns TypeVendorSpecificPayload.
func (*Platform) Type() ElementType { return TypeVendorSpecificPayload }

// VendorID returns EnterpriseNumber.
func (*Platform) VendorID() uint32 { return EnterpriseNumber }

// VendorElementID returns CapstanPlatform.
func (*Platform) VendorElementID() uint16 { return CapstanPlatform }

// AppendBinary appends the vendor header and the attributes.
func (e *Platform) AppendBinary(b []byte) ([]byte, error) {
	return appendCapstan(b, CapstanPlatform, e)
}

// UnmarshalBinary decodes a Vendor Specific Payload value.
func (e *Platform) UnmarshalBinary(v []byte) error { return unmarshalCapstan(v, CapstanPlatform, e) }
