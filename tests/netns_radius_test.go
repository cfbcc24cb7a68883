package tests

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/hal"
	"github.com/capstan-wifi/capstan/hal/haltest"
	"github.com/capstan-wifi/capstan/manager/access"
)

// freeRADIUS is a FreeRADIUS server (Debian's) in a namespace of the lab,
// reachable from the test's own namespace through a veth pair.
type freeRADIUS struct {
	addr, secret string
}

// startFreeRADIUS runs freeradius -X with a minimal configuration: PAP
// against a users file that accepts knownMAC (as MAC authentication sends
// it) on VLAN 30, and requires Message-Authenticator.
func startFreeRADIUS(t *testing.T, l *lab, knownMAC string) freeRADIUS {
	t.Helper()
	subnet := fmt.Sprintf("198.18.%d", 100+int(l.id[0])%100)
	ns := l.node("radius", subnet+".2/24")
	host := "h" + l.id + "rad"
	l.must("ip", "link", "add", host, "type", "veth", "peer", "name", "hp"+l.id, "netns", l.sw)
	l.must("ip", "-n", l.sw, "link", "set", "hp"+l.id, "master", "br0", "up")
	l.must("ip", "addr", "add", subnet+".1/24", "dev", host)
	l.must("ip", "link", "set", host, "up")
	t.Cleanup(func() { _ = os.Remove("/sys/class/net/" + host) })

	dir := filepath.Join(l.dir, "raddb")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	fr := freeRADIUS{addr: subnet + ".2:1812", secret: "radius-test-secret"}
	conf := fmt.Sprintf(`prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = %[1]s
raddbdir = %[1]s
radacctdir = %[1]s
name = freeradius
confdir = %[1]s
run_dir = %[1]s
libdir = /usr/lib/freeradius
pidfile = %[1]s/radiusd.pid
security {
	allow_core_dumps = no
}
log {
	destination = stdout
}
client capstan {
	ipaddr = %[2]s.0/24
	secret = %[3]s
	require_message_authenticator = yes
}
modules {
	files {
		filename = %[1]s/authorize
	}
	pap {
	}
}
server default {
	listen {
		type = auth
		ipaddr = *
		port = 1812
	}
	authorize {
		files
		pap
	}
	authenticate {
		Auth-Type PAP {
			pap
		}
	}
	# FreeRADIUS 3.2.1 (Debian 12) signs answers with Message-Authenticator
	# only when told; capstan refuses answers without one (Blast-RADIUS).
	post-auth {
		update reply {
			Message-Authenticator := 0x00
		}
		Post-Auth-Type REJECT {
			update reply {
				Message-Authenticator := 0x00
			}
		}
	}
}
`, dir, subnet, fr.secret)
	users := fmt.Sprintf("%q Cleartext-Password := %q\n\tTunnel-Type = VLAN,\n\tTunnel-Medium-Type = IEEE-802,\n\tTunnel-Private-Group-Id = \"30\"\n", knownMAC, knownMAC)
	for name, body := range map[string]string{"radiusd.conf": conf, "authorize": users} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	l.start(ns, "freeradius", "freeradius", "-X", "-d", dir)
	waitFor(t, 15*time.Second, "FreeRADIUS ready", func() bool {
		b, _ := os.ReadFile(filepath.Join(l.dir, "freeradius.log"))
		return strings.Contains(string(b), "Ready to process requests")
	})
	return fr
}

// TestNetnsRADIUS checks query-radius against a real FreeRADIUS: the query
// on its own (accept with the VLAN, reject, wrong secret), then clients
// of a CAP on fake radios decided by it as they associate.
func TestNetnsRADIUS(t *testing.T) {
	requireNetns(t, "freeradius")
	l := newLab(t)
	known, _ := net.ParseMAC("02:00:00:00:aa:01")
	stranger, _ := net.ParseMAC("02:00:00:00:bb:02")
	fr := startFreeRADIUS(t, l, access.MACUserName(access.Client{MAC: known}))

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	ans, err := access.QueryRADIUS(ctx, fr.addr, fr.secret, "capstan-test", access.Client{MAC: known, Interface: "cap1", SSID: "office"})
	if err != nil || !ans.Accept || ans.VLANID != 30 {
		t.Fatalf("known client: %+v %v", ans, err)
	}
	t.Logf("Access-Accept with VLAN %d in %v", ans.VLANID, time.Since(start).Round(time.Microsecond))
	if ans, err := access.QueryRADIUS(ctx, fr.addr, fr.secret, "capstan-test", access.Client{MAC: stranger}); err != nil || ans.Accept {
		t.Errorf("unknown client: %+v %v, want Access-Reject", ans, err)
	}
	short, cancelShort := context.WithTimeout(ctx, 2500*time.Millisecond)
	if _, err := access.QueryRADIUS(short, fr.addr, "wrong-secret", "capstan-test", access.Client{MAC: known}); err == nil {
		t.Error("a wrong secret got an answer")
	}
	cancelShort()

	// The access list asks FreeRADIUS for every client of the office SSID.
	srv, addr, _ := startManager(t, "core")
	configure(t, srv,
		"configuration add name=office ssid=office",
		"provisioning add action=create-dynamic-enabled master-configuration=office",
		"access-list add ssid-regexp=^office$ action=query-radius radius-server="+fr.addr+" radius-secret="+fr.secret)
	h := haltest.New(haltest.DualBand(1, "phy0", net.HardwareAddr{2, 0, 0, 0, 0, 0}))
	startRadioAgent(t, h, addr)
	waitFor(t, 5*time.Second, "office on the radio", func() bool { return strings.Contains(h.Render(), `ssid="office"`) })
	for _, mac := range []net.HardwareAddr{known, stranger} {
		if err := h.Associate(hal.Station{RadioID: 1, WLANID: 1, Interface: "wlan0", MAC: mac, Signal: -50}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 10*time.Second, "the stranger refused", func() bool { return strings.Contains(h.Render(), "kick "+stranger.String()+" ban=30s") })
	waitFor(t, 10*time.Second, "the known client accepted", func() bool {
		rows := srv.RegistrationTable()
		return len(rows) == 1 && rows[0].MAC == known.String() && strings.HasPrefix(rows[0].Access, "radius accept")
	})
	b, _ := os.ReadFile(filepath.Join(l.dir, "freeradius.log"))
	if n := strings.Count(string(b), "Sent Access-Accept"); n < 2 {
		t.Errorf("FreeRADIUS logged %d Access-Accepts, want at least 2", n)
	}
}
