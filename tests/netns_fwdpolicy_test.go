package tests

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

// TestNetnsManagerForwardingPolicy: two clients of one manager-forwarded
// WLAN, behind an "air" bridge whose client ports are isolated (as
// hostapd's ap_isolate makes a real WLAN), so that they reach each other
// only through the manager. The air learns no addresses: what the CAP
// sends reaches every client, which keeps only what is addressed to it,
// as on a real channel.
//   - client-to-client-forwarding unset: A cannot ping B, and the
//     registration table counts A's refused frames; set to yes, A pings B.
//   - vlan-mode=use-tag vlan-id=10 on the datapath and an access-list rule
//     giving B vlan-id 20: on cap1, A's frames carry tag 10 and B's tag 20;
//     tagged frames sent into cap1 reach only the clients of their VLAN,
//     and untagged ones nobody.
//   - interface print, the registration table and /metrics count the
//     forwarded frames.
func TestNetnsManagerForwardingPolicy(t *testing.T) {
	requireNetns(t, "dnsmasq", "busybox", "ethtool", "tshark", "curl")
	l := newLab(t)
	mgr := l.node("mgr", "10.86.0.1/24")
	capNS := l.node("cap", "10.86.0.2/24")
	air, a, b := l.ns("air"), l.ns("a"), l.ns("b")
	macs := map[string]string{a: "02:86:00:00:00:0a", b: "02:86:00:00:00:0b"}
	l.must("ip", "netns", "add", air)
	l.must("ip", "-n", air, "link", "add", "br0", "type", "bridge")
	l.must("ip", "-n", air, "link", "set", "br0", "up")
	l.must("ip", "-n", capNS, "link", "add", "sim0", "type", "veth", "peer", "name", "ap", "netns", air)
	l.must("ip", "-n", capNS, "link", "set", "sim0", "up")
	l.must("ip", "-n", air, "link", "set", "ap", "master", "br0", "up")
	l.must("bridge", "-n", air, "link", "set", "dev", "ap", "learning", "off")
	for _, ns := range []string{a, b} {
		port := "p" + ns[len(ns)-1:]
		l.must("ip", "netns", "add", ns)
		l.must("ip", "-n", air, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns)
		l.must("ip", "-n", air, "link", "set", port, "master", "br0", "up")
		l.must("bridge", "-n", air, "link", "set", "dev", port, "isolated", "on", "learning", "off")
		l.must("ip", "-n", ns, "link", "set", "eth0", "address", macs[ns])
		l.must("ip", "-n", ns, "link", "set", "lo", "up")
		l.must("ip", "-n", ns, "link", "set", "eth0", "up")
		l.must("ip", "netns", "exec", ns, "ethtool", "-K", "eth0", "tso", "off", "gso", "off", "tx", "off")
	}
	l.dhcpBridge(mgr, "brfwd", "10.87.0")
	_, state := l.manager(mgr, "core", "--listen", ":5246")
	cli := l.cli(mgr, state)
	cli("datapath", "add", "name=tunnel", "local-forwarding=no", "bridge=brfwd")
	cli("configuration", "add", "name=fwd", "ssid=Forwarded", "country=PL", "datapath=tunnel")
	cli("provisioning", "add", "action=create-dynamic-enabled", "master-configuration=fwd")
	l.agent(capNS, "ap", "--sim-radios", "1", "--sim-stations", macs[a]+","+macs[b],
		"--base_mac", "02:86:00:00:01:00", "--manager_addresses", "10.86.0.1")
	waitFor(t, 30*time.Second, "cap1 in brfwd with its carrier on", func() bool {
		out, _ := l.in(mgr, "ip", "-o", "link", "show", "cap1")
		return strings.Contains(string(out), "master brfwd") && strings.Contains(string(out), "LOWER_UP")
	})
	l.lease(a, "eth0", "10.87.0.")
	ipB := l.lease(b, "eth0", "10.87.0.")

	// client-to-client-forwarding unset (no): the manager drops A→B. A
	// knows B's MAC, so that its pings are unicast frames the manager
	// refuses (A's ARP requests would go to the bridge only).
	l.must("ip", "-n", a, "neigh", "replace", ipB, "lladdr", macs[b], "dev", "eth0")
	if out, err := l.in(a, "busybox", "ping", "-c", "3", "-W", "2", ipB); err == nil {
		t.Fatalf("A pinged B with client-to-client forwarding off:\n%s", out)
	}
	if r := l.registration(mgr, state, macs[a]); r.Forwarded == nil || r.Forwarded.Drops == 0 || r.Forwarded.RxBytes == 0 {
		t.Errorf("A's row %+v: want forwarded bytes and the refused frames counted", r)
	}
	cli("datapath", "set", "tunnel", "client-to-client-forwarding=yes")
	waitFor(t, 30*time.Second, "A to ping B once client-to-client forwarding is on", func() bool {
		_, err := l.in(a, "busybox", "ping", "-c", "1", "-W", "1", ipB)
		return err == nil
	})
	if out := cli("interface", "print"); !regexpFind(`rx-packets=[1-9]\d* rx-bytes=[1-9]\d* tx-packets=[1-9]`, out) {
		t.Errorf("interface print lacks cap1's counters:\n%s", out)
	}
	apiAddr, err := os.ReadFile(filepath.Join(state, "api-address"))
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := exec.Command("ip", "netns", "exec", mgr, "curl", "-sf", "http://"+strings.TrimSpace(string(apiAddr))+"/metrics").Output()
	if !regexpFind(`capstan_interface_forwarded_bytes_total\{direction="rx",interface="cap1"\} [1-9]`, string(metrics)) {
		t.Errorf("/metrics lacks cap1's forwarded bytes:\n%s", grepLines(string(metrics), "forwarded"))
	}

	// VLANs: the interface's 10, and 20 for B from the access list.
	cli("datapath", "set", "tunnel", "vlan-mode=use-tag", "vlan-id=10")
	cli("access-list", "add", "mac-address="+macs[b], "vlan-mode=use-tag", "vlan-id=20")
	waitFor(t, 30*time.Second, "A in VLAN 10 and B in VLAN 20 on the manager", func() bool {
		ra, rb := l.registration(mgr, state, macs[a]), l.registration(mgr, state, macs[b])
		return ra.VLANID == 10 && rb.VLANID == 20
	})
	tags := l.captureTags(mgr, "cap1", func() {
		for _, ns := range []string{a, b} {
			_, _ = l.in(ns, "busybox", "ping", "-c", "2", "-W", "1", "10.87.0.1")
		}
	}, macs[a], macs[b])
	if tags[macs[a]] != "10" || tags[macs[b]] != "20" {
		t.Errorf("tags on cap1 by source: %v, want A's 10 and B's 20", tags)
	}

	// Downstream: frames sent into cap1 reach the clients of their VLAN.
	const etype = 0x88b6 // IEEE 802 local experimental
	inject := rawSocket(t, mgr, "cap1", etype)
	rxA, rxB := rawSocket(t, a, "eth0", etype), rawSocket(t, b, "eth0", etype)
	send := func(vlan uint16, dst net.HardwareAddr, label string) {
		f := append(append([]byte{}, dst...), 0x02, 0x86, 0, 0, 0, 0xee)
		if vlan != 0 {
			f = binary.BigEndian.AppendUint16(f, 0x8100)
			f = binary.BigEndian.AppendUint16(f, vlan)
		}
		f = binary.BigEndian.AppendUint16(f, etype)
		f = append(f, label...)
		for len(f) < 60 {
			f = append(f, 0)
		}
		if _, err := inject.WriteTo(f, &packet.Addr{HardwareAddr: dst}); err != nil {
			t.Fatalf("send %s into cap1: %v", label, err)
		}
	}
	bcast := net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	macB, _ := net.ParseMAC(macs[b])
	send(10, bcast, "v10")
	send(20, bcast, "v20")
	send(0, bcast, "untagged")
	send(10, macB, "v10-to-b")
	send(20, macB, "v20-to-b")
	send(10, bcast, "v10-again")
	// Frames on one path keep their order: a client's first two frames
	// show what it was sent and what it was not.
	macA, _ := net.ParseMAC(macs[a])
	if got := labels(t, rxA, macA, 2); got != "v10,v10-again" {
		t.Errorf("A (VLAN 10) received %s, want v10,v10-again", got)
	}
	if got := labels(t, rxB, macB, 2); got != "v20,v20-to-b" {
		t.Errorf("B (VLAN 20) received %s, want v20,v20-to-b", got)
	}
}

// registration is mac's row in the registration table.
func (l *lab) registration(ns, state, mac string) registrationRow {
	out, err := exec.Command("ip", "netns", "exec", ns, filepath.Join(l.bin, "capstan-manager"), "registration-table", "print",
		"--json", "--state-dir", state).Output()
	if err != nil {
		l.t.Fatalf("registration-table print: %v", err)
	}
	var rows []registrationRow
	if err := json.Unmarshal(out, &rows); err != nil {
		l.t.Fatalf("registration-table print --json: %v\n%s", err, out)
	}
	for _, r := range rows {
		if r.MAC == mac {
			return r
		}
	}
	return registrationRow{}
}

type registrationRow struct {
	MAC       string `json:"mac"`
	VLANID    int    `json:"vlan_id"`
	Forwarded *struct {
		RxBytes uint64 `json:"rx_bytes"`
		TxBytes uint64 `json:"tx_bytes"`
		Drops   uint64 `json:"drops"`
	} `json:"forwarded"`
}

// captureTags runs tshark on ifname in ns while traffic runs and returns,
// for each of the MACs, the 802.1Q tag its frames carried ("-" for none,
// "mixed" if they differed).
func (l *lab) captureTags(ns, ifname string, traffic func(), macs ...string) map[string]string {
	l.t.Helper()
	out := filepath.Join(l.dir, "tags-"+ifname)
	ts := l.start(ns, "tshark-"+ifname, "sh", "-c", "exec tshark -n -l -i "+ifname+" -T fields -e eth.src -e vlan.id > "+out+" 2>/dev/null")
	defer ts.kill()
	tags := map[string]string{}
	waitFor(l.t, 30*time.Second, "tshark to see both clients' frames on "+ifname, func() bool {
		traffic()
		f, err := os.Open(out)
		if err != nil {
			return false
		}
		defer f.Close()
		tags = map[string]string{}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Split(sc.Text(), "\t")
			tag := "-"
			if len(fields) > 1 && fields[1] != "" {
				tag = fields[1]
			}
			if was, ok := tags[fields[0]]; ok && was != tag {
				tag = "mixed"
			}
			tags[fields[0]] = tag
		}
		for _, m := range macs {
			if tags[m] == "" {
				return false
			}
		}
		return true
	})
	return tags
}

// rawSocket is an AF_PACKET socket for EtherType proto on ifname in
// namespace ns, closed with the test. A socket keeps the namespace it was
// made in, so it is made on a thread that enters ns and then ends.
func rawSocket(t *testing.T, ns, ifname string, proto uint16) *packet.Conn {
	t.Helper()
	type result struct {
		c   *packet.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		f, err := os.Open("/var/run/netns/" + ns)
		if err != nil {
			ch <- result{err: err}
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- result{err: fmt.Errorf("setns %s: %w", ns, err)}
			return
		}
		ifi, err := net.InterfaceByName(ifname)
		if err != nil {
			ch <- result{err: err}
			return
		}
		c, err := packet.Listen(ifi, packet.Raw, int(proto), nil)
		ch <- result{c, err}
	}()
	r := <-ch
	if r.err != nil {
		t.Fatalf("raw socket on %s in %s: %v", ifname, ns, r.err)
	}
	t.Cleanup(func() { r.c.Close() })
	return r.c
}

// labels reads n frames for mac (to it or to a group) from c and returns
// their labels (the payload after the Ethernet header, up to the
// padding), comma-separated.
func labels(t *testing.T, c *packet.Conn, mac net.HardwareAddr, n int) string {
	t.Helper()
	var got []string
	buf := make([]byte, 2048)
	for len(got) < n {
		if err := c.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
			t.Fatal(err)
		}
		k, _, err := c.ReadFrom(buf)
		if err != nil {
			return strings.Join(append(got, "("+err.Error()+")"), ",")
		}
		if k < 14 || (buf[0]&1 == 0 && !bytes.Equal(buf[:6], mac)) {
			continue
		}
		got = append(got, string(bytes.TrimRight(buf[14:k], "\x00")))
	}
	return strings.Join(got, ",")
}

func grepLines(s, sub string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, sub) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

func regexpFind(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }
