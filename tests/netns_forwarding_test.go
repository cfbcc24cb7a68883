package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNetnsManagerForwarding: a CAP's WLAN in manager forwarding, with a
// veth standing in for the WLAN's interface and a namespace for its
// client. The client's DHCP lease comes from a dnsmasq on the manager's
// bridge, through the CAP's forwarder, the CAPWAP data channel and the
// manager's TAP cap1; it pings the bridge with full-size packets (1472-byte
// ICMP payloads, so 1514-byte frames that travel in CAPWAP fragments over
// the 1500-byte underlay) and moves 4 MB of TCP. When the manager is
// killed the CAP stops the manager-forwarded WLAN.
func TestNetnsManagerForwarding(t *testing.T) { forwardingLab(t, fwdMode{}) }

// TestNetnsManagerForwardingDTLS: the same with manager data-channel=dtls.
// The CAP runs its data channel on a DTLS association of its own, and
// every packet on the data port, seen on the manager's underlay during the
// pings, is DTLS (CAPWAP preamble type 1): the clients' frames never cross
// in clear.
func TestNetnsManagerForwardingDTLS(t *testing.T) { forwardingLab(t, fwdMode{dtls: true}) }

// TestNetnsManagerForwardingLayer2: the same with the CAP joined over
// layer 2 (CAPWAP in EtherType 0x88B5 frames, found by layer-2 discovery),
// its clients' frames on the layer-2 data channel.
func TestNetnsManagerForwardingLayer2(t *testing.T) { forwardingLab(t, fwdMode{l2: true}) }

type fwdMode struct{ dtls, l2 bool }

func forwardingLab(t *testing.T, mode fwdMode) {
	dtls := mode.dtls
	requireNetns(t, "dnsmasq", "busybox", "iperf3", "ethtool")
	l := newLab(t)
	mgr := l.node("mgr", "10.83.0.1/24")
	capNS := l.node("cap", "10.83.0.2/24")
	cl := l.ns("cl")
	l.must("ip", "netns", "add", cl)
	l.must("ip", "-n", capNS, "link", "add", "sim0", "type", "veth", "peer", "name", "eth0", "netns", cl)
	l.must("ip", "-n", cl, "link", "set", "eth0", "address", "02:84:00:00:00:10")
	l.must("ip", "-n", capNS, "link", "set", "sim0", "up")
	// GRO on, as a WLAN driver with NAPI has it: the forwarder turns it off.
	l.must("ip", "netns", "exec", capNS, "ethtool", "-K", "sim0", "gro", "on")
	l.must("ip", "-n", cl, "link", "set", "lo", "up")
	l.must("ip", "-n", cl, "link", "set", "eth0", "up")
	// What a station sends over the air is whole: frames of at most its
	// MTU (no TSO) with their checksums filled in (a veth would otherwise
	// leave them to an offload that a raw socket never applies).
	l.must("ip", "netns", "exec", cl, "ethtool", "-K", "eth0", "tso", "off", "gso", "off", "tx", "off")

	l.dhcpBridge(mgr, "brfwd", "10.84.0")
	mgrArgs := []string{"--listen", ":5246"}
	capArgs := []string{"--manager_addresses", "10.83.0.1"}
	if mode.l2 {
		mgrArgs = append(mgrArgs, "--l2-interface", "eth0")
		capArgs = []string{"--discovery_interfaces", "eth0", "--discovery", "layer2"}
	}
	mp, state := l.manager(mgr, "core", mgrArgs...)
	cli := l.cli(mgr, state)
	cli("datapath", "add", "name=tunnel", "local-forwarding=no", "bridge=brfwd")
	cli("configuration", "add", "name=fwd", "ssid=Forwarded", "country=PL", "datapath=tunnel")
	cli("provisioning", "add", "action=create-dynamic-enabled", "master-configuration=fwd")
	if dtls {
		cli("manager", "set", "data-channel=dtls")
	}
	_, run := l.agent(capNS, "ap", append([]string{"--sim-radios", "1", "--sim-stations", "02:84:00:00:00:10",
		"--base_mac", "02:83:00:00:01:00"}, capArgs...)...)

	waitFor(t, 30*time.Second, "the manager's TAP cap1 in brfwd with its carrier on", func() bool {
		out, _ := l.in(mgr, "ip", "-o", "link", "show", "cap1")
		return strings.Contains(string(out), "master brfwd") && strings.Contains(string(out), "LOWER_UP")
	})

	l.lease(cl, "eth0", "10.84.0.")
	if want := map[bool]string{false: "clear", true: "dtls"}[dtls]; l.status(run).DataChannel != want {
		t.Errorf("the CAP's data channel is %q, want %q", l.status(run).DataChannel, want)
	}
	if want := map[bool]string{false: "udp", true: "layer2"}[mode.l2]; l.status(run).Transport != want {
		t.Errorf("the CAP's transport is %q, want %q", l.status(run).Transport, want)
	}
	// The forwarder wants frames as the station sent them: GRO off.
	if out, _ := l.in(capNS, "ethtool", "-k", "sim0"); !strings.Contains(string(out), "generic-receive-offload: off") {
		t.Errorf("GRO still on on the forwarded interface:\n%s", grepLines(string(out), "receive-offload"))
	}
	// The manager's underlay, read while the pings cross: every packet of
	// the data port says whether it is clear or DTLS.
	underlay := rawSocket(t, mgr, "eth0", 0x0003) // ETH_P_ALL: what it sends too
	kinds, stop := make(chan map[string]int, 1), make(chan struct{})
	go func() {
		seen := map[string]int{}
		buf := make([]byte, 2048)
		for {
			select {
			case <-stop:
				kinds <- seen
				return
			default:
			}
			_ = underlay.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			n, _, err := underlay.ReadFrom(buf)
			if err == nil {
				if k := dataPortKind(buf[:n]); k != "" {
					seen[k]++
				}
			}
		}
	}()
	for _, size := range []string{"56", "1400", "1472"} {
		out, err := exec.Command("ip", "netns", "exec", cl, "busybox", "ping", "-c", "3", "-W", "5", "-s", size, "10.84.0.1").CombinedOutput()
		if err != nil {
			t.Fatalf("%s-byte ping through the tunnel: %v\n%s", size, err, out)
		}
	}
	close(stop)
	seen := <-kinds
	t.Logf("CAPWAP data packets on the manager's underlay during the pings: %v", seen)
	switch {
	case mode.l2:
		// Layer 2: the pings on the layer-2 data channel, nothing on UDP.
		if seen["layer2"] < 18 || len(seen) != 1 {
			t.Errorf("data packets %v with the CAP on layer 2: want the pings' (at least 18) on layer 2 only", seen)
		}
	case dtls && (seen["clear"] != 0 || seen["dtls-fast"] < 18):
		t.Errorf("data port packets %v: want none clear and the pings' (at least 18) in DTLS records of the fast path", seen)
	case !dtls && seen["clear"] < 18:
		t.Errorf("data port packets %v: want the pings' (at least 18) clear", seen)
	}
	// IPv6: neighbour discovery (multicast solicitations, unicast
	// advertisements) and a full-size ping across.
	l.must("ip", "-n", mgr, "-6", "addr", "add", "fd84::1/64", "dev", "brfwd", "nodad")
	l.must("ip", "-n", cl, "-6", "addr", "add", "fd84::10/64", "dev", "eth0", "nodad")
	for _, size := range []string{"56", "1452"} {
		waitFor(t, 30*time.Second, size+"-byte IPv6 ping through the tunnel", func() bool {
			_, err := l.in(cl, "busybox", "ping", "-6", "-c", "1", "-W", "2", "-s", size, "fd84::1")
			return err == nil
		})
	}
	if out, _ := l.in(cl, "ip", "-6", "neigh", "show", "fd84::1"); !strings.Contains(string(out), "lladdr") {
		t.Errorf("the client has no neighbour entry for the manager's bridge: %q", out)
	}
	srv := l.start(mgr, "iperf3-server", "iperf3", "-s", "-1", "-B", "10.84.0.1")
	defer srv.kill()
	waitFor(t, 10*time.Second, "iperf3 server", func() bool {
		out, _ := l.in(mgr, "ss", "-Hltn", "sport = :5201")
		return len(out) > 0
	})
	out, err := l.in(cl, "iperf3", "-c", "10.84.0.1", "-n", "4M", "-J", "--connect-timeout", "5000")
	if err != nil || !strings.Contains(string(out), `"sum_received"`) {
		t.Fatalf("4 MB of TCP through the tunnel: %v\n%s", err, out[max(0, len(out)-600):])
	}
	t.Logf("iperf3: %s", iperfSummary(out))

	counters, _ := exec.Command("ip", "netns", "exec", mgr, "cat", "/sys/class/net/cap1/statistics/rx_bytes").Output()
	if n := strings.TrimSpace(string(counters)); n == "" || n == "0" {
		t.Errorf("cap1 received %q bytes", n)
	}

	// The manager gone, the manager-forwarded WLAN stops.
	mp.kill()
	waitFor(t, 30*time.Second, "the CAP to stop the manager-forwarded WLAN", func() bool {
		w := l.wlansOf(run)
		return len(w) == 1 && len(w[0]) == 0
	})
}

// iperfSummary picks the received throughput out of iperf3's JSON.
func iperfSummary(out []byte) string {
	s := string(out)
	i := strings.Index(s, `"sum_received"`)
	if i < 0 {
		return "?"
	}
	j := strings.Index(s[i:], `"bits_per_second"`)
	if j < 0 {
		return "?"
	}
	var bps float64
	_, _ = fmt.Sscanf(s[i+j+len(`"bits_per_second"`):], ":%g", &bps)
	return fmt.Sprintf("%.1f Mbit/s received", bps/1e6)
}

// dhcpBridge makes Linux bridge br in ns with address <net>.1/24 and a
// dnsmasq on it leasing <net>.100–150.
func (l *lab) dhcpBridge(ns, br, net string) {
	l.must("ip", "-n", ns, "link", "add", br, "type", "bridge")
	l.must("ip", "-n", ns, "addr", "add", net+".1/24", "dev", br)
	l.must("ip", "-n", ns, "link", "set", br, "up")
	l.start(ns, "dnsmasq-"+br, "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--user=root",
		"--interface="+br, "--bind-dynamic", "--no-resolv", "--no-hosts", "--log-facility=-", "--log-dhcp",
		"--dhcp-range="+net+".100,"+net+".150,255.255.255.0,1h",
		"--dhcp-leasefile="+filepath.Join(l.dir, "leases-"+br), "--pid-file=")
}

// lease runs busybox udhcpc on ifname in ns until it has an address that
// starts with prefix, and returns that address.
func (l *lab) lease(ns, ifname, prefix string) string {
	l.t.Helper()
	script := filepath.Join(l.dir, "udhcpc.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n[ \"$1\" = bound ] && ip addr add \"$ip/$mask\" dev \"$interface\"\nexit 0\n"), 0o755); err != nil {
		l.t.Fatal(err)
	}
	var out []byte
	waitFor(l.t, 60*time.Second, "a DHCP lease for "+ns, func() bool {
		// The manager registers the client from the CAP's station list
		// (every 5 s); until then its frames are dropped, so try again.
		var err error
		out, err = l.in(ns, "busybox", "udhcpc", "-i", ifname, "-n", "-q", "-f", "-t", "3", "-T", "1", "-s", script)
		return err == nil
	})
	addr, _ := l.in(ns, "ip", "-o", "-4", "addr", "show", ifname)
	f := strings.Fields(string(addr))
	for i, w := range f {
		if w == "inet" && i+1 < len(f) && strings.HasPrefix(f[i+1], prefix) {
			return strings.Split(f[i+1], "/")[0]
		}
	}
	l.t.Fatalf("%s address %q after udhcpc, want %s*:\n%s", ns, addr, prefix, out)
	return ""
}

// dataPortKind says whether frame, read off an Ethernet interface, is a
// CAPWAP data packet and which: "clear" or "dtls" on UDP 5247 (either
// way) by its preamble ("dtls-fast" for application data the fast record
// path sealed), "layer2" on capstan's layer-2 data channel
// (EtherType 0x88B5, magic CA 57, version 1, channel 1); "" for anything
// else.
func dataPortKind(frame []byte) string {
	if len(frame) >= 14+6 && frame[12] == 0x88 && frame[13] == 0xb5 && frame[14] == 0xca && frame[15] == 0x57 && frame[17] == 1 {
		return "layer2"
	}
	if len(frame) < 14+20+8+1 || frame[12] != 0x08 || frame[13] != 0x00 {
		return ""
	}
	ip := frame[14:]
	ihl := int(ip[0]&0x0f) * 4
	if ip[9] != 17 || len(ip) < ihl+9 || ip[6]&0x1f != 0 || ip[7] != 0 { // UDP, first fragment
		return ""
	}
	udp := ip[ihl:]
	if sport, dport := int(udp[0])<<8|int(udp[1]), int(udp[2])<<8|int(udp[3]); sport != 5247 && dport != 5247 {
		return ""
	}
	switch udp[8] & 0x0f {
	case 0:
		return "clear"
	case 1:
		// Application data with a sequence number of 2^32 or more: sealed
		// by the fast record path (dtlsrecord), not by pion.
		if rec := udp[8+4:]; len(rec) >= 11 && (rec[0] == 23 || rec[0] == 25) && rec[5]|rec[6] != 0 {
			return "dtls-fast"
		}
		return "dtls"
	}
	return "other"
}
