package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNetnsDiscoveryMethods: a manager and three CAPs in separate namespaces
// on one bridge; each discovery method alone brings all three to Run.
func TestNetnsDiscoveryMethods(t *testing.T) {
	requireNetns(t, "dnsmasq")
	l := newLab(t)
	mgr := l.node("mgr", "10.77.0.1/24")
	var caps []string
	for i := 1; i <= 3; i++ {
		ns := l.node(fmt.Sprintf("cap%d", i), fmt.Sprintf("10.77.0.%d/24", 10+i))
		l.resolver(ns, "10.77.0.1")
		caps = append(caps, ns)
	}
	l.start(mgr, "dnsmasq", "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--user=root",
		"--interface=eth0", "--bind-interfaces", "--no-resolv", "--no-hosts", "--log-facility=-", "--log-dhcp",
		"--address=/manager.capstan.test/10.77.0.1",
		"--dhcp-range=10.77.0.100,10.77.0.200,255.255.255.0,1h",
		"--dhcp-option=138,10.77.0.1",
		"--dhcp-leasefile="+filepath.Join(l.dir, "leases"), "--pid-file=")
	_, state := l.manager(mgr, "core", "--listen", ":5246", "--l2-interface", "eth0")

	for _, m := range []struct {
		via, transport string
		opts           []string
	}{
		{"static", "udp", []string{"--manager_addresses", "10.77.0.1"}},
		{"dns", "udp", []string{"--manager_addresses", "manager.capstan.test"}},
		{"dhcp", "udp", []string{"--discovery_interfaces", "eth0", "--discovery", "dhcp"}},
		{"broadcast", "udp", []string{"--discovery_interfaces", "eth0", "--discovery", "broadcast"}},
		{"layer2", "layer2", []string{"--discovery_interfaces", "eth0", "--discovery", "layer2"}},
	} {
		t.Run(m.via, func(t *testing.T) {
			if m.via == "layer2" {
				for _, ns := range caps {
					l.must("ip", "-n", ns, "addr", "flush", "dev", "eth0")
				}
			}
			start := time.Now()
			var runs []string
			var procs []*proc
			for i, ns := range caps {
				name := fmt.Sprintf("%s-cap%d", m.via, i+1)
				opts := append([]string{"--base_mac", fmt.Sprintf("02:77:00:00:%02x:00", i+1)}, m.opts...)
				p, run := l.agent(ns, name, opts...)
				procs = append(procs, p)
				runs = append(runs, run)
			}
			defer func() {
				for _, p := range procs {
					p.kill()
				}
			}()
			for i, run := range runs {
				waitFor(t, 30*time.Second, fmt.Sprintf("cap%d in run via %s", i+1, m.via), func() bool {
					st := l.status(run)
					return st.State == "run" && st.DiscoveredVia == m.via
				})
				if st := l.status(run); st.Transport != m.transport || st.Manager != "core" {
					t.Errorf("cap%d: transport %q manager %q, want %q core", i+1, st.Transport, st.Manager, m.transport)
				}
			}
			t.Logf("%s: 3 CAPs in run %v after start", m.via, time.Since(start).Round(time.Millisecond))
			if m.via == "dhcp" {
				// Option 138 came by DHCPINFORM: the CAPs kept their own
				// addresses and the server handed out no lease.
				dlog, _ := os.ReadFile(filepath.Join(l.dir, "dnsmasq.log"))
				if !strings.Contains(string(dlog), "DHCPINFORM") {
					t.Errorf("dnsmasq saw no DHCPINFORM:\n%s", dlog)
				}
				if leases, _ := os.ReadFile(filepath.Join(l.dir, "leases")); len(strings.TrimSpace(string(leases))) > 0 {
					t.Errorf("discovery took a DHCP lease:\n%s", leases)
				}
			}
			table := l.remoteCaps(mgr, state)
			n := 0
			for _, c := range table {
				if strings.HasPrefix(c.Identity, m.via+"-") && c.State == "run" {
					n++
					if m.via == "layer2" && !strings.HasSuffix(c.Address, "%eth0") {
						t.Errorf("layer-2 CAP address %q, want MAC%%eth0", c.Address)
					}
				}
			}
			if n != 3 {
				t.Errorf("manager lists %d %s CAPs in run, want 3: %+v", n, m.via, table)
			}
		})
	}
}
