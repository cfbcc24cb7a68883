package controlplane

import (
	"bytes"
	"context"
	"net"
	"time"

	"github.com/capstan-wifi/capstan/capwap/transport"
	"github.com/capstan-wifi/capstan/capwap/wire"
)

// The DTLS data channel (manager data-channel=dtls): a CAP told so in its
// Join Response opens a second DTLS association to the data port, with
// the certificate of its control session, and sends its keep-alives and
// its clients' frames through it. The data port's clear reader hands
// DTLS packets to a Mux of their own (made with the first one), so that
// clear data sessions keep their path.

// dataMux returns l's DTLS data Mux, starting it and its accept loop on
// first use.
func (s *Server) dataMux(ctx context.Context, l *listener) *transport.FeedConn {
	l.dtlsOnce.Do(func() {
		l.feed = transport.NewFeedConn(l.data, 256)
		l.dtls = transport.NewMux(l.feed, transport.MuxConfig{Accept: true, CIDLength: transport.CIDLength,
			Logger: s.cfg.Logger, MaxPeers: s.cfg.MaxCAPs + s.cfg.MaxCAPs/8 + 64})
		go func() {
			for {
				peer, err := l.dtls.Accept(ctx)
				if err != nil {
					return
				}
				go s.serveDTLSData(ctx, l, peer)
			}
		}()
	})
	return l.feed
}

// serveDTLSData runs one DTLS data association: its first keep-alive
// names the session, which must have been told to use DTLS and must be
// the same CAP (the same certificate, or without one the same address as
// its control channel); then keep-alives are echoed and frames go to the
// session. It ends with the association or the session.
func (s *Server) serveDTLSData(ctx context.Context, l *listener, peer *transport.Peer) {
	addr := peer.Addr()
	sc := transport.ServerConfig{Certificate: s.cfg.Certificate}
	if s.cfg.Authority != nil {
		sc.VerifyPeer = func(raw [][]byte) error {
			_, refusal := s.cfg.Authority.VerifyCAP(raw)
			return refusal
		}
	}
	conn, err := transport.Accept(ctx, peer, sc)
	if err != nil {
		peer.Close()
		if ctx.Err() == nil && !peer.Replaced() && !peer.Evicted() {
			l.dtls.Warn(addr.String(), "DTLS data channel handshake failed", "err", err)
		}
		return
	}
	dc := transport.NewDataConn(conn, addr, peer)
	defer dc.Close()
	buf := make([]byte, 65536)
	var bound *session
	for {
		if bound == nil {
			_ = dc.SetReadDeadline(time.Now().Add(dataHelloTimeout))
		}
		n, _, err := dc.ReadFrom(buf)
		if err != nil {
			return
		}
		pkt := buf[:n]
		p, err := wire.ParseData(pkt)
		if err != nil || p.KeepAlive == nil {
			if bound == nil || !bound.fromCAP(pkt, nil) {
				s.metrics.dataPackets.WithLabelValues("rx", "dropped").Inc()
			}
			continue
		}
		s.mu.Lock()
		c := s.bySession[p.KeepAlive.SessionID]
		s.mu.Unlock()
		if c == nil || (bound != nil && c != bound) {
			s.metrics.dataPackets.WithLabelValues("rx", "dropped").Inc()
			l.dtls.Warn(addr.String(), "dropped DTLS keep-alive for an unknown session", "session", p.KeepAlive.SessionID)
			continue
		}
		if bound == nil {
			if why := c.dataPeerMismatch(dc, addr); why != "" {
				l.dtls.Warn(addr.String(), "refused DTLS data channel", "cap", c.identity, "reason", why)
				return
			}
			bound = c
			_ = dc.SetReadDeadline(time.Time{})
			rc := s.fastDTLS(l, dc, addr, c)
			go func() {
				select {
				case <-c.closed:
				case <-ctx.Done():
				}
				if rc != nil {
					s.fastData.remove(rc)
				}
				dc.Close()
			}()
			if rc != nil {
				// From now on the data reader opens this CAP's records
				// itself; pion sees only what is not application data.
				if _, err := rc.WriteTo(pkt, addr); err == nil {
					s.metrics.dataPackets.WithLabelValues("rx", "keepalive").Inc()
					s.metrics.dataPackets.WithLabelValues("tx", "keepalive").Inc()
				}
				c.dataSeen(rc, addr, false)
				continue
			}
		}
		if _, err := dc.WriteTo(pkt, addr); err != nil {
			continue
		}
		s.metrics.dataPackets.WithLabelValues("rx", "keepalive").Inc()
		s.metrics.dataPackets.WithLabelValues("tx", "keepalive").Inc()
		c.dataSeen(dc, addr, false)
	}
}

// dataHelloTimeout bounds how long a DTLS data association may stay silent
// before its first keep-alive.
const dataHelloTimeout = 15 * time.Second

// dataPeerMismatch says why dc, from addr, is not this session's CAP, ""
// if it is.
func (c *session) dataPeerMismatch(dc *transport.DataConn, addr net.Addr) string {
	if !c.dataDTLS {
		return "the session was told to use the clear data channel"
	}
	chain := dc.PeerCertificates()
	if c.leaf != nil {
		if len(chain) == 0 || !bytes.Equal(chain[0], c.leaf.Raw) {
			return "its certificate is not the control session's"
		}
		return ""
	}
	if len(chain) != 0 {
		return "a certificate the control session did not present"
	}
	if hostOf(addr.String()) != hostOf(c.cc.RemoteAddr().String()) {
		return "another address than the control session's"
	}
	return ""
}
