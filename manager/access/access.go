// Package access evaluates the access list: ordered rules matching a
// client's MAC (with a mask), the interface it joins, the SSID, the time
// of day and day of week and its signal, with the actions accept, reject
// and query-radius and the parameters an accepted client gets. The first
// enabled rule that matches decides; a client no rule matches is
// accepted, as in CAPsMAN.
package access

import (
	"net"
	"time"

	"github.com/capstan-wifi/capstan/manager/model"
)

// Client is a wireless client asking to join.
type Client struct {
	MAC       net.HardwareAddr
	Interface string // provisioned interface name
	SSID      string
	Signal    int // dBm; 0 unknown (never matches a signal range)
	Time      time.Time
}

// Verdict is the access list's decision for a client.
type Verdict struct {
	Action string // model.ActionAccept, ActionReject or ActionQueryRADIUS
	// Rule is the matching rule's ID, 0 when none matched.
	Rule int
	// Rule position in print order, -1 when none matched.
	Position int
	// For query-radius: the server and its secret.
	RADIUSServer, RADIUSSecret string
	// Parameters of an accepted client.
	VLANID                   int
	ClientToClient           *bool
	Passphrase               string
	APTxLimit, ClientTxLimit int64
}

// Decide runs the access list for c.
func Decide(cfg *model.Config, c Client) Verdict {
	for i, r := range cfg.Items("access-list") {
		if r.Disabled() || !Matches(r, c) {
			continue
		}
		v := Verdict{Action: r.String("action"), Rule: r.ID, Position: i,
			RADIUSServer: r.String("radius-server"), RADIUSSecret: r.String("radius-secret"),
			Passphrase: r.String("private-passphrase")}
		if v.Action == "" {
			v.Action = model.ActionAccept
		}
		if n, ok := r.Get("vlan-id").(int64); ok && r.String("vlan-mode") != "no-tag" {
			v.VLANID = int(n)
		}
		if b, ok := r.Get("client-to-client-forwarding").(bool); ok {
			v.ClientToClient = &b
		}
		v.APTxLimit, _ = r.Get("ap-tx-limit").(int64)
		v.ClientTxLimit, _ = r.Get("client-tx-limit").(int64)
		return v
	}
	return Verdict{Action: model.ActionAccept, Position: -1}
}

// NextChange is the first moment after now at which a time window of an
// enabled rule opens or closes, so that connected clients are decided
// again then; the zero time when no rule has one.
func NextChange(cfg *model.Config, now time.Time) time.Time {
	var next time.Time
	for _, r := range cfg.Items("access-list") {
		tw := r.String("time")
		if r.Disabled() || tw == "" {
			continue
		}
		w, err := model.ParseTimeWindow(tw)
		if err != nil {
			continue
		}
		if at := w.Next(now); !at.IsZero() && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	return next
}

// Matches reports whether rule r matches client c.
func Matches(r model.Item, c Client) bool {
	if mac := r.String("mac-address"); mac != "" {
		want, _ := net.ParseMAC(mac)
		mask := net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
		if m := r.String("mac-address-mask"); m != "" {
			mask, _ = net.ParseMAC(m)
		}
		if len(c.MAC) != 6 {
			return false
		}
		for i := range 6 {
			if c.MAC[i]&mask[i] != want[i]&mask[i] {
				return false
			}
		}
	}
	if ifname := r.String("interface"); ifname != "" && ifname != c.Interface {
		return false
	}
	if re := r.String("ssid-regexp"); re != "" && !model.Compiled(re).MatchString(c.SSID) {
		return false
	}
	if tw := r.String("time"); tw != "" {
		w, err := model.ParseTimeWindow(tw)
		if err != nil || !w.Contains(c.Time) {
			return false
		}
	}
	if sr := r.String("signal-range"); sr != "" {
		rg, err := model.ParseSignalRange(sr)
		if err != nil || c.Signal == 0 || c.Signal < rg.Min || c.Signal > rg.Max {
			return false
		}
	}
	return true
}
