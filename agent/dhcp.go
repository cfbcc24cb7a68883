package agent

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
)

// dhcpManagers asks the DHCP server on ifname for option 138, CAPWAP Access
// Controller addresses (RFC 5417), without touching the interface's lease:
// DHCPINFORM when the interface has an IPv4 address, otherwise a DISCOVER
// whose OFFER is read and never requested.
func dhcpManagers(ctx context.Context, ifname string) ([]netip.Addr, error) {
	ip := interfaceIPv4(ifname)
	c, err := nclient4.New(ifname, nclient4.WithTimeout(time.Second), nclient4.WithRetry(2))
	if err != nil {
		return nil, fmt.Errorf("dhcp on %s: %w", ifname, err)
	}
	defer c.Close()
	opt := dhcpv4.WithRequestedOptions(dhcpv4.OptionCAPWAPAccessControllerAddresses)
	var resp *dhcpv4.DHCPv4
	if ip.IsValid() {
		resp, err = c.Inform(ctx, ip.AsSlice(), opt)
	} else {
		resp, err = c.DiscoverOffer(ctx, opt)
	}
	if err != nil {
		return nil, fmt.Errorf("dhcp on %s: %w", ifname, err)
	}
	return managersOf(resp), nil
}

// managersOf reads option 138 (CAPWAP AC addresses, RFC 5417) of a DHCP
// reply: at most maxOption138 addresses, the rest ignored.
func managersOf(resp *dhcpv4.DHCPv4) []netip.Addr {
	var out []netip.Addr
	for _, a := range dhcpv4.GetIPs(dhcpv4.OptionCAPWAPAccessControllerAddresses, resp.Options) {
		if na, ok := netip.AddrFromSlice(a.To4()); ok && len(out) < maxOption138 {
			out = append(out, na)
		}
	}
	return out
}

// maxOption138 bounds the managers one DHCP answer names (an option holds
// at most 63 addresses anyway).
const maxOption138 = 16

// udhcpcManagers reads option 138 as OpenWrt's udhcpc hook left it
// (packaging/openwrt: udhcpc runs with -O 138 and exports $opt138 as hex).
func udhcpcManagers(runDir, ifname string) []netip.Addr {
	b, err := os.ReadFile(filepath.Join(runDir, "dhcp-"+ifname+".opt138"))
	if err != nil {
		return nil
	}
	return parseOption138Hex(strings.TrimSpace(string(b)))
}

// parseOption138Hex decodes option 138's value: IPv4 addresses back to back.
func parseOption138Hex(s string) []netip.Addr {
	raw, err := hex.DecodeString(s)
	if err != nil || len(raw)%4 != 0 {
		return nil
	}
	var out []netip.Addr
	for i := 0; i+4 <= len(raw) && len(out) < maxOption138; i += 4 {
		out = append(out, netip.AddrFrom4([4]byte(raw[i:i+4])))
	}
	return out
}

// interfaceIPv4 returns the first IPv4 address of ifname, if any.
func interfaceIPv4(ifname string) netip.Addr {
	for _, p := range interfacePrefixes(ifname) {
		return p.Addr()
	}
	return netip.Addr{}
}

// interfacePrefixes lists ifname's IPv4 prefixes.
func interfacePrefixes(ifname string) []netip.Prefix {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return nil
	}
	var out []netip.Prefix
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.To4() == nil {
			continue
		}
		ip, _ := netip.AddrFromSlice(ipn.IP.To4())
		ones, _ := ipn.Mask.Size()
		out = append(out, netip.PrefixFrom(ip, ones))
	}
	return out
}

// broadcastAddr returns the directed broadcast address of p.
func broadcastAddr(p netip.Prefix) netip.Addr {
	a := p.Addr().As4()
	for i := p.Bits(); i < 32; i++ {
		a[i/8] |= 1 << (7 - i%8)
	}
	return netip.AddrFrom4(a)
}
