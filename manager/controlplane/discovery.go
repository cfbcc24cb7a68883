package controlplane

import (
	"context"
	"net"
	"net/netip"

	"golang.org/x/time/rate"

	"github.com/capstan-wifi/capstan/internal/limit"
	"github.com/capstan-wifi/capstan/internal/offload"

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
	oob := make([]byte, 64)
	d := &dataReader{s: s, l: l, warn: transport.NewLogLimiter(s.cfg.Logger, warnInterval), co: offload.NewCoalescer()}
	d.udp, _ = l.data.(*net.UDPConn)
	// UDP GRO: the kernel hands over a CAP's run of equal-size datagrams
	// (what a CAP sending with UDP GSO makes) in one read.
	gro := d.udp != nil && transport.EnableGRO(d.udp) == nil
	for {
		// A client's frame costs no allocation on UDP: the peer's address
		// stays a netip.AddrPort unless the packet is a keep-alive.
		var (
			n, seg int
			err    error
		)
		d.addr = nil
		switch {
		case gro:
			var oobn int
			n, oobn, _, d.ap, err = d.udp.ReadMsgUDPAddrPort(buf, oob)
			if err == nil {
				seg = transport.GROSegment(oob[:oobn])
			}
		case d.udp != nil:
			n, d.ap, err = d.udp.ReadFromUDPAddrPort(buf)
		default:
			n, d.addr, err = l.data.ReadFrom(buf)
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
		if seg <= 0 || seg >= n {
			d.packet(ctx, buf[:n])
		} else {
			for off := 0; off < n; off += seg {
				d.packet(ctx, buf[off:min(off+seg, n)])
			}
		}
		_ = d.co.Flush() // a TAP that fails counts its own drops

	}
}

// dataReader is serveData's state for one listener.
type dataReader struct {
	s    *Server
	l    *listener
	warn *transport.LogLimiter
	udp  *net.UDPConn
	co   *offload.Coalescer // merges each read's TCP segments for the TAPs
	ap   netip.AddrPort     // the sender, on UDP
	addr net.Addr           // the sender, made from ap only when needed
}

func (d *dataReader) sender() net.Addr {
	if d.addr == nil && d.udp != nil {
		d.addr = net.UDPAddrFromAddrPort(d.ap)
	}
	return d.addr
}

// packet handles one data channel packet.
func (d *dataReader) packet(ctx context.Context, pkt []byte) {
	s, l := d.s, d.l
	if typ, err := wire.ParsePreamble(pkt); err == nil && typ == wire.PreambleDTLS {
		if d.udp != nil && d.fastPacket(d.ap, pkt) {
			return
		}
		if !s.dataMux(ctx, l).Feed(pkt, d.sender()) {
			s.metrics.dataPackets.WithLabelValues("rx", "dropped").Inc()
		}
		return
	}
	if h, _, err := tunnel.Decode(pkt); err == nil && !h.KeepAlive {
		var c *session
		if d.udp != nil {
			c = s.byData.byUDP(d.ap)
		} else {
			c = s.byData.byAddr(d.addr)
		}
		if c == nil || !c.fromCAP(pkt, d.co) {
			s.metrics.dataPackets.WithLabelValues("rx", "dropped").Inc()
		}
		return
	}
	addr := d.sender()
	p, err := wire.ParseData(pkt)
	if err != nil || p.KeepAlive == nil {
		s.metrics.dataPackets.WithLabelValues("rx", "dropped").Inc()
	}
	if err != nil {
		d.warn.Warn(addr.String(), "dropped malformed data packet", "err", err)
		return
	}
	if p.KeepAlive == nil {
		return
	}
	s.mu.Lock()
	c := s.bySession[p.KeepAlive.SessionID]
	s.mu.Unlock()
	if c == nil {
		s.metrics.dataPackets.WithLabelValues("rx", "dropped").Inc()
		d.warn.Warn(addr.String(), "dropped keep-alive for an unknown session", "session", p.KeepAlive.SessionID)
		return
	}
	if c.dataDTLS {
		// Told to use DTLS: a clear keep-alive (a forger's, or a CAP
		// that ignored its Join Response) opens nothing.
		s.metrics.dataPackets.WithLabelValues("rx", "dropped").Inc()
		d.warn.Warn(addr.String(), "dropped clear keep-alive of a DTLS data session", "cap", c.identity)
		return
	}
	if _, err := l.data.WriteTo(pkt, addr); err != nil {
		d.warn.Warn(addr.String(), "keep-alive echo not sent", "err", err)
		return
	}
	s.metrics.dataPackets.WithLabelValues("rx", "keepalive").Inc()
	s.metrics.dataPackets.WithLabelValues("tx", "keepalive").Inc()
	c.dataSeen(l.data, addr, true)
}
