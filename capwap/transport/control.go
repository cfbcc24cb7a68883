package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/dtls/v3"

	"github.com/capstan-wifi/capstan/capwap/wire"
)

// ControlConfig tunes a ControlConn.
type ControlConfig struct {
	// RetransmitInterval is how long a request waits for its response before
	// it is sent again (RFC 5415 §4.7: 3 s; capstan defaults to 1 s so that
	// a lost request costs less than the 3 s failure-detection budget).
	RetransmitInterval time.Duration
	// MaxRetransmit is how many times a request is sent again before the
	// peer is declared unreachable (RFC 5415 §4.8: 5).
	MaxRetransmit int
	// MaxPayload is the largest control payload sent in one packet; larger
	// messages are fragmented (RFC 5415 §3.4).
	MaxPayload int
	// Logger receives rate-limited warnings about malformed messages.
	Logger *slog.Logger
	// Peer names the peer in those warnings.
	Peer string
	// Answer, when set, sees each new request on the read goroutine
	// before it is queued: handled with a response answers it at once (an
	// Echo Request costs no hand-over to another goroutine), handled
	// without one drops it unanswered (its retransmission is taken as
	// new), not handled queues it for Requests.
	Answer func(*wire.ControlMessage) (resp *wire.ControlMessage, handled bool)
}

// Default control channel settings.
const (
	DefaultRetransmitInterval = time.Second
	DefaultMaxRetransmit      = 5
	// MaxControlPayload keeps a fragment and its DTLS record inside DTLSMTU.
	MaxControlPayload = 1200
)

// maxControlRecord is the largest DTLS record a control channel reads:
// CAPWAP fragments control messages to the path MTU (RFC 5415 §3.4), so a
// record never nears it, and a session holds 4 KiB rather than 64.
const maxControlRecord = 4096

// Errors of the control channel.
var (
	ErrNoResponse = errors.New("no response after MaxRetransmit retransmissions")
	ErrClosed     = errors.New("control channel closed")
)

// ControlConn is the CAPWAP control channel over a conn that carries one
// CAPWAP packet per read and write (a DTLS conn). It numbers requests,
// retransmits them until their response arrives, allows one outstanding
// request (RFC 5415 §4.5.2), drops late and duplicate responses by sequence
// number, answers a repeated request with the cached response instead of
// processing it twice, and fragments and reassembles large messages.
type ControlConn struct {
	conn net.Conn
	cfg  ControlConfig
	warn *LogLimiter

	reqMu  sync.Mutex // one outstanding request
	seq    uint8
	mu     sync.Mutex
	waitFn func(*wire.ControlMessage) bool

	respMu      sync.Mutex
	lastReqSeq  int // sequence number of the last request answered, -1 none
	lastReqType wire.MessageType
	lastResp    [][]byte

	requests chan *wire.ControlMessage
	done     chan struct{}
	err      error
	closing  sync.Once
	lastRx   atomic.Int64 // unix nanoseconds of the last valid message
	fragID   atomic.Uint32
	injected atomic.Uint64 // packets the fast path handed in
	read     atomic.Uint64 // packets read from conn

	reasmMu sync.Mutex // the reader and Inject share the reassembler
	reasm   *wire.Reassembler
	// sendMu orders writes and the switch to a fast path: once fast is
	// set, nothing more is written through conn (its record numbers would
	// fall behind the fast path's and the peer would drop them).
	sendMu sync.Mutex
	fast   *FastPath
}

// FastPath is where a control channel sends once its records are sealed
// outside the DTLS library (dtlsrecord): Send seals and writes one CAPWAP
// packet; Close sends what ends the association (a sealed close_notify).
type FastPath struct {
	Send  func(pkt []byte) error
	Close func()
}

// NewControlConn starts reading conn.
func NewControlConn(conn net.Conn, cfg ControlConfig) *ControlConn {
	if cfg.RetransmitInterval == 0 {
		cfg.RetransmitInterval = DefaultRetransmitInterval
	}
	if cfg.MaxRetransmit == 0 {
		cfg.MaxRetransmit = DefaultMaxRetransmit
	}
	if cfg.MaxPayload == 0 {
		cfg.MaxPayload = MaxControlPayload
	}
	c := &ControlConn{
		conn:       conn,
		cfg:        cfg,
		warn:       NewLogLimiter(cfg.Logger, 10*time.Second),
		lastReqSeq: -1,
		requests:   make(chan *wire.ControlMessage, 16),
		done:       make(chan struct{}),
		reasm:      wire.NewReassembler(wire.DefaultReassemblyLimits),
	}
	c.lastRx.Store(time.Now().UnixNano())
	go c.readLoop()
	return c
}

// Requests delivers the peer's requests; answer each with Respond.
func (c *ControlConn) Requests() <-chan *wire.ControlMessage { return c.requests }

// Done is closed when the channel fails or is closed; Err says why.
func (c *ControlConn) Done() <-chan struct{} { return c.done }

// Err returns why the channel stopped.
func (c *ControlConn) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Received counts the packets that came in through the fast path
// (Inject) and those read from conn.
func (c *ControlConn) Received() (injected, read uint64) { return c.injected.Load(), c.read.Load() }

// LastReceived is when the peer last sent a valid control message.
func (c *ControlConn) LastReceived() time.Time { return time.Unix(0, c.lastRx.Load()) }

// Close closes the channel and its conn.
func (c *ControlConn) Close() error {
	c.fail(ErrClosed)
	return nil
}

func (c *ControlConn) fail(err error) {
	c.closing.Do(func() {
		c.err = err
		close(c.done)
		c.sendMu.Lock()
		if c.fast != nil && c.fast.Close != nil {
			c.fast.Close()
		}
		c.sendMu.Unlock()
		_ = c.conn.Close()
	})
}

// SwitchToFastPath makes the channel send through the fast path make
// returns from now on; make runs while no write is in flight, so that it
// can take the association's state as it is (nil: stay on conn). Packets
// the fast path reads come in through Inject.
func (c *ControlConn) SwitchToFastPath(make func() *FastPath) bool {
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	if c.fast != nil {
		return true
	}
	c.fast = make()
	return c.fast != nil
}

// Inject takes one CAPWAP control packet the fast path opened, on the
// caller's goroutine: an Echo Request is answered there (Answer), a
// request for the session is queued, or dropped if the queue is full (the
// peer retransmits it). pkt may be reused after Inject returns.
func (c *ControlConn) Inject(pkt []byte) {
	c.injected.Add(1)
	c.reasmMu.Lock()
	m, err := c.decode(c.reasm, pkt)
	c.reasmMu.Unlock()
	if err != nil {
		c.warn.Warn(c.cfg.Peer, "dropped malformed control message", "err", err)
		return
	}
	if m == nil {
		return
	}
	c.lastRx.Store(time.Now().UnixNano())
	c.dispatch(m, false)
}

// Request sends m with the next sequence number and waits for the response
// of the matching type and number, retransmitting as configured.
func (c *ControlConn) Request(ctx context.Context, m *wire.ControlMessage) (*wire.ControlMessage, error) {
	c.reqMu.Lock()
	defer c.reqMu.Unlock()
	m.Seq = c.seq
	c.seq++
	pkts, err := c.encode(m)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", m.Type, err)
	}
	got := make(chan *wire.ControlMessage, 1)
	c.mu.Lock()
	c.waitFn = func(r *wire.ControlMessage) bool {
		if r.Type != m.Type+1 || r.Seq != m.Seq {
			return false
		}
		select {
		case got <- r:
		default:
		}
		return true
	}
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.waitFn = nil
		c.mu.Unlock()
	}()
	t := time.NewTimer(0)
	defer t.Stop()
	for sent := 0; ; {
		select {
		case r := <-got:
			return r, nil
		case <-t.C:
			if sent > c.cfg.MaxRetransmit {
				return nil, fmt.Errorf("%v: %w", m.Type, ErrNoResponse)
			}
			if err := c.send(pkts); err != nil {
				return nil, fmt.Errorf("%v: %w", m.Type, err)
			}
			sent++
			t.Reset(c.cfg.RetransmitInterval)
		case <-c.done:
			return nil, fmt.Errorf("%v: %w", m.Type, c.err)
		case <-ctx.Done():
			return nil, fmt.Errorf("%v: %w", m.Type, ctx.Err())
		}
	}
}

// Respond answers req with resp, which gets req's sequence number and the
// response type, and keeps it to answer a retransmitted req.
func (c *ControlConn) Respond(req, resp *wire.ControlMessage) error {
	resp.Type = req.Type + 1
	resp.Seq = req.Seq
	pkts, err := c.encode(resp)
	if err != nil {
		return fmt.Errorf("%v: %w", resp.Type, err)
	}
	c.respMu.Lock()
	c.lastReqSeq, c.lastReqType, c.lastResp = int(req.Seq), req.Type, pkts
	c.respMu.Unlock()
	return c.send(pkts)
}

func (c *ControlConn) encode(m *wire.ControlMessage) ([][]byte, error) {
	payload, err := m.MarshalPayload()
	if err != nil {
		return nil, err
	}
	frags, err := wire.Fragment(m.Header, payload, c.cfg.MaxPayload, uint16(c.fragID.Add(1)))
	if err != nil {
		return nil, err
	}
	out := make([][]byte, 0, len(frags))
	for _, f := range frags {
		b, err := f.AppendBinary(nil)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

func (c *ControlConn) send(pkts [][]byte) error {
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	for _, b := range pkts {
		var err error
		if c.fast != nil {
			err = c.fast.Send(b)
		} else {
			_, err = c.conn.Write(b)
		}
		if err != nil {
			if !errors.Is(err, net.ErrClosed) && !isClosedConn(err) {
				c.warn.Warn(c.cfg.Peer, "control message not sent", "err", err)
				continue // lost like any datagram; retransmission covers it
			}
			go c.fail(fmt.Errorf("write: %w", err)) // fail takes sendMu
			return err
		}
	}
	return nil
}

func (c *ControlConn) readLoop() {
	buf := make([]byte, maxControlRecord)
	for {
		n, err := c.conn.Read(buf)
		if err != nil {
			var te *dtls.TemporaryError
			if errors.As(err, &te) {
				// pion: a record larger than the buffer (dropped), or of
				// an unexpected content type; the association goes on.
				c.warn.Warn(c.cfg.Peer, "dropped control record", "err", err, "limit", maxControlRecord)
				continue
			}
			c.fail(fmt.Errorf("read: %w", err))
			return
		}
		c.read.Add(1)
		c.reasmMu.Lock()
		m, err := c.decode(c.reasm, buf[:n])
		c.reasmMu.Unlock()
		if err != nil {
			c.warn.Warn(c.cfg.Peer, "dropped malformed control message", "err", err)
			continue
		}
		if m == nil {
			continue // a fragment of a message still incomplete
		}
		c.lastRx.Store(time.Now().UnixNano())
		c.dispatch(m, true)
	}
}

func (c *ControlConn) decode(reasm *wire.Reassembler, b []byte) (*wire.ControlMessage, error) {
	p, err := wire.ParsePacket(b)
	if err != nil {
		return nil, err
	}
	h, payload := p.Header, p.Payload
	if h.Fragment {
		var done bool
		h, payload, done, err = reasm.Add(p, time.Now())
		if err != nil || !done {
			return nil, err
		}
	}
	return wire.DecodeControlPayload(h, payload)
}

// dispatch handles a decoded message; a request for the session waits for
// room in the queue when block, else it is dropped when the queue is full.
func (c *ControlConn) dispatch(m *wire.ControlMessage, block bool) {
	if m.Type%2 == 0 { // a response (RFC 5415 §4.5.1.1: requests are odd)
		c.mu.Lock()
		fn := c.waitFn
		c.mu.Unlock()
		if fn == nil || !fn(m) {
			c.warn.Warn(c.cfg.Peer+"/late", "dropped late or unexpected response", "type", m.Type, "seq", m.Seq)
		}
		return
	}
	c.respMu.Lock()
	dup := int(m.Seq) == c.lastReqSeq && m.Type == c.lastReqType
	resp := c.lastResp
	c.respMu.Unlock()
	if dup {
		if resp != nil { // still being processed otherwise
			_ = c.send(resp) // RFC 5415 §4.5.2: answer a retransmission, do not process it again
		}
		return
	}
	if c.cfg.Answer != nil {
		if resp, handled := c.cfg.Answer(m); handled {
			if resp != nil {
				_ = c.Respond(m, resp)
			}
			return
		}
	}
	c.respMu.Lock()
	c.lastReqSeq, c.lastReqType, c.lastResp = int(m.Seq), m.Type, nil
	c.respMu.Unlock()
	if !block {
		select {
		case c.requests <- m:
		case <-c.done:
		default:
			c.Unanswered(m)
			c.warn.Warn(c.cfg.Peer+"/queue", "dropped control request: the session's queue is full", "type", m.Type)
		}
		return
	}
	select {
	case c.requests <- m:
	case <-c.done:
	}
}

// Unanswered forgets req, which is dropped without an answer (over a
// rate), so that its retransmission is taken as new rather than as a
// duplicate of a request still being processed.
func (c *ControlConn) Unanswered(req *wire.ControlMessage) {
	c.respMu.Lock()
	if c.lastReqSeq == int(req.Seq) && c.lastReqType == req.Type && c.lastResp == nil {
		c.lastReqSeq = -1
	}
	c.respMu.Unlock()
}

// RemoteAddr returns the peer's address as the conn below knows it.
func (c *ControlConn) RemoteAddr() net.Addr { return c.conn.RemoteAddr() }

// isClosedConn reports whether err says the DTLS conn is closed for good.
func isClosedConn(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) || errors.Is(err, dtls.ErrConnClosed)
}
