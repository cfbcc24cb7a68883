package agent

import (
	"net/netip"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// FuzzOption138 feeds DHCP replies (network input) and udhcpc hook files
// to the option 138 readers: no panic, at most maxOption138 addresses, all
// IPv4.
func FuzzOption138(f *testing.F) {
	reply, _ := dhcpv4.New(dhcpv4.WithMessageType(dhcpv4.MessageTypeAck),
		dhcpv4.WithOption(dhcpv4.OptGeneric(dhcpv4.OptionCAPWAPAccessControllerAddresses, []byte{192, 0, 2, 1, 192, 0, 2, 2})))
	f.Add(reply.ToBytes(), "c0000201c0000202")
	f.Add([]byte{}, "")
	f.Add(reply.ToBytes()[:40], "c00002")
	f.Fuzz(func(t *testing.T, packet []byte, hook string) {
		if resp, err := dhcpv4.FromBytes(packet); err == nil {
			checkManagers(t, managersOf(resp))
		}
		checkManagers(t, parseOption138Hex(hook))
	})
}

func checkManagers(t *testing.T, addrs []netip.Addr) {
	t.Helper()
	if len(addrs) > maxOption138 {
		t.Fatalf("%d managers from one answer, bound %d", len(addrs), maxOption138)
	}
	for _, a := range addrs {
		if !a.Is4() {
			t.Fatalf("option 138 gave %v, not IPv4", a)
		}
	}
}

func TestOption138Bounded(t *testing.T) {
	raw := make([]byte, 4*40)
	for i := range raw {
		raw[i] = byte(i)
	}
	reply, _ := dhcpv4.New(dhcpv4.WithOption(dhcpv4.OptGeneric(dhcpv4.OptionCAPWAPAccessControllerAddresses, raw)))
	if got := managersOf(reply); len(got) != maxOption138 {
		t.Errorf("%d managers from 40 addresses, want the first %d", len(got), maxOption138)
	}
}
