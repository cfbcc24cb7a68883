package tests

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// testForwarding runs the board's station through manager forwarding and
// back to local forwarding:
//   - manager forwarding (datapath local-forwarding=no bridge=brfwd): the
//     station's DHCP lease comes from a dnsmasq on the manager's bridge,
//     on the host, through hostapd's interface, the agent's forwarder, the
//     CAPWAP data channel and the manager's TAP; it pings across with
//     full-size frames (CAPWAP fragments) and downloads 4 MiB over HTTP;
//   - local forwarding (local-forwarding=yes bridge=brlocal): its lease
//     comes from a udhcpd on the CAP's own bridge.
//
// It follows testStation, which leaves the station refused by an
// access-list rule and banned by the CAP for 30 s.
func (b *board) testForwarding() {
	t := b.t
	const sta = "02:00:00:00:01:00"
	l := b.lab
	l.dhcpBridge(b.ns, "brfwd", "10.88.0")
	web := filepath.Join(l.dir, "web")
	if err := os.MkdirAll(web, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(web, "blob"), make([]byte, 4<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	l.start(b.ns, "httpd", "busybox", "httpd", "-f", "-p", "10.88.0.1:8080", "-h", web)
	b.con.must(`printf '#!/bin/sh\n[ "$1" = bound ] && ip addr add "$ip/$mask" dev "$interface"\nexit 0\n' > /tmp/udhcpc.sh && chmod +x /tmp/udhcpc.sh`, 30*time.Second)

	b.cli("access-list", "remove", "0")
	began := time.Now()
	b.cli("configuration", "set", "board", "datapath.local-forwarding=no", "datapath.bridge=brfwd")
	b.waitFor(t, 60*time.Second, "the manager's TAP for the board's interface in brfwd, carrier on", func() bool {
		out, _ := l.in(b.ns, "ip", "-o", "link", "show", "master", "brfwd")
		return strings.Contains(string(out), "LOWER_UP")
	})
	b.waitFor(t, 120*time.Second, "the station associated again and admitted", func() bool {
		out, _ := b.con.run("wpa_cli -i wlan1 status", 30*time.Second)
		if !strings.Contains(out, "wpa_state=COMPLETED") {
			return false
		}
		for _, r := range b.registrations() {
			if r.MAC == sta && r.Forwarded != nil && strings.HasPrefix(r.Access, "accept") {
				return true
			}
		}
		return false
	})
	addr := b.lease("10.88.0.")
	t.Logf("%s: manager forwarding: station leased %s from the manager side %.1f s after the change", b.spec.name, addr, time.Since(began).Seconds())
	// Each size must get through; a try that does not is repeated within
	// the bound (once on malta the emulated clock jumped and the CAP gave
	// its manager up in the middle: its WLAN stops until it rejoins).
	for _, size := range []string{"56", "1472"} {
		tries, failed := 0, ""
		b.waitFor(t, 120*time.Second, size+"-byte pings from the station to the manager's bridge", func() bool {
			tries++
			out, rc := b.con.run("ping -c 3 -W 5 -s "+size+" 10.88.0.1", 60*time.Second)
			if rc != 0 {
				failed = out
			}
			return rc == 0
		})
		if tries > 1 {
			t.Logf("%s: the %s-byte ping got through at try %d; the last failed try said:\n%s", b.spec.name, size, tries, failed)
		}
	}
	start := time.Now()
	out := b.con.must("wget -q -O - http://10.88.0.1:8080/blob | wc -c", 300*time.Second)
	if strings.TrimSpace(out) != "4194304" {
		t.Fatalf("the station downloaded %q bytes of 4194304 through the tunnel", out)
	}
	t.Logf("%s: 4 MiB over HTTP to the station through the tunnel in %.1f s", b.spec.name, time.Since(start).Seconds())
	for _, r := range b.registrations() {
		if r.MAC == sta && (r.Forwarded == nil || r.Forwarded.TxBytes < 4<<20) {
			t.Errorf("the station's forwarded counters %+v: want more than 4 MiB sent to it", r.Forwarded)
		}
	}

	// Local forwarding: the CAP's own bridge with a DHCP server on it.
	b.con.must(`brctl addbr brlocal && ip addr add 10.89.0.1/24 dev brlocal && ip link set brlocal up && `+
		`printf 'start 10.89.0.100\nend 10.89.0.150\ninterface brlocal\nlease_file /tmp/udhcpd.leases\noption subnet 255.255.255.0\n' > /tmp/udhcpd.conf && `+
		`touch /tmp/udhcpd.leases && udhcpd /tmp/udhcpd.conf`, 30*time.Second)
	b.con.must("ip addr flush dev wlan1", 30*time.Second)
	b.cli("configuration", "set", "board", "datapath.local-forwarding=yes", "datapath.bridge=brlocal")
	b.waitFor(t, 60*time.Second, "hostapd's interface in the CAP's bridge brlocal", func() bool {
		out, _ := b.con.run("ls /sys/class/net/brlocal/brif/", 30*time.Second)
		return strings.Contains(out, "wlan0")
	})
	addr = b.lease("10.89.0.")
	t.Logf("%s: local forwarding: station leased %s from the CAP side", b.spec.name, addr)
	if out, _ := l.in(b.ns, "ip", "-o", "link", "show", "master", "brfwd"); strings.Contains(string(out), "LOWER_UP") {
		t.Errorf("the manager's TAP kept its carrier after the interface went back to local forwarding:\n%s", out)
	}
}

// lease runs udhcpc on the station until wlan1 has an address starting
// with prefix, and returns it.
func (b *board) lease(prefix string) string {
	t := b.t
	re := regexp.MustCompile(`inet (` + regexp.QuoteMeta(prefix) + `[0-9]+)/`)
	var addr string
	b.waitFor(t, 90*time.Second, "a lease in "+prefix+"0/24 for the station", func() bool {
		_, _ = b.con.run("udhcpc -i wlan1 -n -q -t 3 -T 2 -s /tmp/udhcpc.sh", 60*time.Second)
		out, _ := b.con.run("ip -4 addr show dev wlan1", 30*time.Second)
		if m := re.FindStringSubmatch(out); m != nil {
			addr = m[1]
			return true
		}
		return false
	})
	return addr
}
