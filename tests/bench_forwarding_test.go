package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkForwarding compares manager forwarding with the kernel's own
// VXLAN between the same namespaces, in the same run:
//
//	capstan: client ns → veth (the WLAN netdev) → agent forwarder → CAPWAP
//	         data over UDP → manager TAP cap1 → bridge → server ns
//	vxlan:   client ns → veth → bridge → vxlan0 → UDP → vxlan0 → bridge →
//	         server ns
//
// over the same 1500-byte underlay (the lab's veths). capstan carries
// 1500-byte client frames in CAPWAP fragments; VXLAN cannot, so its
// clients get an MTU of 1450, as VXLAN deployments do. The clients send
// without TSO/GSO, as a Wi-Fi station does. It prints iperf3's single TCP
// stream, 8 streams and 64-byte UDP packets per second, the ratio to
// VXLAN, and CPU seconds per Gbit: the agent's and the manager's processes
// for capstan, the whole machine for both.
//
// Run by make bench as root (CAPSTAN_NETNS=1); it prints, it asserts
// nothing.
func BenchmarkForwarding(b *testing.B) {
	if os.Getenv("CAPSTAN_NETNS") != "1" || os.Geteuid() != 0 {
		b.Skip("namespace benchmark: make bench as root runs it (CAPSTAN_NETNS=1)")
	}
	for _, tool := range []string{"iperf3", "ethtool"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Skipf("%s not installed (make deps)", tool)
		}
	}
	l := newLab(b)
	mgr := l.node("mgr", "10.91.0.1/24")
	capNS := l.node("cap", "10.91.0.2/24")
	cl, cl2, srv := l.ns("cl"), l.ns("cl2"), l.ns("srv")
	for _, ns := range []string{cl, cl2, srv} {
		l.must("ip", "netns", "add", ns)
		l.must("ip", "-n", ns, "link", "set", "lo", "up")
	}
	const clientMAC = "02:91:00:00:00:50"
	// capstan's path.
	l.must("ip", "-n", capNS, "link", "add", "sim0", "type", "veth", "peer", "name", "eth0", "netns", cl)
	l.must("ip", "-n", capNS, "link", "set", "sim0", "up")
	l.must("ip", "-n", cl, "link", "set", "eth0", "address", clientMAC, "up")
	l.must("ip", "-n", cl, "addr", "add", "10.92.0.50/24", "dev", "eth0")
	l.must("ip", "-n", mgr, "link", "add", "brfwd", "type", "bridge")
	l.must("ip", "-n", mgr, "link", "set", "brfwd", "up")
	l.must("ip", "-n", mgr, "link", "add", "s0", "type", "veth", "peer", "name", "eth0", "netns", srv)
	l.must("ip", "-n", mgr, "link", "set", "s0", "master", "brfwd", "up")
	l.must("ip", "-n", srv, "addr", "add", "10.92.0.2/24", "dev", "eth0")
	l.must("ip", "-n", srv, "link", "set", "eth0", "up")
	// VXLAN's path, over the same underlay.
	for _, side := range []struct{ ns, local, remote, port, peerNS, peerIf, addr string }{
		{capNS, "10.91.0.2", "10.91.0.1", "c1", cl2, "eth0", "10.93.0.50/24"},
		{mgr, "10.91.0.1", "10.91.0.2", "s1", srv, "eth1", "10.93.0.2/24"},
	} {
		l.must("ip", "-n", side.ns, "link", "add", "brv", "type", "bridge")
		l.must("ip", "-n", side.ns, "link", "set", "brv", "up")
		l.must("ip", "-n", side.ns, "link", "add", "vx0", "type", "vxlan", "id", "42", "dstport", "4789", "local", side.local, "remote", side.remote)
		l.must("ip", "-n", side.ns, "link", "set", "vx0", "master", "brv", "up")
		l.must("ip", "-n", side.ns, "link", "add", side.port, "type", "veth", "peer", "name", side.peerIf, "netns", side.peerNS)
		l.must("ip", "-n", side.ns, "link", "set", side.port, "mtu", "1450", "master", "brv", "up")
		l.must("ip", "-n", side.peerNS, "link", "set", side.peerIf, "mtu", "1450", "up")
		l.must("ip", "-n", side.peerNS, "addr", "add", side.addr, "dev", side.peerIf)
	}
	for _, ns := range []string{cl, cl2} {
		l.must("ip", "netns", "exec", ns, "ethtool", "-K", "eth0", "tso", "off", "gso", "off", "tx", "off")
	}

	mp, state := l.manager(mgr, "core", "--listen", ":5246", "--log-level", "info")
	cli := l.cli(mgr, state)
	cli("datapath", "add", "name=tunnel", "local-forwarding=no", "bridge=brfwd")
	cli("configuration", "add", "name=fwd", "ssid=Forwarded", "country=PL", "datapath=tunnel")
	cli("provisioning", "add", "action=create-dynamic-enabled", "master-configuration=fwd")
	ap, _ := l.agent(capNS, "ap", "--sim-radios", "1", "--sim-stations", clientMAC,
		"--base_mac", "02:91:00:00:01:00", "--manager_addresses", "10.91.0.1", "--log-level", "info")
	waitFor(b, 60*time.Second, "the client to reach the server through the tunnel", func() bool {
		_, err := l.in(cl, "busybox", "ping", "-c", "1", "-W", "1", "10.92.0.2")
		return err == nil
	})
	waitFor(b, 30*time.Second, "the client to reach the server over VXLAN", func() bool {
		_, err := l.in(cl2, "busybox", "ping", "-c", "1", "-W", "1", "10.93.0.2")
		return err == nil
	})
	for _, addr := range []string{"10.92.0.2", "10.93.0.2"} {
		l.start(srv, "iperf3-"+addr, "iperf3", "-s", "-B", addr)
	}
	waitFor(b, 10*time.Second, "both iperf3 servers", func() bool {
		out, _ := l.in(srv, "ss", "-Hltn", "sport = :5201")
		return strings.Count(string(out), "\n") >= 2
	})

	pids := []int{ap.cmd.Process.Pid, mp.cmd.Process.Pid}
	type result struct{ gbps, pps, procCPU, agentCPU, hostCPU float64 }
	run := func(ns, server string, args ...string) result {
		b.Helper()
		before, agent0, host0 := procCPU(pids), procCPU(pids[:1]), hostCPU()
		out, err := l.in(ns, append([]string{"iperf3", "-c", server, "-t", "5", "-J", "--connect-timeout", "5000"}, args...)...)
		after, agent1, host1 := procCPU(pids), procCPU(pids[:1]), hostCPU()
		if err != nil {
			b.Fatalf("iperf3 -c %s %v: %v\n%s", server, args, err, out)
		}
		var r struct {
			End struct {
				SumReceived struct {
					Seconds       float64 `json:"seconds"`
					BitsPerSecond float64 `json:"bits_per_second"`
				} `json:"sum_received"`
				Sum struct {
					Seconds       float64 `json:"seconds"`
					BitsPerSecond float64 `json:"bits_per_second"`
					Packets       float64 `json:"packets"`
					LostPackets   float64 `json:"lost_packets"`
				} `json:"sum"`
			} `json:"end"`
		}
		if err := json.Unmarshal(out, &r); err != nil {
			b.Fatalf("iperf3 JSON: %v", err)
		}
		res := result{procCPU: after - before, agentCPU: agent1 - agent0, hostCPU: host1 - host0}
		if s := r.End.Sum; s.Packets > 0 {
			res.pps = (s.Packets - s.LostPackets) / s.Seconds
			res.gbps = res.pps * 64 * 8 / 1e9
		} else {
			res.gbps = r.End.SumReceived.BitsPerSecond / 1e9
		}
		return res
	}
	perGbit := func(cpu, gbps float64) string {
		if gbps == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f", cpu/5/gbps)
	}
	// sides is capstan's CPU per Gbit: agent + manager, and the machine.
	sides := func(r result) string {
		return perGbit(r.agentCPU, r.gbps) + "+" + perGbit(r.procCPU-r.agentCPU, r.gbps) + " (host " + perGbit(r.hostCPU, r.gbps) + ")"
	}
	fmt.Printf("manager forwarding vs kernel VXLAN, same namespaces and underlay, 5 s each (%d CPUs)\n", runtime.NumCPU())
	fmt.Printf("%-22s %12s %12s %8s %22s %22s\n", "test", "capstan", "vxlan", "ratio", "capstan CPU-s/Gbit agent+manager", "vxlan CPU-s/Gbit")
	for _, c := range []struct {
		name string
		args []string
		pps  bool
	}{
		{"TCP, 1 stream", nil, false},
		{"TCP, 8 streams", []string{"-P", "8"}, false},
		{"TCP, 1 stream, down", []string{"-R"}, false},
		{"UDP, 64-byte packets", []string{"-u", "-b", "0", "-l", "64"}, true},
	} {
		ours := run(cl, "10.92.0.2", c.args...)
		ref := run(cl2, "10.93.0.2", c.args...)
		a, v, unit := ours.gbps, ref.gbps, "Gbit/s"
		if c.pps {
			a, v, unit = ours.pps/1e3, ref.pps/1e3, "kpps"
		}
		ratio := 0.0
		if v > 0 {
			ratio = a / v
		}
		fmt.Printf("%-22s %8.3f %s %8.3f %s %7.2fx %22s %22s\n", c.name, a, unit, v, unit, ratio,
			sides(ours),
			"host "+perGbit(ref.hostCPU, ref.gbps))
		key := strings.NewReplacer(",", "", " ", "-").Replace(c.name)
		b.ReportMetric(ratio, key+"-ratio")
	}

	// The DTLS data channel: the CAP rejoins under data-channel=dtls.
	cli("manager", "set", "data-channel=dtls")
	ap.kill()
	ap, _ = l.agent(capNS, "ap2", "--sim-radios", "1", "--sim-stations", clientMAC,
		"--base_mac", "02:91:00:00:01:00", "--manager_addresses", "10.91.0.1", "--log-level", "info")
	pids[0] = ap.cmd.Process.Pid
	waitFor(b, 60*time.Second, "the client to reach the server through the DTLS data channel", func() bool {
		_, err := l.in(cl, "busybox", "ping", "-c", "1", "-W", "1", "10.92.0.2")
		return err == nil
	})
	for _, c := range []struct {
		name string
		args []string
	}{
		{"DTLS: TCP, 1 stream", nil},
		{"DTLS: TCP, 8 streams", []string{"-P", "8"}},
		{"DTLS: TCP, 1 stream, down", []string{"-R"}},
	} {
		ours := run(cl, "10.92.0.2", c.args...)
		fmt.Printf("%-22s %8.3f Gbit/s %22s %22s\n", c.name, ours.gbps, "", sides(ours))
		b.ReportMetric(ours.gbps, strings.NewReplacer(",", "", " ", "-", ":", "").Replace(c.name)+"-Gbit/s")
	}
}

// procCPU is the CPU seconds (user + system) the processes pids used.
func procCPU(pids []int) float64 {
	var ticks float64
	for _, pid := range pids {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		s := string(data)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		// Fields after the command: state is 0, utime 11, stime 12.
		for _, i := range []int{11, 12} {
			v, _ := strconv.ParseFloat(f[i], 64)
			ticks += v
		}
	}
	return ticks / 100 // USER_HZ
}

// hostCPU is the machine's busy CPU seconds so far (every CPU, all but
// idle and iowait).
func hostCPU() float64 {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(strings.SplitN(string(data), "\n", 2)[0])
	var busy float64
	for i, v := range f[1:] {
		n, _ := strconv.ParseFloat(v, 64)
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy / 100
}
