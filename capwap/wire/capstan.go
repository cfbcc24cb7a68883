package wire

import (
	"net"
	"net/netip"
)

// Element IDs of capstan's vendor-specific elements (vendor EnterpriseNumber).
const (
	CapstanCertificateRequest uint16 = 1
	CapstanCertificate        uint16 = 2
	CapstanLock               uint16 = 3
	CapstanRadioCapabilities  uint16 = 4
	CapstanWLANSecurity       uint16 = 5
	CapstanDatapath           uint16 = 6
	CapstanAccessVerdict      uint16 = 7
	CapstanSurvey             uint16 = 8
	CapstanEnrollment         uint16 = 9
	CapstanStation            uint16 = 10
	CapstanRadioConfig        uint16 = 11
	CapstanRefusal            uint16 = 12
	CapstanPlatform           uint16 = 13
)

// newCapstanElement is the dispatch for capstan's vendor element IDs.
func newCapstanElement(id uint16) Element {
	switch id {
	case CapstanCertificateRequest:
		return new(CertificateRequest)
	case CapstanCertificate:
		return new(Certificate)
	case CapstanLock:
		return new(LockInfo)
	case CapstanRadioCapabilities:
		return new(RadioCapabilities)
	case CapstanWLANSecurity:
		return new(WLANSecurity)
	case CapstanDatapath:
		return new(Datapath)
	case CapstanAccessVerdict:
		return new(AccessVerdict)
	case CapstanSurvey:
		return new(Survey)
	case CapstanEnrollment:
		return new(Enrollment)
	case CapstanStation:
		return new(Station)
	case CapstanRadioConfig:
		return new(RadioConfig)
	case CapstanRefusal:
		return new(Refusal)
	case CapstanPlatform:
		return new(Platform)
	}
	return nil
}

// CertificateRequest carries a CAP's PKCS#10 certificate signing request
// (DER) to the manager during join, with the one-time password when the
// manager's enrollment policy asks for one. The private key never leaves
// the AP.
type CertificateRequest struct {
	CSR             []byte `capstan:"1"`
	OneTimePassword string `capstan:"2"`
}

// Certificate roles.
const (
	CertificateLeaf = 1 // the CAP's own certificate
	CertificateCA   = 2 // an issuing or root CA certificate
	CertificateCRL  = 3 // not a certificate: the CA's current CRL (DER), for the CAP to check managers against
)

// Certificate carries one DER certificate of the chain the manager issued;
// a chain is several of these elements, leaf first.
type Certificate struct {
	Role uint8  `capstan:"1"`
	DER  []byte `capstan:"2"`
}

// Enrollment states.
const (
	EnrollmentIssued   = 1 // the Certificate elements beside it are the new chain
	EnrollmentPending  = 2 // waiting for an administrator's approval; ask again later
	EnrollmentRefused  = 3 // wrong or expired one-time password, rejected, or not allowed
	EnrollmentRequired = 4 // the manager requires a certificate this CAP does not have
)

// Enrollment tells a CAP what became of its CertificateRequest, with a
// human-readable reason it logs.
type Enrollment struct {
	State   uint8  `capstan:"1"`
	Message string `capstan:"2"`
}

// LockInfo tells which manager CommonNames a CAP accepts: the lock it holds
// after its first verified connection, or a list set by hand.
type LockInfo struct {
	Locked      bool     `capstan:"1"`
	CommonNames []string `capstan:"2"`
}

// Bands of RadioCapabilities.
const (
	Band2GHz  = 1 << 0
	Band5GHz  = 1 << 1
	Band6GHz  = 1 << 2
	Band60GHz = 1 << 3
)

// DFS states of a channel (as nl80211 reports them).
const (
	DFSUsable      = 0
	DFSUnavailable = 1
	DFSAvailable   = 2
)

// Channel flags.
const (
	ChannelDisabled = 1 << 0
	ChannelNoIR     = 1 << 1 // no initiating radiation (passive scan only)
	ChannelRadar    = 1 << 2 // DFS required
	ChannelIndoor   = 1 << 3
)

// Channel is one channel a radio can use.
type Channel struct {
	FrequencyMHz uint32 `capstan:"1"`
	Flags        uint32 `capstan:"2"`
	DFSState     uint8  `capstan:"3"`
	MaxPowerMBm  int32  `capstan:"4"` // in 0.01 dBm
}

// InterfaceCombination is one nl80211 interface combination: how many
// interfaces of which types may coexist, on how many channels.
type InterfaceCombination struct {
	MaxInterfaces uint32   `capstan:"1"`
	NumChannels   uint32   `capstan:"2"`
	Types         []uint32 `capstan:"3"` // nl80211 interface types, one per limit
	Limits        []uint32 `capstan:"4"` // max interfaces of Types[i]
}

// RadioCapabilities describes a radio beyond RFC 5416's WTP Radio
// Information: bands, channels with DFS state and power, HT/VHT/HE
// capabilities and interface combinations.
type RadioCapabilities struct {
	RadioID       uint8                  `capstan:"1"`
	Phy           string                 `capstan:"2"` // e.g. "phy0"
	Bands         uint32                 `capstan:"3"`
	Channels      []Channel              `capstan:"4"`
	HTCapa        uint16                 `capstan:"5"`
	VHTCapa       uint32                 `capstan:"6"`
	HEPhyCapa     []byte                 `capstan:"7"`
	Combinations  []InterfaceCombination `capstan:"8"`
	MaxTxPowerMBm int32                  `capstan:"9"`
	AntennaMaskTx uint32                 `capstan:"10"`
	AntennaMaskRx uint32                 `capstan:"11"`
	// MAC is the radio's permanent address: provisioning rules and static
	// interfaces match it (CAPsMAN's radio-mac).
	MAC net.HardwareAddr `capstan:"12"`
}

// Security modes of WLANSecurity.
const (
	SecurityOpen     = 1
	SecurityWPA2PSK  = 2
	SecurityWPA3SAE  = 3
	SecurityWPA2WPA3 = 4 // transition mode: WPA2-PSK and WPA3-SAE
	SecurityWPA2EAP  = 5
)

// ClientPassphrase is a per-client passphrase (hostapd wpa_psk_file and
// sae_password with a MAC): MAC nil means any client that knows it.
type ClientPassphrase struct {
	MAC        net.HardwareAddr `capstan:"1"`
	Passphrase string           `capstan:"2"`
	VLAN       uint16           `capstan:"3"`
}

// RADIUSServer is an 802.1X authentication server for WPA2-Enterprise.
type RADIUSServer struct {
	Address netip.Addr `capstan:"1"`
	Port    uint16     `capstan:"2"`
	Secret  string     `capstan:"3"`
}

// WLANSecurity carries a WLAN's security beyond RFC 5416's Add WLAN: WPA3
// SAE, per-client passphrases, the VLAN and the RADIUS server.
type WLANSecurity struct {
	RadioID    uint8              `capstan:"1"`
	WLANID     uint8              `capstan:"2"`
	Mode       uint8              `capstan:"3"`
	Passphrase string             `capstan:"4"`
	Clients    []ClientPassphrase `capstan:"5"`
	VLAN       uint16             `capstan:"6"`
	RADIUS     []RADIUSServer     `capstan:"7"`
	MFP        uint8              `capstan:"8"` // 0 disabled, 1 optional, 2 required
}

// Datapath tells a CAP how a WLAN's client traffic flows: bridged locally
// (and where) or forwarded to the manager.
type Datapath struct {
	RadioID         uint8  `capstan:"1"`
	WLANID          uint8  `capstan:"2"`
	LocalForwarding bool   `capstan:"3"`
	Bridge          string `capstan:"4"`
	VLAN            uint16 `capstan:"5"`
	ClientToClient  bool   `capstan:"6"`
	MaxClients      uint16 `capstan:"7"`
}

// Access verdict actions.
const (
	AccessAccept = 1
	AccessReject = 2
	AccessQuery  = 3 // ask the manager per association
)

// AccessVerdict is the manager's decision on one client: accept (optionally
// on a VLAN, with a passphrase or rate limits) or reject.
type AccessVerdict struct {
	RadioID    uint8            `capstan:"1"`
	WLANID     uint8            `capstan:"2"`
	MAC        net.HardwareAddr `capstan:"3"`
	Action     uint8            `capstan:"4"`
	VLAN       uint16           `capstan:"5"`
	Passphrase string           `capstan:"6"`
	SignalMin  int8             `capstan:"7"` // dBm; below it the client is refused
	Reason     string           `capstan:"8"`
}

// SurveyEntry is one channel's survey as nl80211 reports it.
type SurveyEntry struct {
	FrequencyMHz uint32 `capstan:"1"`
	NoiseDBm     int8   `capstan:"2"`
	InUse        bool   `capstan:"3"`
	ActiveMs     uint64 `capstan:"4"`
	BusyMs       uint64 `capstan:"5"`
	RxMs         uint64 `capstan:"6"`
	TxMs         uint64 `capstan:"7"`
}

// Survey carries a radio's channel survey results, for channel selection,
// in a Configuration Status Request or a WTP Event Request. A Survey with
// Scan set asks the CAP to scan the radio's channels at Frequencies (all
// its channels when there are none) and report a fresh survey: in a Join
// Response, in its Configuration Status Request; in a Configuration
// Update Request, in a WTP Event Request.
type Survey struct {
	RadioID     uint8         `capstan:"1"`
	Entries     []SurveyEntry `capstan:"2"`
	Scan        bool          `capstan:"3"`
	Frequencies []uint32      `capstan:"4"` // MHz
}

// Station states.
const (
	StationAssociated    = 1 // joined the WLAN (after the key handshake on a secured WLAN)
	StationUpdated       = 2 // statistics of a station already reported
	StationDisassociated = 3 // left or was removed
)

// Station reports a wireless client of a CAP in a WTP Event Request: its
// association, fresh statistics, or its departure. RFC 5415's Delete
// Station carries only the MAC; the registration table needs the rest.
type Station struct {
	RadioID      uint8            `capstan:"1"`
	WLANID       uint8            `capstan:"2"`
	MAC          net.HardwareAddr `capstan:"3"`
	State        uint8            `capstan:"4"`
	Interface    string           `capstan:"5"`
	SSID         string           `capstan:"6"`
	Signal       int8             `capstan:"7"` // dBm
	SignalAvg    int8             `capstan:"8"`
	TxRateKbps   uint32           `capstan:"9"`
	RxRateKbps   uint32           `capstan:"10"`
	TxBytes      uint64           `capstan:"11"`
	RxBytes      uint64           `capstan:"12"`
	TxPackets    uint64           `capstan:"13"`
	RxPackets    uint64           `capstan:"14"`
	ConnectedSec uint32           `capstan:"15"`
	InactiveMs   uint32           `capstan:"16"`
}

// RadioConfig carries a radio's operating settings that RFC 5416's
// elements lack or split by PHY type: enabled, country, band, channel,
// width and transmit power. The manager sends it in the Configuration
// Status Response and in Configuration Update Requests.
type RadioConfig struct {
	RadioID    uint8  `capstan:"1"`
	Disabled   bool   `capstan:"2"`
	Country    string `capstan:"3"`
	Band       string `capstan:"4"` // "2g", "5g", "6g"; "" is the radio's first
	Channel    uint16 `capstan:"5"` // 0: the CAP picks
	WidthMHz   uint16 `capstan:"6"` // 20, 40, 80, 160; 0 is 20
	TxPowerDBm uint8  `capstan:"7"` // 0: the regulatory maximum
	// Legacy rates in 100 kb/s (10 = 1 Mb/s); none keeps the CAP's.
	BasicRates     []uint32 `capstan:"8"`
	SupportedRates []uint32 `capstan:"9"`
}

// Refusal says, beside a failure Result Code, which setting a CAP refused
// and why, so that the manager can show more than the code.
type Refusal struct {
	RadioID uint8  `capstan:"1"`
	WLANID  uint8  `capstan:"2"` // 0 for a radio setting
	Field   string `capstan:"3"`
	Reason  string `capstan:"4"`
}

// Platform tells the manager, in a Join Request, what agent packages a CAP
// can install: its package architecture (OpenWrt's DISTRIB_ARCH, such as
// mipsel_24kc; else the Go architecture) and its package manager ("opkg",
// "apk", or "" when it has none and cannot be upgraded).
type Platform struct {
	Arch           string `capstan:"1"`
	PackageManager string `capstan:"2"`
}
