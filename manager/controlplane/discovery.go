package controlplane

import (
	"context"
	"net"
	"net/netip"

	"golang.org/x/time/rate"

	"github.com/capstan-wifi/capstan/internal/limit"

	"github.com/capstan-wifi/capstan/capwap/transport"
	"github.com/capstan-wifi/capstan/capwap/tunnel"
	"github.com/capstan-wifi/capstan/capwap/wire"
)

// serveDiscovery answers clear Discovery Requests (RFC 5415 §5.1) on l.
//
// Answers are bounded per source (address and port: CAPs behind one NAT
// or on one test host share an address) and in all, which is what bounds
// reflection to a forged source: a Discovery Response is about 1.5 times
// its request.
func (s *Server) serveDiscovery(ctx context.Context, l *listener) {
	perSource := limit.NewKeyed(DiscoveryPerSource, DiscoveryPerSource*4, 16384)
	all := rate.NewLimiter(DiscoveryPerSecond, DiscoveryPerSecond)
	for {
		d, err := l.control.ReadPlain(ctx)
		if err != nil {
			return
		}
		key := d.Addr.String()
		if !perSource.Allow(key) || !all.Allow() {
			s.metrics.limited.WithLabelValues("discovery").Inc()
			l.control.Warn("discovery-rate", "dropped Discovery Requests over the rate", "per_source", DiscoveryPerSource, "in_all", DiscoveryPerSecond)
			continue
		}
		req, err := wire.ParseControl(d.Data)
		if err != nil {
			l.control.Warn(key, "dropped malformed discovery packet", "err", err)
			continue
		}
		if req.Type != wire.DiscoveryRequest && req.Type != wire.PrimaryDiscoveryRequest {
			l.control.Warn(key, "dropped clear control message: only discovery is clear", "type", req.Type)
			continue
		}
		if t, missing := req.MissingMandatory(); missing {
			// RFC 5415 §5.2 has no Result Code in a Discovery Response:
			// the request is not answered.
			l.control.Warn(key, "dropped Discovery Request", "missing", t)
			continue
		}
		resp := &wire.ControlMessage{
			Type: req.Type + 1,
			Seq:  req.Seq,
			Elements: []wire.Element{
				s.acDescriptor(),
				&wire.ACName{Name: s.cfg.Name},
				&wire.CAPWAPControlIPv4Address{Address: transport.LocalIPv4For(d.Addr), WTPCount: s.wtpCount()},
			},
		}
		b, err := resp.AppendBinary(nil)
		if err != nil {
			s.cfg.Logger.Error("encode Discovery Response", "err", err)
			continue
		}
		if err := l.control.WritePlain(b, d.Addr); err != nil {
			l.control.Warn(key, "discovery response not sent", "err", err)
		}
	}
}

// Discovery answer rates: a CAP sends a Discovery Request every few
// seconds while it looks for a manager.
const (
	DiscoveryPerSource = 5
	DiscoveryPerSecond = 2000
)

// serveData answers Data Channel Keep-Alives (RFC 5415 §4.4.1) from CAPs with
// a session, which is what moves a session from Data Check to Run, and
// hands the clients' frames of manager-forwarded interfaces to the session
// whose CAP sent them.
func (s *Server) serveData(ctx context.Context, l *listener) {
	buf := make([]byte, 65536)
	warn := transport.NewLogLimiter(s.cfg.Logger, warnInterval)
	udp, _ := l.data.(*net.UDPConn)
	for {
		// A client's frame costs no allocation on UDP: the peer's address
		// stays a netip.AddrPort unless the packet is a keep-alive.
		var (
			n    int
			addr net.Addr
			ap   netip.AddrPort
			err  error
		)
		if udp != nil {
			n, ap, err = udp.ReadFromUDPAddrPort(buf)
		} else {
			n, addr, err = l.data.ReadFrom(buf)
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			return
		}
		if typ, err := wire.ParsePreamble(buf[:n]); err == nil && typ == wire.PreambleDTLS {
			if udp != nil {
				addr = net.UDPAddrFromAddrPort(ap)
			}
			if !s.dataMux(ctx, l).Feed(buf[:n], addr) {
				s.metrics.dataPackets.WithLabelValues("rx", "dropped").Inc()
			}
			continue
		}
		if h, _, err := tunnel.Decode(buf[:n]); err == nil && !h.KeepAlive {
			var c *session
			if udp != nil {
				c = s.byData.byUDP(ap)
			} else {
				c = s.byData.byAddr(addr)
			}
			if c == nil || !c.fromCAP(buf[:n]) {
				s.metrics.dataPackets.WithLabelValues("rx", "dropped").Inc()
			}
			continue
		}
		if udp != nil {
			addr = net.UDPAddrFromAddrPort(ap)
		}
		p, err := wire.ParseData(buf[:n])
		if err != nil || p.KeepAlive == nil {
			s.metrics.dataPackets.WithLabelValues("rx", "dropped").Inc()
		}
		if err != nil {
			warn.Warn(addr.String(), "dropped malformed data packet", "err", err)
			continue
		}
		if p.KeepAlive == nil {
			continue
		}
		s.mu.Lock()
		c := s.bySession[p.KeepAlive.SessionID]
		s.mu.Unlock()
		if c == nil {
			s.metrics.dataPackets.WithLabelValues("rx", "dropped").Inc()
			warn.Warn(addr.String(), "dropped keep-alive for an unknown session", "session", p.KeepAlive.SessionID)
			continue
		}
		if c.dataDTLS {
			// Told to use DTLS: a clear keep-alive (a forger's, or a CAP
			// that ignored its Join Response) opens nothing.
			s.metrics.dataPackets.WithLabelValues("rx", "dropped").Inc()
			warn.Warn(addr.String(), "dropped clear keep-alive of a DTLS data session", "cap", c.identity)
			continue
		}
		if _, err := l.data.WriteTo(buf[:n], addr); err != nil {
			warn.Warn(addr.String(), "keep-alive echo not sent", "err", err)
			continue
		}
		s.metrics.dataPackets.WithLabelValues("rx", "keepalive").Inc()
		s.metrics.dataPackets.WithLabelValues("tx", "keepalive").Inc()
		c.dataSeen(l.data, addr, true)
	}
}
