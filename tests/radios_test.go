package tests

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/agent"
	"github.com/capstan-wifi/capstan/hal"
	"github.com/capstan-wifi/capstan/hal/haltest"
	"github.com/capstan-wifi/capstan/manager/controlplane"
)

// TestRadiosProvisionedStationsAndKick runs a manager and an agent on fake
// radios (haltest) over loopback: a configuration given by a provisioning
// rule reaches the radios, a live change is applied without a rejoin, a client shows in
// the registration table and registration-table remove kicks it, and a
// configuration the radio cannot run is refused with the reason shown.
func TestRadiosProvisionedStationsAndKick(t *testing.T) {
	srv, addr, _ := startManager(t, "core")
	configure(t, srv,
		"security add name=psk authentication-types=wpa2-psk passphrase=office-passphrase",
		"configuration add name=office ssid=office country=PL security=psk channel.frequency=2437",
		"provisioning add action=create-dynamic-enabled master-configuration=office")
	h := haltest.New(haltest.DualBand(1, "phy0", net.HardwareAddr{2, 0, 0, 0, 0, 0}))
	a := startRadioAgent(t, h, addr)
	waitFor(t, 5*time.Second, "the radio to run office", func() bool {
		return strings.Contains(h.Render(), `ssid="office" hidden=false security=wpa2-psk passphrase="office-passphrase"`)
	})
	if want := `radio 1 phy0 country="PL" band=2g channel=6 width=20 txpower=0`; !strings.Contains(h.Render(), want) {
		t.Fatalf("radio settings not applied: want %q in\n%s", want, h.Render())
	}
	if n := h.Restarts(1); n != 1 {
		t.Errorf("restarts after join = %d, want 1 (radio settings and WLAN in one apply)", n)
	}

	// A client associates: it reaches the registration table with its signal.
	sta := net.HardwareAddr{2, 0, 0, 0, 1, 0}
	if err := h.Associate(hal.Station{RadioID: 1, WLANID: 1, Interface: "wlan0", MAC: sta, Signal: -42, TxRateKbps: 54000, RxBytes: 1234, Connected: 3 * time.Second}); err != nil {
		t.Fatal(err)
	}
	row := waitStation(t, srv, sta.String())
	if row.SSID != "office" || row.Signal != -42 || row.Interface != "cap1/wlan0" || row.TxRateKbps != 54000 || row.RxBytes != 1234 {
		t.Errorf("registration = %+v", row)
	}

	// A live change: new SSID and channel in one push, one restart, no rejoin.
	joins := a.Status().Joins
	configure(t, srv, "configuration set office ssid=renamed channel.frequency=2462")
	waitFor(t, 5*time.Second, "the radio to run renamed on channel 11", func() bool {
		r := h.Render()
		return strings.Contains(r, `ssid="renamed"`) && strings.Contains(r, "channel=11")
	})
	if n := h.Restarts(1); n != 2 {
		t.Errorf("restarts after the change = %d, want 2", n)
	}
	if j := a.Status().Joins; j != joins {
		t.Errorf("joins went from %d to %d: the change was not live", joins, j)
	}
	// The restart dropped the client; it comes back on the new SSID.
	waitFor(t, 5*time.Second, "the old registration to go", func() bool { return len(srv.RegistrationTable()) == 0 })
	if err := h.Associate(hal.Station{RadioID: 1, WLANID: 1, Interface: "wlan0", MAC: sta, Signal: -40}); err != nil {
		t.Fatal(err)
	}
	if row := waitStation(t, srv, sta.String()); row.SSID != "renamed" {
		t.Errorf("after re-association SSID = %q, want renamed", row.SSID)
	}

	// registration-table remove kicks the client through the CAP.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.RemoveStation(ctx, sta); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.Render(), "action kick "+sta.String()) {
		t.Errorf("no kick in the radios:\n%s", h.Render())
	}
	if n := len(srv.RegistrationTable()); n != 0 {
		t.Errorf("registration table has %d rows after remove", n)
	}
	if err := srv.RemoveStation(ctx, sta); !errors.Is(err, controlplane.ErrNoStation) {
		t.Errorf("removing an absent client: %v, want ErrNoStation", err)
	}

	// A channel the radio lacks: refused, the reason shows, the radio keeps its state.
	before := h.Render()
	configure(t, srv, "configuration set office channel.frequency=5825")
	waitFor(t, 5*time.Second, "the refusal to show", func() bool {
		caps := srv.RemoteCaps()
		return len(caps) == 1 && caps[0].ConfigError != ""
	})
	if got := srv.RemoteCaps()[0].ConfigError; !strings.Contains(got, "radio 1 result 13") || !strings.Contains(got, "channel: radio phy0 has no channel 165 in 5g") {
		t.Errorf("config error = %q", got)
	}
	if after := h.Render(); after != before {
		t.Errorf("a refused configuration changed the radios:\n%s\nwas\n%s", after, before)
	}

	// A rates profile (no 802.11b) reaches the radio with a runnable channel.
	configure(t, srv, "rates add name=no11b basic=6,12,24 supported=6,9,12,18,24,36,48,54",
		"configuration set office channel.frequency=2437 rates=no11b")
	waitFor(t, 5*time.Second, "the rates on the radio", func() bool {
		return strings.Contains(h.Render(), "channel=6 width=20 txpower=0 basic-rates=[60 120 240] supported-rates=[60 90 120 180 240 360 480 540]")
	})
	waitFor(t, 5*time.Second, "the refusal cleared", func() bool { return srv.RemoteCaps()[0].ConfigError == "" })
}

func startRadioAgent(t *testing.T, h *haltest.HAL, addr string) *agent.Agent {
	t.Helper()
	a, _ := runAgent(t, radioAgentConfig(t, h, addr))
	return a
}

// radioAgentConfig is the configuration of agent cap1 on h, talking to
// the manager at addr.
func radioAgentConfig(t *testing.T, h *haltest.HAL, addr string) agent.Config {
	cfg := agent.DefaultConfig()
	cfg.Identity = "cap1"
	cfg.StateDir = t.TempDir()
	cfg.HAL = h
	cfg.Logger = testLogger(t)
	cfg.ManagerAddresses = []string{addr}
	cfg.Discovery = nil
	cfg.StationInterval = 200 * time.Millisecond
	cfg.Certificate = agent.CertificateNone // a manager without a PKI
	return cfg
}

func waitStation(t *testing.T, srv *controlplane.Server, mac string) controlplane.Registration {
	t.Helper()
	var row controlplane.Registration
	waitFor(t, 5*time.Second, "station "+mac+" in the registration table", func() bool {
		for _, r := range srv.RegistrationTable() {
			if r.MAC == mac {
				row = r
				return true
			}
		}
		return false
	})
	return row
}
