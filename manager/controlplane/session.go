package controlplane

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/capstan-wifi/capstan/capwap/transport"
	"github.com/capstan-wifi/capstan/capwap/tunnel"
	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/hal"
	"github.com/capstan-wifi/capstan/manager/channel"
	"github.com/capstan-wifi/capstan/manager/provision"
	"github.com/capstan-wifi/capstan/manager/upgrade"
	"github.com/capstan-wifi/capstan/pki"
)

const warnInterval = 10 * time.Second

// session is one CAP's association, from the DTLS handshake to its end.
type session struct {
	srv       *Server
	seq       uint64 // order of its handshake's completion among sessions
	peer      *transport.Peer
	cc        *transport.ControlConn
	log       *slog.Logger
	warn      *transport.LogLimiter // at most a line per kind of trouble per 10 s
	requests  *rate.Limiter         // control requests past Join
	addr      string
	transport string
	cn        string
	serial    string            // of the CAP's verified certificate, "" without one
	leaf      *x509.Certificate // the CAP's certificate, nil without one
	closed    chan struct{}
	closeOnce sync.Once
	ctx       context.Context // ends with the session
	data      chan struct{}
	dataOnce  sync.Once
	// Manager forwarding: the data channel towards the CAP (set by its
	// first keep-alive), fragments being put back together (the data
	// channel's reader alone uses it) and the bound interfaces.
	sender *dataSender
	reasm  *tunnel.Reassembler
	ft     *fwdTable // set with sender
	fwd    map[wlanKey]provision.Interface
	// fwdEnded: unbindAll ran; a push still under way unbinds what it binds.
	fwdEnded bool
	// dataDTLS: the Join Response told the CAP to run its data channel
	// over DTLS; clear data packets of this session are dropped. Set
	// before the session is in Run, read after.
	dataDTLS bool
	// enrollOnly: no certificate while one is required; the session may
	// only ask for one.
	enrollOnly bool

	// Set at Join, read under srv.mu by row().
	id        wire.SessionID
	key       string
	identity  string
	baseMAC   string
	board     string
	version   string
	radios    int
	radioInfo []provision.Radio
	joinedAt  time.Time
	image     *upgrade.Package // offered at Join: the session delivers it and ends
	names     []string         // its dynamic interface names, under srv.provMu

	mu          sync.Mutex
	state       string
	configError string                   // why the CAP refused its configuration, "" if it did not
	stations    map[string]*Registration // its wireless clients, by MAC
	stationGen  uint64                   // counts arrivals and departures in stations
	perWLAN     map[wlanKey]int          // how many of them each WLAN has
	ifaces      map[uint8][]provision.Interface
	surveys     map[uint8][]hal.SurveyEntry // the latest survey of each radio
	chosen      map[uint8]channel.Choice    // the channel selected for each radio
	running     map[uint8]int               // MHz each radio reported it serves on at configure
	surveyed    chan uint8                  // radios with a fresh survey, for reselection
	reselectMu  sync.Mutex
	pushed      chan struct{} // a push happened: the reselect schedule may change

	// Under pushMu: one configuration push at a time, and what each radio
	// was last sent (encoded), the WLAN IDs it serves and its refusal.
	pushMu      sync.Mutex
	reselecting bool // its reselectLoop runs
	sent        map[uint8][]byte
	served      map[uint8][]uint8
	refused     map[uint8]string
}

// handle runs one association through its life.
func (s *Server) handle(ctx context.Context, l *listener, peer *transport.Peer) {
	addr := peer.Addr().String()
	defer peer.Close()
	var refusal error
	sc := transport.ServerConfig{Certificate: s.cfg.Certificate}
	if s.cfg.Authority != nil {
		sc.VerifyPeer = func(raw [][]byte) error {
			_, refusal = s.cfg.Authority.VerifyCAP(raw)
			return refusal
		}
	}
	began := time.Now()
	conn, err := transport.Accept(ctx, peer, sc)
	if err != nil {
		switch {
		case refusal != nil:
			l.control.Warn(addr, "refused CAP certificate", "err", refusal)
		case !peer.Replaced() && !peer.Evicted() && ctx.Err() == nil:
			l.control.Warn(addr, "DTLS handshake failed", "err", err)
		}
		return
	}
	s.metrics.handshake.Observe(time.Since(began).Seconds())
	s.joining.Add(1)
	joining := true
	doneJoining := func() {
		if joining {
			joining = false
			s.joining.Add(-1)
		}
	}
	defer doneJoining()
	st, _ := conn.ConnectionState()
	var cn string
	if s.cfg.Authority != nil { // else the certificate was not verified: it names nobody
		if cn, err = pki.CommonName(st.PeerCertificates); err != nil {
			l.control.Warn(addr, "refused CAP", "err", err)
			conn.Close()
			return
		}
	}
	c := &session{
		srv: s, seq: s.sessions.Add(1), peer: peer, addr: addr, transport: l.kind, cn: cn,
		enrollOnly: len(st.PeerCertificates) == 0 && s.cfg.RequirePeerCertificate,
		log:        s.cfg.Logger.With("peer", addr),
		closed:     make(chan struct{}), data: make(chan struct{}),
		state: "join", surveys: map[uint8][]hal.SurveyEntry{}, chosen: map[uint8]channel.Choice{}, surveyed: make(chan uint8, 8),
		pushed: make(chan struct{}, 1),
		sent:   map[uint8][]byte{}, served: map[uint8][]uint8{}, refused: map[uint8]string{},
	}
	sctx, endSession := context.WithCancel(ctx)
	defer endSession()
	c.ctx = sctx
	c.warn = transport.NewKindLimiter(c.log, warnInterval)
	c.requests = rate.NewLimiter(RequestsPerSecond, RequestBurst)
	c.cc = transport.NewControlConn(conn, transport.ControlConfig{Logger: s.cfg.Logger, Peer: addr, Answer: c.fastAnswer})
	defer c.cc.Close()
	c.fastControl(peer, conn)
	if len(st.PeerCertificates) > 0 && cn != "" {
		if c.leaf, err = x509.ParseCertificate(st.PeerCertificates[0]); err == nil {
			c.serial = pki.SerialString(c.leaf.SerialNumber)
		}
	}
	if err := c.join(ctx); err != nil {
		if errors.Is(err, errEnrolled) {
			c.log.Info("enrollment session done", "detail", err)
			return
		}
		c.log.Warn("join failed", "err", err)
		// Closing at once sends close_notify right behind the refusal, and
		// a DTLS peer may act on the close before it reads the refusal:
		// linger until the CAP hangs up, briefly.
		t := time.NewTimer(time.Second)
		defer t.Stop()
		select {
		case <-c.cc.Done():
		case <-t.C:
		case <-ctx.Done():
		}
		return
	}
	defer s.unregister(c)
	s.metrics.joins.Inc()
	s.metrics.join.Observe(time.Since(began).Seconds())
	c.log.Info("CAP joined", "common_name", c.cn, "board", c.board, "version", c.version)
	if c.image != nil {
		if err := c.sendImage(ctx, c.image); !errors.Is(err, errImageSent) {
			c.log.Warn("upgrade not delivered", "image", c.image.Name, "err", err)
		}
		return
	}
	for _, step := range []func(context.Context) error{c.configure, c.dataCheck} {
		if err := step(ctx); err != nil {
			c.log.Warn("CAP did not reach run", "state", c.State(), "err", err)
			return
		}
	}
	doneJoining()
	c.setState("run")
	c.log.Info("CAP running")
	if d := s.cfg.Directory; d != nil {
		d.Held(c.row(), c.registrations())
		defer func() { d.Released(c.row()) }()
	}
	pushCtx, cancelPush := context.WithCancel(ctx)
	defer cancelPush()
	go c.push(pushCtx)
	err = c.run(ctx)
	c.log.Warn("CAP session ended", "err", err)
}

// stationGeneration changes whenever a client comes or goes.
func (c *session) stationGeneration() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stationGen
}

func (c *session) State() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

func (c *session) setState(st string) {
	c.mu.Lock()
	c.state = st
	c.mu.Unlock()
}

func (c *session) close() { c.closeOnce.Do(func() { close(c.closed); c.cc.Close() }) }

// dataSeen records the data channel, conn to addr, at the CAP's first
// keep-alive, which moves the session from Data Check to Run. A clear
// channel (index) is found by its peer's address; a DTLS one has its own
// reader.
func (c *session) dataSeen(conn net.PacketConn, addr net.Addr, index bool) {
	c.dataOnce.Do(func() {
		c.mu.Lock()
		c.sender = newDataSender(conn, addr)
		c.reasm = tunnel.NewReassembler()
		c.ft = newFwdTable(c.sender.Send, transport.DataMTUOf(conn, addr)-tunnel.HeaderLenWLANs)
		c.ft.queue, c.ft.flush = c.sender.Queue, c.sender.Flush
		for mac, r := range c.stations {
			if m, err := net.ParseMAC(mac); err == nil {
				c.ft.place(macOf(m), wlanKey{r.RadioID, r.WLANID})
			}
		}
		c.mu.Unlock()
		if index {
			c.srv.byData.set(addr, c)
		}
		close(c.data)
	})
}

func (c *session) row() RemoteCap {
	c.mu.Lock()
	defer c.mu.Unlock()
	return RemoteCap{
		Identity: c.identity, Address: c.addr, Transport: c.transport, BaseMAC: c.baseMAC,
		Board: c.board, Version: c.version, State: c.state, CommonName: c.cn,
		Radios: c.radios, CertificateSerial: c.serial, Uptime: time.Since(c.joinedAt).Round(time.Second).String(), JoinedAt: c.joinedAt,
		ConfigError: c.configError, Clients: len(c.stations),
	}
}

var errTimeout = errors.New("timed out")

// next waits for the CAP's next request.
func (c *session) next(ctx context.Context, timeout time.Duration) (*wire.ControlMessage, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case m := <-c.cc.Requests():
		return m, nil
	case <-c.cc.Done():
		return nil, c.cc.Err()
	case <-c.closed:
		return nil, errors.New("replaced by a newer session")
	case <-t.C:
		return nil, fmt.Errorf("waiting in %s: %w", c.State(), errTimeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// expect waits for a request of type want, answering any other request with
// Result Code 18 (RFC 5415 §4.6.35: message unexpected, invalid in the
// current state).
func (c *session) expect(ctx context.Context, want wire.MessageType) (*wire.ControlMessage, error) {
	deadline := time.Now().Add(c.srv.cfg.JoinTimeout)
	for {
		m, err := c.next(ctx, time.Until(deadline))
		if err != nil {
			return nil, err
		}
		if m.Type == want {
			return m, nil
		}
		c.warn.Warn("unexpected", "unexpected request", "state", c.State(), "type", m.Type)
		_ = c.cc.Respond(m, resultOnly(wire.ResultMessageUnexpectedInvalidState))
	}
}

func resultOnly(code wire.ResultCode) *wire.ControlMessage {
	return &wire.ControlMessage{Elements: []wire.Element{&wire.ResultCodeElement{Code: code}}}
}

// refuse answers req with a failing Result Code and returns the error.
func (c *session) refuse(req *wire.ControlMessage, code wire.ResultCode, format string, args ...any) error {
	resp := resultOnly(code)
	resp.Elements = append(resp.Elements, c.srv.acDescriptor(), &wire.ACName{Name: c.srv.cfg.Name})
	_ = c.cc.Respond(req, resp)
	return fmt.Errorf("refused with result %d (%v): %s", uint32(code), code, fmt.Sprintf(format, args...))
}
