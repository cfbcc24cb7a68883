package model

// Resource describes one menu of the configuration.
type Resource struct {
	Name string
	Help string
	// Fields in the order print shows them; "name", "disabled" and
	// "comment" are among them where the resource has them.
	Fields []Field
	// Named items are referenced by their unique name.
	Named bool
	// Ordered items are evaluated first to last; they can be moved.
	Ordered bool
	// Singleton resources hold exactly one item: set, never add or remove.
	Singleton bool
}

// Field returns the field with key k.
func (r *Resource) Field(k string) (Field, bool) {
	for _, f := range r.Fields {
		if f.Key == k {
			return f, true
		}
	}
	return Field{}, false
}

// HasField reports whether r has a field k.
func (r *Resource) HasField(k string) bool {
	_, ok := r.Field(k)
	return ok
}

// Bands CAPs and profiles name.
var Bands = []string{"2ghz", "5ghz", "6ghz"}

// Rates in Mbps as IEEE 802.11 legacy rates.
var Rates = []string{"1", "2", "5.5", "6", "9", "11", "12", "18", "24", "36", "48", "54"}

// Provisioning actions.
const (
	ActionCreateEnabled        = "create-enabled"
	ActionCreateDisabled       = "create-disabled"
	ActionCreateDynamicEnabled = "create-dynamic-enabled"
	ActionNone                 = "none"
)

// Access list actions.
const (
	ActionAccept      = "accept"
	ActionReject      = "reject"
	ActionQueryRADIUS = "query-radius"
)

// Data channel policies (manager data-channel).
const (
	DataChannelClear = "clear"
	DataChannelDTLS  = "dtls"
)

// Upgrade policies.
const (
	UpgradeNone               = "none"
	UpgradeSuggestSameVersion = "suggest-same-version"
	UpgradeRequireSameVersion = "require-same-version"
)

var (
	nameField     = Field{Key: "name", Kind: Ref, Help: "unique name"}
	disabledField = Field{Key: "disabled", Kind: Bool, Help: "a disabled item is ignored"}
	commentField  = Field{Key: "comment", Kind: String, Max: 255}
)

// Profile fields, without name and comment: these are also the inline
// settings ("channel.frequency") of configurations and interfaces.
var (
	channelFields = []Field{
		{Key: "frequency", Kind: Custom, List: true, Check: checkFrequency, Help: "allowed channel centre frequencies in MHz; one fixes the channel, several or none let the manager pick"},
		{Key: "band", Kind: Enum, Enum: Bands},
		{Key: "width", Kind: Enum, Enum: []string{"20", "40", "80", "160"}, Help: "channel width in MHz"},
		{Key: "tx-power", Kind: Int, Min: 1, Max: 40, Help: "dBm; unset: the regulatory maximum"},
		{Key: "skip-dfs-channels", Kind: Bool, Help: "never pick channels that need radar detection"},
		{Key: "reselect-interval", Kind: Custom, Check: checkDurationRange, Help: "pick the channel again after this long (1h) or at a random moment in a range (30m..1h)"},
		{Key: "save-selected", Kind: Bool, Help: "keep the picked channel across reconnects"},
	}
	datapathFields = []Field{
		{Key: "bridge", Kind: Custom, Check: checkBridge, Help: "bridge the CAP adds the interface to"},
		{Key: "local-forwarding", Kind: Bool, Help: "clients' traffic stays on the CAP (no manager forwarding)"},
		{Key: "client-to-client-forwarding", Kind: Bool},
		{Key: "vlan-id", Kind: Int, Min: 1, Max: 4094},
		{Key: "vlan-mode", Kind: Enum, Enum: []string{"use-tag", "no-tag"}},
	}
	securityFields = []Field{
		{Key: "authentication-types", Kind: Enum, List: true, Enum: []string{"wpa2-psk", "wpa3-psk", "wpa2-eap"}, Help: "unset: open network"},
		{Key: "passphrase", Kind: Custom, Check: checkPassphrase},
		{Key: "radius-server", Kind: Custom, List: true, Check: checkRADIUSServer, Help: "RADIUS servers for wpa2-eap, address[:port]"},
		{Key: "radius-secret", Kind: Secret, Min: 1, Max: 128},
	}
	ratesFields = []Field{
		{Key: "basic", Kind: Enum, List: true, Enum: Rates, Help: "basic rates in Mbps"},
		{Key: "supported", Kind: Enum, List: true, Enum: Rates, Help: "supported rates in Mbps"},
	}
	// configurationOwnFields are the configuration profile's own settings;
	// interfaces override them as "configuration.<key>".
	configurationOwnFields = []Field{
		{Key: "ssid", Kind: Custom, Check: checkSSID},
		{Key: "hide-ssid", Kind: Bool},
		{Key: "country", Kind: Custom, Check: checkCountry},
		{Key: "max-sta-count", Kind: Int, Min: 1, Max: 2007},
	}
)

// Profiles are the kinds of profile a configuration or an interface
// references, each with its inline prefix.
var Profiles = []string{"channel", "datapath", "security", "rates"}

func profileFields(kind string) []Field {
	switch kind {
	case "channel":
		return channelFields
	case "datapath":
		return datapathFields
	case "security":
		return securityFields
	case "rates":
		return ratesFields
	}
	return nil
}

// inline is the profile references and "<profile>.<key>" settings.
func inline() []Field {
	var out []Field
	for _, p := range Profiles {
		out = append(out, Field{Key: p, Kind: Ref, Ref: p})
	}
	for _, p := range Profiles {
		for _, f := range profileFields(p) {
			f.Key = p + "." + f.Key
			out = append(out, f)
		}
	}
	return out
}

func profile(name, help string, fields []Field) *Resource {
	return &Resource{Name: name, Help: help, Named: true,
		Fields: append(append([]Field{nameField}, fields...), commentField)}
}

func prefixed(prefix string, fields []Field) []Field {
	out := make([]Field, len(fields))
	for i, f := range fields {
		f.Key = prefix + f.Key
		out[i] = f
	}
	return out
}

func concat(parts ...[]Field) []Field {
	var out []Field
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// Schema is every resource, in the order the configuration file lists
// them.
var Schema = []*Resource{
	{Name: "manager", Singleton: true, Help: "the manager's own settings",
		Fields: []Field{
			{Key: "upgrade-policy", Kind: Enum, Enum: []string{UpgradeNone, UpgradeSuggestSameVersion, UpgradeRequireSameVersion}},
			{Key: "package-path", Kind: String, Max: 4096, Help: "directory of agent packages (.ipk, .apk) offered to CAPs"},
			{Key: "data-channel", Kind: Enum, Enum: []string{DataChannelClear, DataChannelDTLS},
				Help: "the data channel of manager-forwarded clients: clear (default) or dtls, its own DTLS association with the session's certificates; applies to CAPs as they join"},
		}},
	profile("channel", "channel profiles", channelFields),
	profile("datapath", "datapath profiles", datapathFields),
	profile("security", "security profiles", securityFields),
	profile("rates", "rates profiles", ratesFields),
	{Name: "configuration", Named: true, Help: "configuration profiles: the SSID and the profiles an interface runs",
		Fields: concat([]Field{nameField}, configurationOwnFields, inline(), []Field{commentField})},
	{Name: "interface", Named: true, Help: "static interfaces: master (one per radio, by radio-mac) and slave (virtual AP)",
		Fields: concat([]Field{nameField,
			{Key: "radio-mac", Kind: MAC, Help: "the radio a master interface is bound to"},
			{Key: "master-interface", Kind: Ref, Ref: "interface", Help: "set on a slave interface"},
			{Key: "configuration", Kind: Ref, Ref: "configuration"},
		}, prefixed("configuration.", configurationOwnFields), inline(), []Field{disabledField, commentField})},
	{Name: "provisioning", Ordered: true, Help: "provisioning rules, first match wins",
		Fields: []Field{
			{Key: "radio-mac", Kind: MAC},
			{Key: "hw-supported-modes", Kind: Enum, List: true, Enum: Bands, Help: "match radios that support every listed band"},
			{Key: "identity-regexp", Kind: Regexp},
			{Key: "common-name-regexp", Kind: Regexp},
			{Key: "ip-address-ranges", Kind: Custom, List: true, Check: checkIPRange},
			{Key: "action", Kind: Enum, Enum: []string{ActionCreateEnabled, ActionCreateDisabled, ActionCreateDynamicEnabled, ActionNone}},
			{Key: "master-configuration", Kind: Ref, Ref: "configuration"},
			{Key: "slave-configurations", Kind: Ref, List: true, Ref: "configuration"},
			{Key: "name-format", Kind: Custom, Check: checkNameFormat, Help: "%I identity, %C common name, %R radio MAC; unset: prefix and a number"},
			{Key: "name-prefix", Kind: Ref, Help: "prepended to the formatted name (default cap)"},
			disabledField, commentField,
		}},
	{Name: "access-list", Ordered: true, Help: "access list, first match wins; no match accepts",
		Fields: []Field{
			{Key: "mac-address", Kind: MAC},
			{Key: "mac-address-mask", Kind: MAC, Help: "bits of mac-address that must match (default ff:ff:ff:ff:ff:ff)"},
			{Key: "interface", Kind: Ref, Help: "interface name"},
			{Key: "ssid-regexp", Kind: Regexp},
			{Key: "time", Kind: Custom, Check: checkTimeWindow, Help: "daily window and days, like 8h-17h,mon,tue,wed,thu,fri"},
			{Key: "signal-range", Kind: Custom, Check: checkSignalRange, Help: "dBm, like -80..120"},
			{Key: "action", Kind: Enum, Enum: []string{ActionAccept, ActionReject, ActionQueryRADIUS}},
			{Key: "radius-server", Kind: Custom, Check: checkRADIUSServer, Help: "for query-radius: address[:port]"},
			{Key: "radius-secret", Kind: Secret, Min: 1, Max: 128},
			{Key: "vlan-id", Kind: Int, Min: 1, Max: 4094},
			{Key: "vlan-mode", Kind: Enum, Enum: []string{"use-tag", "no-tag"}},
			{Key: "client-to-client-forwarding", Kind: Bool},
			{Key: "private-passphrase", Kind: Custom, Check: checkPassphrase},
			{Key: "ap-tx-limit", Kind: Int, Min: 1, Max: 10_000_000_000, Help: "bits/s to the client"},
			{Key: "client-tx-limit", Kind: Int, Min: 1, Max: 10_000_000_000, Help: "bits/s from the client"},
			disabledField, commentField,
		}},
}

// Lookup returns the resource called name.
func Lookup(name string) (*Resource, bool) {
	for _, r := range Schema {
		if r.Name == name {
			return r, true
		}
	}
	return nil, false
}

// IsSecret reports whether the field holds a secret that print redacts.
func (f Field) IsSecret() bool {
	return f.Kind == Secret || f.Key == "passphrase" || f.Key == "private-passphrase" ||
		len(f.Key) > 11 && f.Key[len(f.Key)-11:] == ".passphrase"
}
