package agent

import (
	"context"
	"crypto/rand"
	"math/big"
	"net"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/capstan-wifi/capstan/capwap/transport"
	"github.com/capstan-wifi/capstan/capwap/wire"
)

// candidate is a manager that answered discovery.
type candidate struct {
	name string   // AC Name
	addr net.Addr // *net.UDPAddr or *transport.L2Addr
	via  string   // static, dns, dhcp, broadcast, layer2
	mux  *transport.Mux
	load float64 // active CAPs / max CAPs from the AC Descriptor
}

func (c candidate) layer2() bool { _, ok := c.addr.(*transport.L2Addr); return ok }

// target is where one Discovery Request goes.
type target struct {
	addr net.Addr
	via  string
	mux  *transport.Mux
}

// Discovery timing.
const (
	discoveryWindow = time.Second            // longest wait for answers
	discoverySettle = 200 * time.Millisecond // wait after the first answer for better ones
	backoffMin      = time.Second
	backoffMax      = 8 * time.Second
)

// targets lists every destination of one discovery round.
func (a *Agent) targets(ctx context.Context) []target {
	var out []target
	for _, s := range a.cfg.ManagerAddresses {
		host, port := s, transport.ControlPort
		if h, p, err := net.SplitHostPort(s); err == nil {
			n, err := strconv.Atoi(p)
			if err != nil {
				a.warn("bad manager address", "address", s)
				continue
			}
			host, port = h, n
		}
		via := "static"
		var ips []netip.Addr
		if ip, err := netip.ParseAddr(host); err == nil {
			ips = []netip.Addr{ip}
		} else {
			via = "dns"
			rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			res, err := net.DefaultResolver.LookupNetIP(rctx, "ip4", host)
			cancel()
			if err != nil {
				a.warn("manager name does not resolve", "name", host, "err", err)
				continue
			}
			ips = res
		}
		for _, ip := range ips {
			out = append(out, target{addr: net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port))), via: via, mux: a.udp})
		}
	}
	for _, ifname := range a.cfg.DiscoveryInterfaces {
		if slices.Contains(a.cfg.Discovery, MethodDHCP) {
			ips := udhcpcManagers(a.cfg.RunDir, ifname)
			if len(ips) == 0 {
				var err error
				if ips, err = dhcpManagers(ctx, ifname); err != nil {
					a.warn("no manager address from DHCP", "interface", ifname, "err", err)
				}
			}
			for _, ip := range ips {
				out = append(out, target{addr: net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, transport.ControlPort)), via: "dhcp", mux: a.udp})
			}
		}
		if slices.Contains(a.cfg.Discovery, MethodBroadcast) {
			for _, p := range interfacePrefixes(ifname) {
				out = append(out, target{addr: net.UDPAddrFromAddrPort(netip.AddrPortFrom(broadcastAddr(p), transport.ControlPort)), via: "broadcast", mux: a.udp})
			}
		}
		if m := a.l2[ifname]; m != nil {
			out = append(out, target{addr: &transport.L2Addr{MAC: transport.L2Broadcast, Interface: ifname}, via: "layer2", mux: m})
		}
	}
	return out
}

// discoveryType maps how a target was learned to RFC 5415 §4.6.21.
func discoveryType(via string) uint8 {
	switch via {
	case "static":
		return wire.DiscoveryStatic
	case "dns":
		return wire.DiscoveryDNS
	case "dhcp":
		return wire.DiscoveryDHCP
	}
	return wire.DiscoveryUnknown
}

// discover runs one round: requests to every target, then the answers that
// arrive within the window, best first.
func (a *Agent) discover(ctx context.Context) []candidate {
	targets := a.targets(ctx)
	if len(targets) == 0 {
		return nil
	}
	seq := randUint8()
	for _, t := range targets {
		req, err := a.discoveryRequest(ctx, seq, t.via)
		if err != nil {
			a.warn("build Discovery Request", "err", err)
			return nil
		}
		if err := t.mux.WritePlain(req, t.addr); err != nil {
			a.warn("send Discovery Request", "to", t.addr, "err", err)
		}
	}
	via := map[string]string{}
	expect := 0 // answers that end the round early: only unicast targets
	for _, t := range targets {
		via[t.addr.String()] = t.via
		if t.via == "broadcast" || t.via == "layer2" {
			expect = -1
		}
	}
	if expect == 0 {
		expect = len(via)
		a.mu.Lock()
		lost := a.lostManager
		a.lostManager = ""
		a.mu.Unlock()
		if _, ok := via[lost]; ok && expect > 1 {
			expect--
		}
	}
	return a.collect(ctx, seq, via, expect)
}

// collect reads Discovery Responses from every mux for the window, or until
// expect answers arrived when every target was unicast (expect > 0).
func (a *Agent) collect(ctx context.Context, seq uint8, via map[string]string, expect int) []candidate {
	ctx, cancel := context.WithTimeout(ctx, discoveryWindow)
	defer cancel()
	type answer struct {
		d   transport.Datagram
		mux *transport.Mux
	}
	ch := make(chan answer)
	var wg sync.WaitGroup
	for _, m := range a.muxes() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				d, err := m.ReadPlain(ctx)
				if err != nil {
					return
				}
				select {
				case ch <- answer{d, m}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	defer wg.Wait()
	var out []candidate
	seen := map[string]bool{}
	settle := (<-chan time.Time)(nil)
	for {
		select {
		case ans := <-ch:
			c, ok := a.parseOffer(ans.d, seq, via)
			if !ok || seen[c.addr.String()] {
				continue
			}
			seen[c.addr.String()] = true
			c.mux = ans.mux
			out = append(out, c)
			if len(out) == expect {
				cancel()
				return a.rank(out)
			}
			if settle == nil {
				settle = time.After(discoverySettle)
			}
		case <-settle:
			cancel()
			return a.rank(out)
		case <-ctx.Done():
			return a.rank(out)
		}
	}
}

func (a *Agent) parseOffer(d transport.Datagram, seq uint8, via map[string]string) (candidate, bool) {
	m, err := wire.ParseControl(d.Data)
	if err != nil || m.Type != wire.DiscoveryResponse || m.Seq != seq {
		return candidate{}, false
	}
	if t, missing := m.MissingMandatory(); missing {
		a.warn("Discovery Response without a mandatory element", "from", d.Addr, "missing", t)
		return candidate{}, false
	}
	desc := m.Element(wire.TypeACDescriptor).(*wire.ACDescriptor)
	c := candidate{
		name: m.Element(wire.TypeACName).(*wire.ACName).Name,
		addr: d.Addr,
		via:  via[d.Addr.String()],
	}
	if desc.MaxWTPs > 0 {
		c.load = float64(desc.ActiveWTPs) / float64(desc.MaxWTPs)
	}
	if c.via == "" {
		c.via = "broadcast"
		if c.layer2() {
			c.via = "layer2"
		}
	}
	return c, true
}

// rank orders candidates as CAPsMAN does: managers named in ManagerNames in
// that order (others dropped when the list is set), a manager reached over
// layer 2 before one over IP, then the lighter load.
func (a *Agent) rank(cs []candidate) []candidate {
	names := a.cfg.ManagerNames
	cs = slices.DeleteFunc(cs, func(c candidate) bool { return len(names) > 0 && !slices.Contains(names, c.name) })
	// sort.SliceStable, not slices.SortStableFunc: see ReadUCI (size).
	cmp := func(x, y candidate) int {
		if len(names) > 0 {
			if d := slices.Index(names, x.name) - slices.Index(names, y.name); d != 0 {
				return d
			}
		}
		if x.layer2() != y.layer2() {
			if x.layer2() {
				return -1
			}
			return 1
		}
		switch {
		case x.load < y.load:
			return -1
		case x.load > y.load:
			return 1
		}
		return 0
	}
	sort.SliceStable(cs, func(i, j int) bool { return cmp(cs[i], cs[j]) < 0 })
	return cs
}

// backoff returns the wait before discovery round n (0-based): doubling
// from backoffMin to backoffMax, with ±25% jitter so that a fleet booting
// together does not retry in lock step.
func backoff(n int) time.Duration {
	d := backoffMin << min(n, 8)
	d = min(d, backoffMax)
	j, _ := rand.Int(rand.Reader, big.NewInt(int64(d/2)))
	return d*3/4 + time.Duration(j.Int64())
}

func randUint8() uint8 {
	var b [1]byte
	_, _ = rand.Read(b[:])
	return b[0]
}
