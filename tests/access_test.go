package tests

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/hal"
	"github.com/capstan-wifi/capstan/hal/haltest"
)

// TestAccessListDecides runs the access list on clients associating with a
// CAP on fake radios: the first matching rule decides, a refused client is
// removed and banned on the CAP, a client no rule matches is accepted, and
// a change of the list removes connected clients it now refuses.
func TestAccessListDecides(t *testing.T) {
	srv, addr, _ := startManager(t, "core")
	configure(t, srv,
		"configuration add name=office ssid=office",
		"provisioning add action=create-dynamic-enabled master-configuration=office name-format=%I",
		"access-list add mac-address=02:00:00:00:01:01 action=reject comment=stolen",
		"access-list add mac-address=02:00:00:00:02:00 mac-address-mask=ff:ff:ff:ff:ff:00 action=accept",
		"access-list add signal-range=-120..-80 action=reject comment=too-weak",
		"access-list add interface=other action=reject")
	h := haltest.New(haltest.DualBand(1, "phy0", net.HardwareAddr{2, 0, 0, 0, 0, 0}))
	startRadioAgent(t, h, addr)
	waitFor(t, 5*time.Second, "office on the radio", func() bool { return strings.Contains(h.Render(), `ssid="office"`) })

	associate := func(mac string, signal int) net.HardwareAddr {
		m, _ := net.ParseMAC(mac)
		if err := h.Associate(hal.Station{RadioID: 1, WLANID: 1, Interface: "wlan0", MAC: m, Signal: signal}); err != nil {
			t.Fatal(err)
		}
		return m
	}
	stolen := associate("02:00:00:00:01:01", -40)    // rule 0: reject
	weakKnown := associate("02:00:00:00:02:07", -90) // rule 1 (mask) accepts before the signal rule
	weak := associate("02:00:00:00:03:01", -85)      // rule 2: reject
	fine := associate("02:00:00:00:03:02", -50)      // no rule: accept
	waitFor(t, 5*time.Second, "two clients refused", func() bool {
		r := h.Render()
		return strings.Contains(r, "kick "+stolen.String()+" ban=30s") && strings.Contains(r, "kick "+weak.String()+" ban=30s")
	})
	decisions := map[string]string{}
	waitFor(t, 5*time.Second, "decisions on the accepted clients", func() bool {
		for _, r := range srv.RegistrationTable() {
			decisions[r.MAC] = r.Access
		}
		return decisions[weakKnown.String()] != "" && decisions[fine.String()] != ""
	})
	rows := srv.RegistrationTable()
	if len(rows) != 2 || !strings.HasPrefix(decisions[weakKnown.String()], "accept (rule *") || decisions[fine.String()] != "accept (no rule)" {
		t.Errorf("registration table after decisions: %+v", rows)
	}
	if rows[0].Interface != "cap1/wlan0" {
		t.Errorf("interface = %q", rows[0].Interface)
	}
	// A banned client cannot come back at once.
	if err := h.Associate(hal.Station{RadioID: 1, WLANID: 1, Interface: "wlan0", MAC: stolen}); err == nil {
		t.Error("the refused client associated again")
	}
	// A change of the list is checked against connected clients: a rule
	// at the end refuses the client no rule matched; the same kind of rule
	// below the mask's accept leaves the weak known client alone until it
	// is moved to the top.
	changed := time.Now()
	configure(t, srv, "access-list add mac-address="+fine.String()+" action=reject")
	waitFor(t, 5*time.Second, "the connected client removed", func() bool { return strings.Contains(h.Render(), "kick "+fine.String()) })
	t.Logf("list change → connected client removed in %v", time.Since(changed).Round(time.Millisecond))
	configure(t, srv, "access-list add signal-range=-120..-70 action=reject")
	time.Sleep(300 * time.Millisecond)
	if strings.Contains(h.Render(), "kick "+weakKnown.String()) {
		t.Fatal("a rule below the accepting one removed the client")
	}
	configure(t, srv, "access-list move 5 destination=0")
	waitFor(t, 5*time.Second, "the weak client removed once the rule is first", func() bool {
		return strings.Contains(h.Render(), "kick "+weakKnown.String())
	})
	// The kick reaches the radio before the CAP reports the departure.
	waitFor(t, 5*time.Second, "no registration rows after the changes", func() bool { return len(srv.RegistrationTable()) == 0 })
}

// TestAccessListTimeWindow: a rule whose time window opens while a client
// is connected removes it at the opening, without any change of the list.
func TestAccessListTimeWindow(t *testing.T) {
	now := time.Now()
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	opens := now.Add(1500 * time.Millisecond).Truncate(time.Second).Add(time.Second) // whole seconds
	from := opens.Sub(midnight)
	if from >= 23*time.Hour {
		t.Skip("too close to midnight for a window of whole seconds today")
	}
	srv, addr, _ := startManager(t, "core")
	configure(t, srv,
		"configuration add name=office ssid=office",
		"provisioning add action=create-dynamic-enabled master-configuration=office",
		"access-list add mac-address=02:00:00:00:05:01 time="+from.String()+"-"+(from+time.Hour).String()+" action=reject comment=curfew")
	h := haltest.New(haltest.DualBand(1, "phy0", net.HardwareAddr{2, 0, 0, 0, 0, 0}))
	startRadioAgent(t, h, addr)
	waitFor(t, 5*time.Second, "office on the radio", func() bool { return strings.Contains(h.Render(), `ssid="office"`) })
	mac, _ := net.ParseMAC("02:00:00:00:05:01")
	if err := h.Associate(hal.Station{RadioID: 1, WLANID: 1, Interface: "wlan0", MAC: mac, Signal: -50}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the client admitted before the window", func() bool {
		rows := srv.RegistrationTable()
		return len(rows) == 1 && rows[0].Access == "accept (no rule)"
	})
	if time.Now().After(opens) {
		t.Skip("the machine was too slow to associate the client before the window opened")
	}
	waitFor(t, 10*time.Second, "the client removed as the window opens", func() bool { return strings.Contains(h.Render(), "kick "+mac.String()) })
	late := time.Since(opens)
	if late < 0 {
		t.Fatalf("the client was removed %v before the window opened", -late)
	}
	t.Logf("window opened → client removed %v later", late.Round(time.Millisecond))
}
