package agent

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-wifi/capstan/capwap/transport"
	"github.com/capstan-wifi/capstan/capwap/wire"
)

func TestRank(t *testing.T) {
	udp := func(s string) net.Addr { return net.UDPAddrFromAddrPort(netip.MustParseAddrPort(s)) }
	l2 := &transport.L2Addr{MAC: net.HardwareAddr{2, 0, 0, 0, 0, 9}, Interface: "eth0"}
	cands := []candidate{
		{name: "busy", addr: udp("192.0.2.1:5246"), load: 0.9},
		{name: "idle", addr: udp("192.0.2.2:5246"), load: 0.1},
		{name: "wired", addr: l2, load: 0.95},
		{name: "core", addr: udp("192.0.2.4:5246"), load: 0.5},
	}
	names := func(cs []candidate) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.name)
		}
		return out
	}
	for _, tc := range []struct {
		managerNames []string
		want         []string
	}{
		{nil, []string{"wired", "idle", "core", "busy"}},                       // layer 2 first, then load
		{[]string{"core", "busy"}, []string{"core", "busy"}},                   // only listed names, in list order
		{[]string{"busy", "wired", "idle"}, []string{"busy", "wired", "idle"}}, // the list beats layer 2 and load
	} {
		a := &Agent{cfg: Config{ManagerNames: tc.managerNames}}
		got := names(a.rank(append([]candidate(nil), cands...)))
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("manager_names %v (-want +got):\n%s", tc.managerNames, diff)
		}
	}
}

func TestBackoffBoundsAndJitter(t *testing.T) {
	seen := map[time.Duration]bool{}
	for n := range 12 {
		base := min(backoffMin<<n, backoffMax)
		for range 20 {
			d := backoff(n)
			if d < base*3/4 || d > base*5/4 {
				t.Fatalf("backoff(%d) = %v, want within ±25%% of %v", n, d, base)
			}
			seen[d] = true
		}
	}
	if len(seen) < 100 {
		t.Errorf("only %d distinct waits in 240: no jitter", len(seen))
	}
}

func TestBroadcastAddr(t *testing.T) {
	for in, want := range map[string]string{
		"10.77.0.11/24": "10.77.0.255", "192.0.2.1/30": "192.0.2.3", "10.1.2.3/8": "10.255.255.255", "10.0.0.1/32": "10.0.0.1",
	} {
		if got := broadcastAddr(netip.MustParsePrefix(in)).String(); got != want {
			t.Errorf("broadcastAddr(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestParseOption138Hex(t *testing.T) {
	got := parseOption138Hex("c0000201c0000202")
	want := []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range []string{"c00002", "zz000201", ""} {
		if got := parseOption138Hex(bad); len(got) != 0 {
			t.Errorf("parseOption138Hex(%q) = %v, want none", bad, got)
		}
	}
}

func TestDiscoveryType(t *testing.T) {
	for via, want := range map[string]uint8{
		"static": wire.DiscoveryStatic, "dns": wire.DiscoveryDNS, "dhcp": wire.DiscoveryDHCP,
		"broadcast": wire.DiscoveryUnknown, "layer2": wire.DiscoveryUnknown,
	} {
		if got := discoveryType(via); got != want {
			t.Errorf("discoveryType(%s) = %d, want %d", via, got, want)
		}
	}
}
