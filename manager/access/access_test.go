package access

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/manager/model"
)

func list(t *testing.T, rules ...string) *model.Config {
	t.Helper()
	c := model.New()
	r, _ := model.Lookup("access-list")
	for _, line := range rules {
		raw := map[string]any{}
		for _, kv := range strings.Fields(line) {
			k, v, _ := strings.Cut(kv, "=")
			raw[k] = v
		}
		ch, err := model.ParseChange(r, raw)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		c.Add("access-list", ch, -1)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMatchersAndOrder(t *testing.T) {
	mac := func(s string) net.HardwareAddr { m, _ := net.ParseMAC(s); return m }
	// Wednesday 2026-11-25 10:30 UTC.
	wed := time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)
	base := Client{MAC: mac("02:00:00:00:aa:01"), Interface: "lobby1", SSID: "office", Signal: -60, Time: wed}
	tests := []struct {
		name   string
		rules  []string
		client func(Client) Client
		want   string // action and position: "reject@0", "accept@-1"
	}{
		{"empty list accepts", nil, nil, "accept@-1"},
		{"mac exact", []string{"mac-address=02:00:00:00:aa:01 action=reject"}, nil, "reject@0"},
		{"mac exact miss", []string{"mac-address=02:00:00:00:aa:02 action=reject"}, nil, "accept@-1"},
		{"mac with mask (OUI)", []string{"mac-address=02:00:00:ff:ff:ff mac-address-mask=ff:ff:ff:00:00:00 action=reject"}, nil, "reject@0"},
		{"mac with mask miss", []string{"mac-address=04:00:00:00:00:00 mac-address-mask=ff:ff:ff:00:00:00 action=reject"}, nil, "accept@-1"},
		{"interface", []string{"interface=lobby1 action=reject"}, nil, "reject@0"},
		{"interface miss", []string{"interface=lab1 action=reject"}, nil, "accept@-1"},
		{"ssid-regexp", []string{"ssid-regexp=^off action=reject"}, nil, "reject@0"},
		{"ssid-regexp miss", []string{"ssid-regexp=^guest$ action=reject"}, nil, "accept@-1"},
		{"time and day", []string{"time=8h-17h,mon,tue,wed,thu,fri action=reject"}, nil, "reject@0"},
		{"time miss (hour)", []string{"time=12h-17h action=reject"}, nil, "accept@-1"},
		{"time miss (day)", []string{"time=8h-17h,sat,sun action=reject"}, nil, "accept@-1"},
		{"signal in range", []string{"signal-range=-70..-50 action=reject"}, nil, "reject@0"},
		{"signal out of range", []string{"signal-range=-120..-80 action=reject"}, nil, "accept@-1"},
		{"unknown signal never matches a range", []string{"signal-range=-120..120 action=reject"}, func(c Client) Client { c.Signal = 0; return c }, "accept@-1"},
		{"first match wins", []string{"ssid-regexp=office action=accept", "action=reject"}, nil, "accept@0"},
		{"order: the reject first", []string{"action=reject", "ssid-regexp=office action=accept"}, nil, "reject@0"},
		{"disabled rule skipped", []string{"action=reject disabled=yes", "action=query-radius radius-server=192.0.2.1 radius-secret=s"}, nil, "query-radius@1"},
		{"all matchers", []string{"mac-address=02:00:00:00:aa:01 interface=lobby1 ssid-regexp=office time=10h-11h signal-range=-65..-55 action=reject"}, nil, "reject@0"},
		{"no action means accept", []string{"mac-address=02:00:00:00:aa:01 vlan-id=30"}, nil, "accept@0"},
	}
	for _, tt := range tests {
		c := base
		if tt.client != nil {
			c = tt.client(c)
		}
		v := Decide(list(t, tt.rules...), c)
		if got := v.Action + "@" + itoa(v.Position); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
	v := Decide(list(t, "mac-address=02:00:00:00:aa:01 vlan-id=30 client-to-client-forwarding=no private-passphrase=private-pass ap-tx-limit=1000000 client-tx-limit=500000"), base)
	if v.VLANID != 30 || v.ClientToClient == nil || *v.ClientToClient || v.Passphrase != "private-pass" || v.APTxLimit != 1000000 || v.ClientTxLimit != 500000 {
		t.Errorf("parameters: %+v", v)
	}
	if v := Decide(list(t, "vlan-id=30 vlan-mode=no-tag"), base); v.VLANID != 0 {
		t.Errorf("no-tag VLAN = %d", v.VLANID)
	}
}

func itoa(n int) string {
	if n < 0 {
		return "-1"
	}
	return string(rune('0' + n))
}

func TestNextChange(t *testing.T) {
	mon := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) // a Monday noon
	cfg := list(t, "mac-address=02:00:00:00:00:01 time=13h-14h action=reject",
		"time=12h30m-18h,tue action=reject",
		"time=12h15m-13h action=reject disabled=yes",
		"signal-range=-120..-80 action=reject")
	if got, want := NextChange(cfg, mon), mon.Add(time.Hour); !got.Equal(want) {
		t.Errorf("next change %v, want 13:00 (the disabled rule at 12:15 and Tuesday's window do not count)", got)
	}
	if got, want := NextChange(cfg, mon.Add(90*time.Minute)), mon.Add(2*time.Hour); !got.Equal(want) {
		t.Errorf("next change %v, want 14:00", got)
	}
	if got := NextChange(list(t, "signal-range=-120..-80 action=reject"), mon); !got.IsZero() {
		t.Errorf("a list without time windows changes at %v", got)
	}
}
