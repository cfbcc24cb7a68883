package controlplane

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/capstan-wifi/capstan/capwap/transport"
	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/internal/buildinfo"
	"github.com/capstan-wifi/capstan/internal/limit"
	"github.com/capstan-wifi/capstan/manager/model"
)

// Server is the manager's control plane.
type Server struct {
	cfg Config

	mu        sync.Mutex
	listeners []*listener
	caps      map[string]*session // joined CAPs by identity key
	order     capOrder            // the same sessions, in the table's order
	bySession map[wire.SessionID]*session
	byData    *dataIndex // by the data channel's peer address
	fastData  fastIndex  // DTLS data associations the data reader opens itself
	ready     chan struct{}

	provMu  sync.Mutex    // provisioning runs one CAP at a time
	names   *nameTable    // dynamic interface names, by owner
	changed chan struct{} // the configuration changed
	// accessChanged: the configuration changed, for the access list's clock
	accessChanged chan struct{}
	// pushSlots bounds the configuration pushes in flight after a change.
	pushSlots chan struct{}
	metrics   metrics
	// enrollments bounds in-band enrollment requests per source address.
	enrollments *limit.Keyed
	// joining counts sessions past their handshake and not yet in Run.
	joining atomic.Int64
	// sessions numbers sessions in the order their handshakes completed.
	sessions atomic.Uint64
}

// listener is one control socket with its data channel: UDP, or layer 2 on
// one interface.
type listener struct {
	kind    string // "udp" or "l2"
	control *transport.Mux
	data    net.PacketConn
	// The data channel's DTLS associations (dtlsdata.go), made with the
	// first DTLS packet on data, which the clear reader feeds them.
	dtlsOnce sync.Once
	dtls     *transport.Mux
	feed     *transport.FeedConn
}

// MaxPushesInFlight bounds the CAPs a configuration change is being
// pushed to at once.
const MaxPushesInFlight = 64

// MaxJoinsInFlight bounds the sessions between their DTLS handshake and
// Run (Join, Configure, Data Check): while that many are under way, new
// ClientHellos are dropped and their CAPs send them again, so that a
// storm of CAPs is admitted at the pace the manager finishes them rather
// than all at once, each too slowly for its CAP's timers.
const MaxJoinsInFlight = 256

// New checks cfg and returns a server; Serve starts it.
func New(cfg Config) (*Server, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, fmt.Errorf("manager: %w", err)
	}
	s := &Server{
		cfg:           cfg,
		caps:          map[string]*session{},
		bySession:     map[wire.SessionID]*session{},
		byData:        newDataIndex(),
		ready:         make(chan struct{}),
		names:         newNameTable(),
		changed:       make(chan struct{}, 1),
		accessChanged: make(chan struct{}, 1),
		metrics:       newMetrics(),
		pushSlots:     make(chan struct{}, MaxPushesInFlight),
		enrollments:   limit.NewKeyed(EnrollmentsPerSource, 10*EnrollmentsPerSource, 16384),
	}
	cfg.Store.Subscribe(func(*model.Config) {
		select {
		case s.changed <- struct{}{}:
		default: // a pass over the CAPs is pending and will see this change
		}
		select {
		case s.accessChanged <- struct{}{}:
		default:
		}
	})
	return s, nil
}

// Ready is closed once every socket is open.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// ControlAddr returns the UDP control socket's address, nil before Ready or
// without UDP.
func (s *Server) ControlAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.listeners {
		if l.kind == "udp" {
			return l.control.LocalAddr()
		}
	}
	return nil
}

// Serve runs the control plane until ctx ends.
func (s *Server) Serve(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := s.open(ctx); err != nil {
		s.closeListeners()
		return err
	}
	defer s.closeListeners()
	close(s.ready)
	go s.reprovisionAll(ctx)
	go s.accessClock(ctx)
	var wg, data sync.WaitGroup
	for _, l := range s.listeners {
		wg.Add(2)
		data.Add(1)
		go func() { defer wg.Done(); s.serveDiscovery(ctx, l) }()
		go func() { defer data.Done(); s.serveData(ctx, l) }()
		go func() { defer wg.Done(); s.acceptLoop(ctx, l, &wg) }()
	}
	<-ctx.Done()
	// Sessions end first, each sending its CAP a DTLS close_notify while the
	// control sockets are still open, so that CAPs fail over at once rather
	// than after their timeout.
	for _, l := range s.listeners {
		l.data.Close()
	}
	data.Wait()
	wg.Wait()
	s.closeListeners()
	return nil
}

func (s *Server) open(ctx context.Context) error {
	log := s.cfg.Logger
	if s.cfg.ListenAddress != "" {
		c, err := transport.ListenUDP(ctx, s.cfg.ListenAddress)
		if err != nil {
			return err
		}
		host, port, _ := net.SplitHostPort(c.LocalAddr().String())
		p, _ := strconv.Atoi(port)
		d, err := transport.ListenUDP(ctx, net.JoinHostPort(host, strconv.Itoa(p+1)))
		if err != nil {
			c.Close()
			return fmt.Errorf("data channel: %w", err)
		}
		transport.SetBuffers(d, transport.ManagerDataBuffer)
		s.addListener("udp", c, d)
		log.Info("listening", "transport", "udp", "control", c.LocalAddr(), "data", d.LocalAddr())
	}
	for _, ifname := range s.cfg.L2Interfaces {
		c, err := transport.ListenL2(ifname, transport.ControlChannel)
		if err != nil {
			return err
		}
		d, err := transport.ListenL2(ifname, transport.DataChannel)
		if err != nil {
			c.Close()
			return err
		}
		transport.SetBuffers(d, transport.ManagerDataBuffer)
		s.addListener("l2", c, d)
		log.Info("listening", "transport", "l2", "interface", ifname)
	}
	return nil
}

func (s *Server) addListener(kind string, control, data net.PacketConn) {
	// Established associations: every CAP, plus room for enrollment-only
	// sessions and CAPs replacing their own stale session.
	mux := transport.NewMux(control, transport.MuxConfig{
		Accept: true, CIDLength: transport.CIDLength, Logger: s.cfg.Logger,
		MaxPeers: s.cfg.MaxCAPs + s.cfg.MaxCAPs/8 + 64,
		Busy:     func() bool { return s.joining.Load() >= MaxJoinsInFlight },
	})
	s.mu.Lock()
	s.listeners = append(s.listeners, &listener{kind: kind, control: mux, data: data})
	s.mu.Unlock()
}

func (s *Server) closeListeners() {
	s.mu.Lock()
	ls := s.listeners
	s.mu.Unlock()
	for _, l := range ls {
		l.control.Close()
		l.data.Close()
		if l.dtls != nil {
			l.dtls.Close()
		}
	}
}

func (s *Server) acceptLoop(ctx context.Context, l *listener, wg *sync.WaitGroup) {
	for {
		peer, err := l.control.Accept(ctx)
		if err != nil {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.handle(ctx, l, peer)
		}()
	}
}

// activeCAPs is how many CAPs have a session past Join, without a scan.
func (s *Server) activeCAPs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.caps)
}

// wtpCount is activeCAPs for the 16-bit WTP Count of CAPWAP elements.
func (s *Server) wtpCount() uint16 { return uint16(min(s.activeCAPs(), 65535)) }

// dataPolicy is the AC Descriptor's DTLS policy (RFC 5415 §4.6.1) from
// the manager's data-channel setting: one of the two, so that a CAP has
// no choice to make.
func (s *Server) dataPolicy() uint8 {
	if items := s.cfg.Store.Config().Items("manager"); len(items) > 0 && items[0].String("data-channel") == model.DataChannelDTLS {
		return wire.ACDTLSDataChannel
	}
	return wire.ACClearDataChannel
}

// acDescriptor describes this manager's load and policy.
func (s *Server) acDescriptor() *wire.ACDescriptor {
	active := s.activeCAPs()
	return &wire.ACDescriptor{
		ActiveWTPs: uint16(min(active, 65535)), MaxWTPs: uint16(s.cfg.MaxCAPs),
		StationLimit: 65535,
		Security:     wire.ACSecurityX509,
		RMACField:    wire.RMACNotSupported,
		DTLSPolicy:   s.dataPolicy(),
		Info: []wire.Info{
			{Type: wire.ACInfoHardwareVersion, Data: []byte("capstan-manager")},
			{Type: wire.ACInfoSoftwareVersion, Data: []byte(buildinfo.Version)},
		},
	}
}

// RemoteCap is one row of the remote-cap table.
type RemoteCap struct {
	Identity   string `json:"identity"`
	Address    string `json:"address"`
	Transport  string `json:"transport"`
	BaseMAC    string `json:"base_mac"`
	Board      string `json:"board"`
	Version    string `json:"version"`
	State      string `json:"state"`
	CommonName string `json:"common_name"`
	// CertificateSerial is the serial of the CAP's certificate (hex).
	CertificateSerial string `json:"certificate_serial"`
	Radios            int    `json:"radios"`
	// Clients is how many wireless clients the CAP reports.
	Clients int `json:"clients"`
	// ConfigError is why the CAP refused its configuration, if it did.
	ConfigError string    `json:"config_error,omitempty"`
	Uptime      string    `json:"uptime"`
	JoinedAt    time.Time `json:"joined_at"`
	// Manager names the manager that holds the CAP; set when several
	// managers share one fleet store.
	Manager string `json:"manager,omitempty"`
}

// Directory is the fleet's record of which manager holds which CAP, when
// several managers share one fleet store.
type Directory interface {
	// Held records that this manager runs the CAP's session, with the
	// CAP's clients; it is called again when clients come or go.
	Held(RemoteCap, []Registration)
	// Released records that it no longer does.
	Released(RemoteCap)
	// Others lists the CAPs other managers hold.
	Others() []RemoteCap
	// OtherRegistrations lists the clients of the CAPs other managers
	// hold, as of their last arrival or departure.
	OtherRegistrations() []Registration
	// Kick removes a client of another manager's CAP through that
	// manager; found is false when no other manager has it.
	Kick(ctx context.Context, mac string) (found bool, err error)
}

// RemoteCaps lists the CAPs with a session past Join, by identity.
func (s *Server) RemoteCaps() []RemoteCap {
	rows, _ := s.RemoteCapsPage(nil, 0, -1)
	return rows
}

// RemoteCapsPage is the part of RemoteCaps that match keeps (nil: all),
// from offset, at most limit rows (-1: all), with how many match in all.
// Without other managers it builds rows only for what it looks at: the
// page alone when nothing is filtered.
func (s *Server) RemoteCapsPage(match func(*RemoteCap) bool, offset, limit int) (page []RemoteCap, total int) {
	if s.cfg.Directory != nil {
		return PageRows(s.fleetCaps(), match, offset, limit)
	}
	order := s.joined()
	if match == nil {
		lo := min(offset, len(order))
		hi := len(order)
		if limit >= 0 {
			hi = min(hi, lo+limit)
		}
		page = make([]RemoteCap, 0, hi-lo)
		for _, c := range order[lo:hi] {
			page = append(page, c.row())
		}
		return page, len(order)
	}
	for _, c := range order {
		r := c.row()
		if !match(&r) {
			continue
		}
		if total >= offset && (limit < 0 || len(page) < limit) {
			page = append(page, r)
		}
		total++
	}
	return page, total
}

// PageRows is RemoteCapsPage over rows already made, of any table.
func PageRows[T any](rows []T, match func(*T) bool, offset, limit int) (page []T, total int) {
	for i := range rows {
		if match != nil && !match(&rows[i]) {
			continue
		}
		if total >= offset && (limit < 0 || len(page) < limit) {
			page = append(page, rows[i])
		}
		total++
	}
	return page, total
}

// fleetCaps are this manager's CAPs and the other managers' (from the
// directory; a CAP this manager holds is listed once), in table order.
func (s *Server) fleetCaps() []RemoteCap {
	s.mu.Lock()
	out := make([]RemoteCap, 0, len(s.order))
	mine := make(map[string]bool, len(s.order))
	for _, c := range s.order {
		r := c.row()
		r.Manager = s.cfg.Name
		mine[strings.ToUpper(r.BaseMAC)] = true
		out = append(out, r)
	}
	s.mu.Unlock()
	for _, r := range s.cfg.Directory.Others() {
		if !mine[strings.ToUpper(r.BaseMAC)] {
			out = append(out, r)
		}
	}
	return sortedByIdentity(out)
}

// sortedByIdentity orders rows by identity, then base MAC.
func sortedByIdentity(rows []RemoteCap) []RemoteCap {
	return sortedRows(rows, func(a, b *RemoteCap) int {
		return cmp.Or(strings.Compare(a.Identity, b.Identity), strings.Compare(a.BaseMAC, b.BaseMAC))
	})
}

// sortedRows returns rows in the order of compare. It sorts indexes, not
// the rows (a table's row is hundreds of bytes): at 20,000 CAPs that takes
// the remote-CAP table's sort from about 100 ms to a few.
func sortedRows[T any](rows []T, compare func(a, b *T) int) []T {
	idx := make([]int32, len(rows))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int { return compare(&rows[a], &rows[b]) })
	out := make([]T, len(rows))
	for i, j := range idx {
		out[i] = rows[j]
	}
	return out
}

// register records a joined session under its identity, replacing (and
// closing) a stale session of the same CAP.
func (s *Server) register(c *session) error {
	s.mu.Lock()
	old := s.caps[c.key]
	if old == nil && len(s.caps) >= s.cfg.MaxCAPs {
		s.mu.Unlock()
		return errTooMany
	}
	if old != nil && c.cn == "" {
		// Only a certificate proves it is the same CAP; a peer that merely
		// claims the base MAC waits until the live session times out.
		s.mu.Unlock()
		return fmt.Errorf("%w: base MAC %s has a live session from %s; a CAP without a certificate cannot replace it (it ends %s after the CAP falls silent)",
			errInUse, c.baseMAC, old.addr, s.cfg.CAPTimeout)
	}
	if old != nil && old.seq > c.seq {
		// A stale session (its CAP gave up on it and started another,
		// already registered) that the manager, behind, reached only now:
		// it must not end the CAP's live one.
		s.mu.Unlock()
		return fmt.Errorf("%w: a newer session of this CAP (from %s) is registered already", errInUse, old.addr)
	}
	s.caps[c.key] = c
	if old != nil {
		s.order.remove(old)
	}
	s.order.insert(c)
	s.bySession[c.id] = c
	s.mu.Unlock()
	if old != nil {
		old.log.Info("replaced by a new session of the same CAP", "new_address", c.addr)
		old.close()
	}
	return nil
}

func (s *Server) unregister(c *session) {
	s.provMu.Lock()
	s.releaseNames(c)
	s.provMu.Unlock()
	s.mu.Lock()
	if s.caps[c.key] == c {
		delete(s.caps, c.key)
		s.order.remove(c)
	}
	if s.bySession[c.id] == c {
		delete(s.bySession, c.id)
	}
	c.mu.Lock()
	sender := c.sender
	c.mu.Unlock()
	if sender != nil {
		s.byData.remove(sender.addr, c)
	}
	s.mu.Unlock()
	c.unbindAll()
}

var (
	errTooMany = errors.New("CAP limit reached")
	errInUse   = errors.New("identity in use")
)
