package model

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// build makes a configuration from CLI-style lines "<resource> k=v …"
// (add) and fails the test on any error.
func build(t *testing.T, lines ...string) *Config {
	t.Helper()
	c := New()
	for _, line := range lines {
		r, ch := lineChange(t, line)
		if r.Singleton {
			c.Set(r.Name, 0, ch)
		} else if _, err := c.Add(r.Name, ch, -1); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	return c
}

// lineChange parses "<resource> k=v …" into the resource and its change.
func lineChange(t *testing.T, line string) (*Resource, Change) {
	t.Helper()
	words := strings.Fields(line)
	r, ok := Lookup(words[0])
	if !ok {
		t.Fatalf("%s: no resource", line)
	}
	raw := map[string]any{}
	for _, kv := range words[1:] {
		k, v, _ := strings.Cut(kv, "=")
		raw[k] = v
	}
	ch, err := ParseChange(r, raw)
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return r, ch
}

// TestResolveLayering checks CAPsMAN's order for every layer: interface
// setting, interface's profile, configuration setting, configuration's
// profile; and interface configuration.* over the configuration.
func TestResolveLayering(t *testing.T) {
	profiles := []string{
		"channel name=ch-conf frequency=2412 width=20 tx-power=10",
		"channel name=ch-if frequency=2437 width=40",
		"security name=sec authentication-types=wpa2-psk passphrase=profile-pass",
	}
	tests := []struct {
		name  string
		conf  string // configuration line
		iface string // interface line
		want  map[string]any
	}{
		{"configuration profile only", "configuration name=c ssid=office channel=ch-conf", "interface name=i radio-mac=02:00:00:00:00:01 configuration=c",
			map[string]any{"ssid": "office", "channel.frequency": []string{"2412"}, "channel.width": "20", "channel.tx-power": int64(10)}},
		{"configuration setting over its profile", "configuration name=c ssid=office channel=ch-conf channel.frequency=2462", "interface name=i radio-mac=02:00:00:00:00:01 configuration=c",
			map[string]any{"ssid": "office", "channel.frequency": []string{"2462"}, "channel.width": "20", "channel.tx-power": int64(10)}},
		{"interface profile over configuration setting", "configuration name=c ssid=office channel=ch-conf channel.frequency=2462", "interface name=i radio-mac=02:00:00:00:00:01 configuration=c channel=ch-if",
			map[string]any{"ssid": "office", "channel.frequency": []string{"2437"}, "channel.width": "40", "channel.tx-power": int64(10)}},
		{"interface setting over everything", "configuration name=c ssid=office channel=ch-conf channel.frequency=2462", "interface name=i radio-mac=02:00:00:00:00:01 configuration=c channel=ch-if channel.frequency=2472 configuration.ssid=lobby",
			map[string]any{"ssid": "lobby", "channel.frequency": []string{"2472"}, "channel.width": "40", "channel.tx-power": int64(10)}},
		{"security from the configuration's profile, passphrase from the interface", "configuration name=c ssid=office security=sec", "interface name=i radio-mac=02:00:00:00:00:01 configuration=c security.passphrase=iface-pass",
			map[string]any{"ssid": "office", "security.authentication-types": []string{"wpa2-psk"}, "security.passphrase": "iface-pass"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := build(t, append(profiles, tt.conf, tt.iface)...)
			it, _ := c.Named("interface", "i")
			if diff := cmp.Diff(tt.want, c.Resolve(it)); diff != "" {
				t.Errorf("resolved (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseValues(t *testing.T) {
	tests := []struct {
		res, key, value string
		want            any
		err             string
	}{
		{"configuration", "ssid", "Office WiFi", "Office WiFi", ""},
		{"configuration", "ssid", strings.Repeat("x", 33), nil, "want 1 to 32 bytes"},
		{"configuration", "country", "pl", "PL", ""},
		{"configuration", "country", "POL", nil, "two-letter"},
		{"configuration", "max-sta-count", "2008", nil, "from 1 to 2007"},
		{"configuration", "hide-ssid", "yes", true, ""},
		{"configuration", "hide-ssid", "maybe", nil, "yes or no"},
		{"configuration", "channel.frequency", "5180,5200", []string{"5180", "5200"}, ""},
		{"configuration", "channel.frequency", "5190", nil, "channel frequency"},
		{"configuration", "channel.width", "80", "80", ""},
		{"configuration", "channel.width", "60", nil, "want one of 20, 40, 80, 160"},
		{"channel", "reselect-interval", "30m..1h", "30m..1h", ""},
		{"channel", "reselect-interval", "1h..30m", nil, "end not before"},
		{"security", "authentication-types", "wpa2-psk,wpa3-psk", []string{"wpa2-psk", "wpa3-psk"}, ""},
		{"security", "passphrase", "short", nil, "8 to 63"},
		{"security", "radius-server", "192.0.2.5", []string{"192.0.2.5:1812"}, ""},
		{"security", "radius-server", "radius.example", nil, "IP address"},
		{"datapath", "vlan-id", "4095", nil, "from 1 to 4094"},
		{"datapath", "bridge", "br-lan", "br-lan", ""},
		{"datapath", "bridge", "br/lan", nil, "interface name"},
		{"rates", "basic", "1,2,5.5,11", []string{"1", "2", "5.5", "11"}, ""},
		{"rates", "basic", "7", nil, "want one of"},
		{"interface", "radio-mac", "02:AA:bb:cc:dd:ee", "02:aa:bb:cc:dd:ee", ""},
		{"interface", "radio-mac", "02:aa", nil, "MAC address"},
		{"provisioning", "identity-regexp", "^ap-[0-9]+$", "^ap-[0-9]+$", ""},
		{"provisioning", "identity-regexp", "ap-(", nil, "bad regular expression"},
		{"provisioning", "ip-address-ranges", "192.0.2.0/24,198.51.100.10-198.51.100.20", []string{"192.0.2.0/24", "198.51.100.10-198.51.100.20"}, ""},
		{"provisioning", "ip-address-ranges", "192.0.2.20-192.0.2.10", nil, "range"},
		{"provisioning", "name-format", "%I-%R", "%I-%R", ""},
		{"provisioning", "name-format", "%X", nil, "unknown placeholder"},
		{"provisioning", "action", "create-dynamic-enabled", "create-dynamic-enabled", ""},
		{"provisioning", "action", "create", nil, "want one of"},
		{"access-list", "time", "8h-17h,mon,tue", "8h-17h,mon,tue", ""},
		{"access-list", "time", "8h-17h,someday", nil, "unknown day"},
		{"access-list", "signal-range", "-80..-40", "-80..-40", ""},
		{"access-list", "signal-range", "-40..-80", nil, "range in dBm"},
		{"access-list", "ap-tx-limit", "1000000", int64(1000000), ""},
		{"manager", "upgrade-policy", "require-same-version", "require-same-version", ""},
	}
	for _, tt := range tests {
		r, _ := Lookup(tt.res)
		ch, err := ParseChange(r, map[string]any{tt.key: tt.value})
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), tt.key) {
				t.Errorf("%s %s=%q: err %v, want one naming %s with %q", tt.res, tt.key, tt.value, err, tt.key, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %s=%q: %v", tt.res, tt.key, tt.value, err)
			continue
		}
		if diff := cmp.Diff(tt.want, ch[tt.key]); diff != "" {
			t.Errorf("%s %s=%q (-want +got):\n%s", tt.res, tt.key, tt.value, diff)
		}
	}
	r, _ := Lookup("configuration")
	if _, err := ParseChange(r, map[string]any{"colour": "blue"}); err == nil || !strings.Contains(err.Error(), "colour: unknown field") {
		t.Errorf("unknown field: %v", err)
	}
}

// TestValidateNamesTheField: every whole-configuration rule refuses with
// the item and the field.
func TestValidateNamesTheField(t *testing.T) {
	tests := []struct {
		lines []string
		want  string
	}{
		{[]string{"configuration ssid=x"}, "name: required"},
		{[]string{"configuration name=a", "configuration name=a"}, `name: "a" is taken`},
		{[]string{"configuration name=a channel=nope"}, `channel: no channel called "nope"`},
		{[]string{"configuration name=a ssid=x security.authentication-types=wpa2-psk"}, "security.passphrase: wpa2-psk needs a passphrase"},
		{[]string{"configuration name=a ssid=x security.authentication-types=wpa2-eap"}, "security.radius-server: wpa2-eap needs"},
		{[]string{"configuration name=a ssid=x security.authentication-types=wpa2-psk,wpa2-eap security.passphrase=12345678"}, "security.authentication-types"},
		{[]string{"configuration name=a channel.band=5ghz channel.frequency=2412"}, "channel.frequency: 2412 MHz is not in band 5ghz"},
		{[]string{"configuration name=a channel.frequency=2412 channel.width=80"}, "channel.width: 80 MHz is not available in 2ghz"},
		{[]string{"configuration name=a rates.basic=1,2 rates.supported=2,5.5"}, "rates.basic: 1 Mbps is basic but not supported"},
		{[]string{"interface name=i configuration.ssid=x"}, "radio-mac: a master interface needs"},
		{[]string{"interface name=m radio-mac=02:00:00:00:00:01", "interface name=s master-interface=m radio-mac=02:00:00:00:00:02"}, "radio-mac: a slave interface runs on its master's radio"},
		{[]string{"interface name=m radio-mac=02:00:00:00:00:01", "interface name=n radio-mac=02:00:00:00:00:01"}, "bound to interface \"m\" already"},
		{[]string{"provisioning action=create-enabled"}, "master-configuration: action create-enabled needs"},
		{[]string{"access-list action=query-radius"}, "radius-server: query-radius needs"},
		{[]string{"access-list mac-address-mask=ff:ff:ff:00:00:00"}, "mac-address-mask: set mac-address too"},
	}
	for _, tt := range tests {
		c := New()
		for _, line := range tt.lines {
			r, ch := lineChange(t, line)
			c.Add(r.Name, ch, -1)
		}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err %v, want %q", tt.lines, err, tt.want)
		}
	}
}

func TestRefsRenameRemoveMove(t *testing.T) {
	c := build(t,
		"security name=sec authentication-types=wpa2-psk passphrase=12345678",
		"configuration name=office ssid=office security=sec",
		"configuration name=guest ssid=guest",
		"provisioning identity-regexp=^a action=create-dynamic-enabled master-configuration=office slave-configurations=guest",
		"provisioning identity-regexp=^b action=create-dynamic-enabled master-configuration=guest",
	)
	i, err := c.Find("configuration", "guest")
	if err != nil || i != 1 {
		t.Fatalf("find by name: %d %v", i, err)
	}
	if i, err := c.Find("configuration", "*2"); err != nil || i != 0 {
		t.Errorf("find *2: %d %v", i, err)
	}
	if i, err := c.Find("provisioning", "1"); err != nil || c.Items("provisioning")[i].String("identity-regexp") != "^b" {
		t.Errorf("find by position: %d %v", i, err)
	}
	if _, err := c.Find("configuration", "nope"); err == nil {
		t.Error("found nope")
	}
	// Removing a profile in use is refused, naming the users.
	if err := c.Remove("configuration", 1); err == nil || !strings.Contains(err.Error(), "in use by provisioning *4, provisioning *5") {
		t.Errorf("remove in use: %v", err)
	}
	// A rename follows into every reference, lists included.
	c.Set("configuration", 1, Change{"name": "visitors"})
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	rules := c.Items("provisioning")
	if diff := cmp.Diff([]string{"visitors"}, rules[0].Strings("slave-configurations")); diff != "" {
		t.Errorf("slave-configurations (-want +got):\n%s", diff)
	}
	if got := rules[1].String("master-configuration"); got != "visitors" {
		t.Errorf("master-configuration = %q", got)
	}
	// Move the second rule first.
	c.Move("provisioning", 1, 0)
	if got := c.Items("provisioning")[0].String("identity-regexp"); got != "^b" {
		t.Errorf("after move first rule matches %q", got)
	}
	c.Move("provisioning", 0, 2)
	if got := c.Items("provisioning")[1].String("identity-regexp"); got != "^b" {
		t.Errorf("after move to the end last rule matches %q", got)
	}
}

func TestFileRoundTripAndStore(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var announced int
	s.Subscribe(func(*Config) { announced++ })
	r, _ := Lookup("configuration")
	ch, _ := ParseChange(r, map[string]any{"name": "office", "ssid": "Office", "channel.frequency": []any{"5180", "5200"}, "hide-ssid": true})
	if _, err := s.Update(func(c *Config) error { _, err := c.Add("configuration", ch, -1); return err }); err != nil {
		t.Fatal(err)
	}
	m, _ := Lookup("manager")
	mch, _ := ParseChange(m, map[string]any{"upgrade-policy": "suggest-same-version"})
	if _, err := s.Update(func(c *Config) error { c.Set("manager", 0, mch); return nil }); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, File))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"format": 1`, `"name": "office"`, `"channel.frequency": ["5180","5200"]`, `"upgrade-policy": "suggest-same-version"`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("file lacks %s:\n%s", want, data)
		}
	}
	// A change that does not validate leaves the file and the current
	// configuration alone and announces nothing.
	bad, _ := ParseChange(r, map[string]any{"name": "office"})
	if _, err := s.Update(func(c *Config) error { _, err := c.Add("configuration", bad, -1); return err }); err == nil {
		t.Fatal("duplicate name accepted")
	}
	after, _ := os.ReadFile(filepath.Join(dir, File))
	if string(after) != string(data) || announced != 2 {
		t.Errorf("refused change: file changed %v, announcements %d (want 2)", string(after) != string(data), announced)
	}
	// A leftover temp file of a crash is removed; the file reads back the same.
	leftover := filepath.Join(dir, "."+File+".tmp123")
	os.WriteFile(leftover, []byte(`{"format": 1, "next_id"`), 0o600)
	s2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Errorf("leftover temp file still there: %v", err)
	}
	again, _ := s2.Config().MarshalText()
	if diff := cmp.Diff(string(data), string(again)); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	// A damaged file is refused with where it is damaged.
	for _, damage := range []string{string(data[:len(data)/2]), strings.Replace(string(data), `"Office"`, `""`, 1), strings.Replace(string(data), `"id": 1`, `"id": 9`, 1)} {
		if _, err := Parse([]byte(damage)); err == nil {
			t.Errorf("damaged file accepted:\n%s", damage)
		}
	}
}

func TestWindowsAndRanges(t *testing.T) {
	w, err := ParseTimeWindow("22h-6h,fri")
	if err != nil {
		t.Fatal(err)
	}
	fri23 := time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC) // a Friday
	for _, tt := range []struct {
		at   time.Time
		want bool
	}{
		{fri23, true}, {fri23.Add(6 * time.Hour), true}, {fri23.Add(8 * time.Hour), false},
		{fri23.Add(-2 * time.Hour), false}, {fri23.Add(-24 * time.Hour), false},
	} {
		if got := w.Contains(tt.at); got != tt.want {
			t.Errorf("22h-6h,fri at %s = %v, want %v", tt.at.Format("Mon 15:04"), got, tt.want)
		}
	}
	day, _ := ParseTimeWindow("8h-17h")
	if !day.Contains(fri23.Add(-12*time.Hour)) || day.Contains(fri23) {
		t.Error("8h-17h every day")
	}
	for _, tt := range []struct {
		window string
		at     time.Time
		want   time.Time // zero: never changes
	}{
		{"22h-6h,fri", fri23, time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC)},                                      // closes Saturday 6:00
		{"22h-6h,fri", fri23.Add(8 * time.Hour), time.Date(2026, 12, 4, 22, 0, 0, 0, time.UTC)},                   // next Friday
		{"8h-17h", fri23, time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)},                                          // opens tomorrow
		{"8h-17h", time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC), time.Date(2026, 11, 27, 17, 0, 0, 0, time.UTC)}, // at the opening: the close
		{"8h-17h,sat,sun", fri23, time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)},
		{"0h-24h", fri23, time.Time{}}, // always open
		{"5h-5h", fri23, time.Time{}},  // never open
	} {
		w, err := ParseTimeWindow(tt.window)
		if err != nil {
			t.Fatal(err)
		}
		if got := w.Next(tt.at); !got.Equal(tt.want) {
			t.Errorf("%s after %s: next change %s, want %s", tt.window, tt.at.Format("Mon 15:04"), got.Format(time.DateTime), tt.want.Format(time.DateTime))
		}
	}
	r, _ := ParseIPRange("192.0.2.0/30")
	for ip, want := range map[string]bool{"192.0.2.0": true, "192.0.2.3": true, "192.0.2.4": false, "::ffff:192.0.2.1": true} {
		if got := r.Contains(mustAddr(t, ip)); got != want {
			t.Errorf("192.0.2.0/30 contains %s = %v", ip, got)
		}
	}
	if ChannelOf(2484) != 14 || ChannelOf(5825) != 165 || ChannelOf(5955) != 1 || ChannelOf(5190) != 0 {
		t.Error("ChannelOf")
	}
}
