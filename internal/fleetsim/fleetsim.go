// Package fleetsim simulates a fleet of CAPs against a manager, lean enough
// to run 20,000 beside the manager on two cores: each CAP is one UDP
// socket (control and data channel both), one DTLS association and the
// CAPWAP exchanges a CAP makes (Join, Configuration Status, Change State,
// Data Channel Keep-Alive, an Echo Request per echo interval), answering
// whatever the manager asks with success and remembering the SSID it was
// given. No radios, no HAL: what is measured is the manager.
package fleetsim

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/capstan-wifi/capstan/capwap/transport"
	"github.com/capstan-wifi/capstan/capwap/wire"
)

// Config configures a fleet.
type Config struct {
	// Manager is the manager's control address (UDP); the data channel is
	// the next port.
	Manager *net.UDPAddr
	// Managers, when set, are the managers of one fleet: CAP n starts on
	// Managers[n % len] and moves to the next when its manager falls
	// silent, as CAPs given several manager addresses do.
	Managers []*net.UDPAddr
	// DeadAfter is how long a manager may be silent before the CAP gives
	// it up (default 2.5 s, the agent's manager timeout).
	DeadAfter time.Duration
	// N CAPs, numbered from First (MACs and source addresses follow the
	// number, so that several simulators make one fleet).
	N, First int
	// PerSourceIP is how many CAPs share a source address, taken from
	// 127.0.0.0/8 above 127.1.0.0 (as CAPs behind a few routers would).
	PerSourceIP int
	// Spread starts the CAPs over this long (0: all at once).
	Spread time.Duration
}

// Stats count what the fleet went through.
type Stats struct {
	Run   int            `json:"run"`   // CAPs in run now
	Joins int64          `json:"joins"` // sessions that reached run
	Drops int64          `json:"drops"` // sessions lost after run
	Fails int64          `json:"fails"` // attempts that failed before run
	SSIDs map[string]int `json:"ssids"` // CAPs by the SSID they last applied
	// ByManager counts the CAPs in run by manager address.
	ByManager map[string]int `json:"by_manager,omitempty"`
	// Errors counts why sessions failed or ended, by kind (at most 16
	// kinds, then "other").
	Errors map[string]int `json:"errors,omitempty"`
}

// Fleet is a running simulation.
type Fleet struct {
	cfg   Config
	caps  []*simCAP
	joins atomic.Int64
	drops atomic.Int64
	fails atomic.Int64
	wg    sync.WaitGroup
	errMu sync.Mutex
	errs  map[string]int
}

type simCAP struct {
	mac  net.HardwareAddr
	src  netip.Addr
	run  atomic.Bool
	mgr  atomic.Int32 // index into the fleet's managers
	mu   sync.Mutex
	ssid string
}

// noteErr counts why a session failed or ended.
func (f *Fleet) noteErr(err error) {
	if err == nil {
		return
	}
	k := err.Error()
	f.errMu.Lock()
	defer f.errMu.Unlock()
	if f.errs == nil {
		f.errs = map[string]int{}
	}
	if _, known := f.errs[k]; !known && len(f.errs) >= 16 {
		k = "other"
	}
	f.errs[k]++
}

// Start starts the fleet; it runs until ctx ends, and Wait waits for it.
func Start(ctx context.Context, cfg Config) *Fleet {
	if cfg.PerSourceIP == 0 {
		cfg.PerSourceIP = 50
	}
	if len(cfg.Managers) == 0 {
		cfg.Managers = []*net.UDPAddr{cfg.Manager}
	}
	if cfg.DeadAfter <= 0 {
		cfg.DeadAfter = 2500 * time.Millisecond
	}
	f := &Fleet{cfg: cfg}
	for i := range cfg.N {
		n := cfg.First + i
		ip := 1<<16 + n/cfg.PerSourceIP // 127.1.0.0 and up
		c := &simCAP{
			mac: net.HardwareAddr{0x02, 0xf1, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)},
			src: netip.AddrFrom4([4]byte{127, byte(ip >> 16), byte(ip >> 8), byte(ip)}),
		}
		c.mgr.Store(int32(n % len(cfg.Managers)))
		f.caps = append(f.caps, c)
		var delay time.Duration
		if cfg.Spread > 0 {
			delay = time.Duration(rand.Int64N(int64(cfg.Spread)))
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.live(ctx, c, delay)
		}()
	}
	return f
}

// Wait waits for every CAP to stop after ctx ended.
func (f *Fleet) Wait() { f.wg.Wait() }

// Stats returns the fleet's counts now.
func (f *Fleet) Stats() Stats {
	st := Stats{Joins: f.joins.Load(), Drops: f.drops.Load(), Fails: f.fails.Load(), SSIDs: map[string]int{}, ByManager: map[string]int{}}
	f.errMu.Lock()
	if len(f.errs) > 0 {
		st.Errors = maps.Clone(f.errs)
	}
	f.errMu.Unlock()
	for _, c := range f.caps {
		if c.run.Load() {
			st.Run++
			st.ByManager[f.cfg.Managers[c.mgr.Load()].String()]++
		}
		c.mu.Lock()
		if c.ssid != "" {
			st.SSIDs[c.ssid]++
		}
		c.mu.Unlock()
	}
	return st
}

// live runs one CAP's sessions until ctx ends, with a jittered back-off
// after a failed attempt as a CAP has.
func (f *Fleet) live(ctx context.Context, c *simCAP, delay time.Duration) {
	select {
	case <-time.After(delay):
	case <-ctx.Done():
		return
	}
	sock, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(c.src, 0)))
	if err != nil {
		f.fails.Add(1)
		return
	}
	mux := transport.NewMux(sock, transport.MuxConfig{ReadBuffer: 2048, PlainQueue: 4})
	defer mux.Close()
	backoff := time.Second
	for ctx.Err() == nil {
		reached, err := f.session(ctx, c, mux)
		c.run.Store(false)
		if ctx.Err() != nil {
			return
		}
		f.noteErr(err)
		if len(f.cfg.Managers) > 1 {
			c.mgr.Store((c.mgr.Load() + 1) % int32(len(f.cfg.Managers)))
		}
		if reached {
			f.drops.Add(1)
			backoff = time.Second
			if len(f.cfg.Managers) > 1 {
				continue // fail over to the next manager at once
			}
		} else {
			f.fails.Add(1)
		}
		wait := backoff/2 + time.Duration(rand.Int64N(int64(backoff)))
		backoff = min(backoff*2, 8*time.Second)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return
		}
	}
}

// session joins and runs until the session fails; reached says whether it
// got to run.
func (f *Fleet) session(ctx context.Context, c *simCAP, mux *transport.Mux) (reached bool, err error) {
	mgr := f.cfg.Managers[c.mgr.Load()]
	peer := mux.Dial(mgr)
	conn, err := transport.Dial(ctx, peer, transport.ClientConfig{VerifyPeer: func([][]byte) error { return nil }})
	if err != nil {
		return false, err
	}
	cc := transport.NewControlConn(conn, transport.ControlConfig{})
	defer cc.Close()
	var id wire.SessionID
	for i := range id {
		id[i] = byte(rand.Uint32())
	}
	step := func(m *wire.ControlMessage) (*wire.ControlMessage, error) {
		resp, err := cc.Request(ctx, m)
		if err != nil {
			return nil, err
		}
		if rc, ok := resp.Element(wire.TypeResultCode).(*wire.ResultCodeElement); ok && !rc.Code.IsSuccess() {
			return nil, fmt.Errorf("%v refused: %v", m.Type, rc.Code)
		}
		return resp, nil
	}
	if _, err := step(&wire.ControlMessage{Type: wire.JoinRequest, Elements: joinElements(c.mac, id)}); err != nil {
		return false, err
	}
	resp, err := step(&wire.ControlMessage{Type: wire.ConfigurationStatusRequest, Elements: []wire.Element{
		&wire.ACName{Name: "fleet"}, &wire.RadioAdministrativeState{RadioID: 1, AdminState: wire.Enabled},
		&wire.StatisticsTimer{Interval: 120}, &wire.WTPRebootStatistics{}}})
	if err != nil {
		return false, err
	}
	echo := time.Second
	if t, ok := resp.Element(wire.TypeCAPWAPTimers).(*wire.CAPWAPTimers); ok && t.EchoRequest > 0 {
		echo = time.Duration(t.EchoRequest) * time.Second
	}
	if _, err := step(&wire.ControlMessage{Type: wire.ChangeStateEventRequest, Elements: []wire.Element{
		&wire.RadioOperationalState{RadioID: 1, State: 2}, &wire.ResultCodeElement{Code: wire.ResultSuccess}}}); err != nil {
		return false, err
	}
	if err := dataCheck(ctx, mux, mgr, id); err != nil {
		return false, err
	}
	c.run.Store(true)
	f.joins.Add(1)
	ka, _ := (&wire.KeepAlive{SessionID: id}).AppendBinary(nil)
	return true, f.run(ctx, c, cc, echo, func() {
		_ = mux.WritePlain(ka, &net.UDPAddr{IP: mgr.IP, Port: mgr.Port + 1})
	})
}

// run sends an Echo Request every echo interval (jittered once, so that
// the fleet does not beat in step) and a Data Channel Keep-Alive every
// 10 s, as the agent does, and answers the manager.
func (f *Fleet) run(ctx context.Context, c *simCAP, cc *transport.ControlConn, echo time.Duration, keepAlive func()) error {
	tick := time.NewTimer(time.Duration(rand.Int64N(int64(echo))))
	defer tick.Stop()
	data := time.NewTicker(10 * time.Second)
	defer data.Stop()
	// The manager is dead when it has been silent for DeadAfter, as the
	// agent judges it; one timer, re-armed for when that would be.
	watch := time.NewTimer(f.cfg.DeadAfter)
	defer watch.Stop()
	echoDone := make(chan error, 1)
	inFlight := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-cc.Done():
			return cc.Err()
		case m := <-cc.Requests():
			c.answer(cc, m)
		case err := <-echoDone:
			inFlight = false
			if err != nil {
				return err
			}
		case <-data.C:
			keepAlive()
		case <-watch.C:
			silent := time.Since(cc.LastReceived())
			if silent >= f.cfg.DeadAfter {
				return fmt.Errorf("manager silent for %v", f.cfg.DeadAfter)
			}
			watch.Reset(f.cfg.DeadAfter - silent)
		case <-tick.C:
			tick.Reset(echo)
			if !inFlight {
				inFlight = true
				go func() {
					_, err := cc.Request(ctx, &wire.ControlMessage{Type: wire.EchoRequest})
					echoDone <- err
				}()
			}
		}
	}
}

func (c *simCAP) answer(cc *transport.ControlConn, m *wire.ControlMessage) {
	for _, e := range m.ElementsOf(wire.TypeIEEE80211AddWLAN) {
		c.mu.Lock()
		c.ssid = string(e.(*wire.IEEE80211AddWLAN).SSID)
		c.mu.Unlock()
	}
	_ = cc.Respond(m, &wire.ControlMessage{Elements: []wire.Element{&wire.ResultCodeElement{Code: wire.ResultSuccess}}})
}

// dataCheck sends Data Channel Keep-Alives until the manager echoes one.
func dataCheck(ctx context.Context, mux *transport.Mux, mgr *net.UDPAddr, id wire.SessionID) error {
	ka, err := (&wire.KeepAlive{SessionID: id}).AppendBinary(nil)
	if err != nil {
		return err
	}
	data := &net.UDPAddr{IP: mgr.IP, Port: mgr.Port + 1}
	for range 10 {
		if err := mux.WritePlain(ka, data); err != nil {
			return err
		}
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		for {
			d, err := mux.ReadPlain(rctx)
			if err != nil {
				break
			}
			if p, err := wire.ParseData(d.Data); err == nil && p.KeepAlive != nil && p.KeepAlive.SessionID == id {
				cancel()
				return nil
			}
		}
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return errors.New("no keep-alive echo")
}

func joinElements(mac net.HardwareAddr, id wire.SessionID) []wire.Element {
	return []wire.Element{
		&wire.LocationData{Location: "fleet"},
		&wire.WTPBoardData{Vendor: wire.EnterpriseNumber, Items: []wire.BoardDataItem{
			{Type: wire.BoardModelNumber, Value: []byte("fleetsim")}, {Type: wire.BoardBaseMAC, Value: mac}}},
		&wire.WTPDescriptor{MaxRadios: 1, RadiosInUse: 1, Encryption: []wire.EncryptionCapability{{WBID: 1}}},
		&wire.WTPName{Name: "sim-" + mac.String()},
		&id,
		&wire.WTPFrameTunnelMode{Modes: wire.TunnelLocalBridge},
		&wire.WTPMACType{MACType: wire.LocalMAC},
		&wire.ECNSupport{},
		&wire.CAPWAPLocalIPv4Address{Address: netip.IPv4Unspecified()},
		&wire.IEEE80211WTPRadioInformation{RadioID: 1, RadioType: wire.RadioType80211g},
	}
}
