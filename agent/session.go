package agent

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/capstan-wifi/capstan/capwap/transport"
	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/hal"
	"github.com/capstan-wifi/capstan/internal/buildinfo"
)

// lostError ends a session that had reached Run.
type lostError struct {
	silent time.Duration
	err    error
}

func (e *lostError) Error() string {
	if e.err != nil {
		return fmt.Sprintf("silent for %v: %v", e.silent.Round(time.Millisecond), e.err)
	}
	return fmt.Sprintf("silent for %v", e.silent.Round(time.Millisecond))
}

// keepAliveInterval is how often the data channel's keep-alive goes out.
const keepAliveInterval = 10 * time.Second

func nowNano() int64 { return time.Now().UnixNano() }

// stepTimeout bounds each of Join, Configure and Data Check.
const stepTimeout = 15 * time.Second

// session joins manager c and serves it until it is lost (*lostError) or
// joining fails (any other error).
func (a *Agent) session(ctx context.Context, c candidate, radios []hal.Radio) error {
	a.setState("join", func(s *Status) { s.Manager, s.ManagerAddress = c.name, c.addr.String() })
	peer := c.mux.Dial(c.addr)
	defer peer.Close()
	st := &sessionTrust{}
	conn, err := transport.Dial(ctx, peer, a.dialConfig(st))
	if err != nil {
		return err
	}
	cc := transport.NewControlConn(conn, transport.ControlConfig{Logger: a.cfg.Logger, Peer: c.addr.String()})
	defer cc.Close()
	id := newSessionID()
	step := func(req *wire.ControlMessage) (*wire.ControlMessage, error) {
		sctx, cancel := context.WithTimeout(ctx, stepTimeout)
		defer cancel()
		resp, err := cc.Request(sctx, req)
		if err != nil {
			return nil, err
		}
		if rc, ok := resp.Element(wire.TypeResultCode).(*wire.ResultCodeElement); ok && !rc.Code.IsSuccess() {
			if _, err := issuedChain(resp); hasEnrollment(resp) && err != nil {
				return nil, fmt.Errorf("%v refused: result %d (%v): %w", req.Type, uint32(rc.Code), rc.Code, err)
			}
			for _, e := range resp.ElementsOf(wire.TypeVendorSpecificPayload) {
				if r, ok := e.(*wire.Refusal); ok {
					return nil, fmt.Errorf("%v refused: result %d (%v): %s: %s", req.Type, uint32(rc.Code), rc.Code, r.Field, r.Reason)
				}
			}
			return nil, fmt.Errorf("%v refused: result %d (%v)", req.Type, uint32(rc.Code), rc.Code)
		}
		if t, missing := resp.MissingMandatory(); missing {
			return nil, fmt.Errorf("%v lacks mandatory %v", resp.Type, t)
		}
		return resp, nil
	}
	join := a.joinRequest(c, id, radios)
	cr, err := a.certificateRequest()
	if err != nil {
		return err
	}
	if cr != nil {
		join.Elements = append(join.Elements, cr)
		sctx, cancel := context.WithTimeout(ctx, stepTimeout)
		resp, err := cc.Request(sctx, join)
		cancel()
		if err != nil {
			return err
		}
		return a.enrolled(resp, st)
	}
	joined, err := step(join)
	if err != nil {
		return err
	}
	if err := a.takeCRL(joined, st); err != nil {
		return fmt.Errorf("manager refused after its CRL: %w", err)
	}
	if id, ok := joined.Element(wire.TypeImageIdentifier).(*wire.ImageIdentifier); ok {
		return a.upgrade(ctx, cc, id, step)
	}
	a.setState("configure", nil)
	status := a.configurationStatusRequest(c, radios)
	status.Elements = append(status.Elements, a.requestedSurveys(ctx, joined)...)
	resp, err := step(status)
	if err != nil {
		return err
	}
	echo := time.Duration(resp.Element(wire.TypeCAPWAPTimers).(*wire.CAPWAPTimers).EchoRequest) * time.Second
	echo = max(echo, time.Second)
	if err := a.applyRadioConfig(ctx, resp); err != nil {
		// The session goes on: the manager learns of it in the Change State
		// Event, and the radios keep what they ran.
		a.warn("radio configuration refused", "err", err)
	}
	a.setState("data-check", nil)
	if _, err := step(changeStateEvent(radios)); err != nil {
		return err
	}
	var cc2 *transport.ClientConfig
	if ac, ok := joined.Element(wire.TypeACDescriptor).(*wire.ACDescriptor); ok && ac.DTLSPolicy&wire.ACDTLSDataChannel != 0 {
		// The manager asks for (or offers) the DTLS data channel: a
		// second association, with the control session's credentials.
		dc := a.dialConfig(st)
		cc2 = &dc
	}
	data, dataAddr, err := a.dataCheck(ctx, c, id, cc2)
	if err != nil {
		return err
	}
	defer data.Close()
	transportName := "udp"
	if c.layer2() {
		transportName = "layer2"
	}
	dataChannel := "clear"
	if cc2 != nil {
		dataChannel = "dtls"
	}
	// The lock is on disk before "run" shows: whoever sees run sees the lock.
	a.lockTo(st)
	a.setState("run", func(s *Status) {
		s.ManagerCN, s.Transport, s.DiscoveredVia, s.DataChannel = st.cn, transportName, c.via, dataChannel
		s.SessionID = hex.EncodeToString(id[:])
		s.ManagerKey = st.id.KeySHA256
		s.EchoInterval, s.LastError = echo.String(), ""
		s.Joins++
	})
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go a.renewal(rctx, cc, st)
	go a.reportStations(rctx, cc)
	a.dataAlive.Store(nowNano())
	a.startForwarding(rctx, data, dataAddr)
	err = a.run(ctx, cc, echo, data, dataAddr, id)
	cancel()
	if ctx.Err() == nil {
		a.stopTunneled(ctx)
	}
	return err
}

// run keeps the session alive with Echo Requests and declares the manager
// lost after ManagerTimeout without any message from it.
func (a *Agent) run(ctx context.Context, cc *transport.ControlConn, echo time.Duration, data net.PacketConn, dataAddr net.Addr, id wire.SessionID) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		t := time.NewTicker(echo)
		defer t.Stop()
		for {
			rctx, rcancel := context.WithTimeout(ctx, a.cfg.ManagerTimeout)
			_, _ = cc.Request(rctx, &wire.ControlMessage{Type: wire.EchoRequest})
			rcancel()
			select {
			case <-t.C:
			case <-ctx.Done():
				return
			}
		}
	}()
	watch := time.NewTicker(a.cfg.ManagerTimeout / 25)
	defer watch.Stop()
	keepalive := time.NewTicker(keepAliveInterval)
	defer keepalive.Stop()
	for {
		select {
		case m := <-cc.Requests():
			if err := a.answer(ctx, cc, m); err != nil {
				return err
			}
			if m.Type == wire.IEEE80211WLANConfigurationRequest || m.Type == wire.ConfigurationUpdateRequest {
				a.syncForwarding()
			}
		case <-watch.C:
			if silent := time.Since(cc.LastReceived()); silent > a.cfg.ManagerTimeout {
				return a.lost(&lostError{silent: silent})
			}
		case <-keepalive.C:
			// The data channel's keep-alive is enforced: without an echo
			// for three intervals the data channel, and so the session, is
			// lost (RFC 5415 §4.4.1 leaves the timer to the WTP).
			if silent := time.Duration(nowNano() - a.dataAlive.Load()); silent > 3*keepAliveInterval+time.Second {
				return a.lost(&lostError{silent: silent, err: errors.New("no data channel keep-alive echo")})
			}
			if b, err := (&wire.KeepAlive{SessionID: id}).AppendBinary(nil); err == nil {
				_, _ = data.WriteTo(b, dataAddr)
			}
		case <-cc.Done():
			return a.lost(&lostError{silent: time.Since(cc.LastReceived()), err: cc.Err()})
		case <-ctx.Done():
			return nil
		}
	}
}

func (a *Agent) lost(e *lostError) error {
	a.setState("discovery", func(s *Status) {
		s.LastManagerLoss = &LossReport{At: time.Now(), Silent: e.silent.Round(time.Millisecond).String(), Reason: e.Error()}
		a.lostManager = s.ManagerAddress // a.mu is held
	})
	return e
}

// answer handles a request from the manager in Run.
func (a *Agent) answer(ctx context.Context, cc *transport.ControlConn, m *wire.ControlMessage) error {
	switch m.Type {
	case wire.EchoRequest:
		_ = cc.Respond(m, &wire.ControlMessage{})
	case wire.IEEE80211WLANConfigurationRequest:
		err := a.applyWLANs(ctx, m)
		if err != nil {
			a.warn("WLAN configuration refused", "err", err)
		}
		_ = cc.Respond(m, &wire.ControlMessage{Elements: answerElements(err)})
	case wire.ConfigurationUpdateRequest:
		err := a.applyRadioConfig(ctx, m)
		if err != nil {
			a.warn("radio configuration refused", "err", err)
		}
		_ = cc.Respond(m, &wire.ControlMessage{Elements: answerElements(err)})
		for _, req := range scanRequests(m) {
			go a.reportSurvey(ctx, cc, req)
		}
	case wire.StationConfigurationRequest:
		_ = cc.Respond(m, &wire.ControlMessage{Elements: a.configureStations(ctx, m)})
	case wire.ResetRequest:
		_ = cc.Respond(m, &wire.ControlMessage{Elements: []wire.Element{&wire.ResultCodeElement{Code: wire.ResultSuccess}}})
		return &lostError{err: errors.New("reset by the manager")}
	default:
		a.warn("unsupported request from the manager", "type", m.Type)
		_ = cc.Respond(m, &wire.ControlMessage{Elements: []wire.Element{
			&wire.ResultCodeElement{Code: wire.ResultMessageUnexpectedUnrecognized}}})
	}
	return nil // a failed answer ends the session through cc.Done
}

// dataCheck opens the data channel, over DTLS with dtlsConfig unless it is
// nil, and waits for the manager to echo a Data Channel Keep-Alive (RFC
// 5415 §4.4.1), retrying once a second.
func (a *Agent) dataCheck(ctx context.Context, c candidate, id wire.SessionID, dtlsConfig *transport.ClientConfig) (net.PacketConn, net.Addr, error) {
	var conn net.PacketConn
	var dst net.Addr
	switch addr := c.addr.(type) {
	case *transport.L2Addr:
		l, err := transport.ListenL2(addr.Interface, transport.DataChannel)
		if err != nil {
			return nil, nil, err
		}
		transport.SetBuffers(l, transport.CAPDataBuffer)
		conn, dst = l, addr
	case *net.UDPAddr:
		dst = &net.UDPAddr{IP: addr.IP, Port: addr.Port + 1}
		u, err := transport.DialData(ctx, dst.(*net.UDPAddr))
		if err != nil {
			return nil, nil, err
		}
		transport.SetBuffers(u, transport.CAPDataBuffer)
		conn = u
	default:
		return nil, nil, fmt.Errorf("data channel: unsupported address %v", c.addr)
	}
	// On UDP the handshake runs on a copy of the socket (fast), so that the
	// socket outlives pion when the channel moves to the fast record path.
	var fast *fastHandoff
	if dtlsConfig != nil {
		muxConn := conn
		if u, ok := conn.(*transport.ConnectedUDP); ok {
			if dup, err := u.Dup(); err == nil {
				fast = &fastHandoff{udp: u, dup: dup}
				muxConn = dup
			}
		}
		mux := transport.NewMux(muxConn, transport.MuxConfig{Logger: a.cfg.Logger})
		peer := mux.Dial(dst)
		dc, err := transport.Dial(ctx, peer, *dtlsConfig)
		if err != nil {
			peer.Close()
			mux.Close()
			if fast != nil {
				fast.udp.Close()
			}
			return nil, nil, fmt.Errorf("DTLS data channel: %w", err)
		}
		closers := []io.Closer{peer, mux}
		if fast != nil {
			closers = append(closers, fast)
		}
		conn = transport.NewDataConn(dc, dst, closers...)
		if fast != nil {
			fast.dc = conn.(*transport.DataConn)
		}
	}
	ka, err := (&wire.KeepAlive{SessionID: id}).AppendBinary(nil)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	buf := make([]byte, 2048)
	for try := 0; try < int(stepTimeout/time.Second) && ctx.Err() == nil; try++ {
		if _, err := conn.WriteTo(ka, dst); err != nil {
			conn.Close()
			return nil, nil, fmt.Errorf("data channel: %w", err)
		}
		deadline := time.Now().Add(time.Second)
		for {
			_ = conn.SetReadDeadline(deadline)
			n, _, err := conn.ReadFrom(buf)
			if err != nil {
				break
			}
			p, err := wire.ParseData(buf[:n])
			if err == nil && p.KeepAlive != nil && p.KeepAlive.SessionID == id {
				_ = conn.SetReadDeadline(time.Time{})
				if rc := fast.take(); rc != nil {
					return rc, dst, nil
				}
				return conn, dst, nil
			}
		}
	}
	conn.Close()
	return nil, nil, errors.New("data check: no keep-alive echo from the manager")
}

func (a *Agent) boardData() *wire.WTPBoardData {
	return &wire.WTPBoardData{Vendor: wire.EnterpriseNumber, Items: []wire.BoardDataItem{
		{Type: wire.BoardModelNumber, Value: []byte(a.board())},
		{Type: wire.BoardSerialNumber, Value: []byte(a.cfg.BaseMAC.String())},
		{Type: wire.BoardBaseMAC, Value: a.cfg.BaseMAC},
	}}
}

func (a *Agent) board() string {
	if _, ok := a.cfg.HAL.(interface{ Simulated() }); ok {
		return "capstan-sim"
	}
	return "linux"
}

func (a *Agent) descriptor(radios []hal.Radio) *wire.WTPDescriptor {
	return &wire.WTPDescriptor{
		MaxRadios: uint8(len(radios)), RadiosInUse: uint8(len(radios)),
		Encryption: []wire.EncryptionCapability{{WBID: wire.WBIDIEEE80211}},
		Descriptors: []wire.Info{
			{Type: wire.WTPInfoHardwareVersion, Data: []byte(a.board())},
			{Type: wire.WTPInfoSoftwareVersion, Data: []byte(buildinfo.Version)},
		},
	}
}

func (a *Agent) discoveryRequest(_ context.Context, seq uint8, via string) ([]byte, error) {
	m := &wire.ControlMessage{Type: wire.DiscoveryRequest, Seq: seq, Elements: []wire.Element{
		&wire.DiscoveryType{Method: discoveryType(via)},
		a.boardData(),
		a.descriptor(a.radios),
		&wire.WTPFrameTunnelMode{Modes: wire.TunnelLocalBridge | wire.Tunnel8023},
		&wire.WTPMACType{MACType: wire.LocalMAC},
	}}
	m.Elements = append(m.Elements, radioElements(a.radios)...)
	return m.AppendBinary(nil)
}

func (a *Agent) joinRequest(c candidate, id wire.SessionID, radios []hal.Radio) *wire.ControlMessage {
	loc := a.cfg.Location
	if loc == "" {
		loc = "unknown"
	}
	local := transport.LocalIPv4For(c.addr)
	m := &wire.ControlMessage{Type: wire.JoinRequest, Elements: []wire.Element{
		&wire.LocationData{Location: loc},
		a.boardData(),
		a.descriptor(radios),
		&wire.WTPName{Name: a.cfg.Identity},
		&id,
		&wire.WTPFrameTunnelMode{Modes: wire.TunnelLocalBridge | wire.Tunnel8023},
		&wire.WTPMACType{MACType: wire.LocalMAC},
		&wire.ECNSupport{},
		&wire.CAPWAPLocalIPv4Address{Address: local},
	}}
	m.Elements = append(m.Elements, radioElements(radios)...)
	m.Elements = append(m.Elements, capabilityElements(radios)...)
	m.Elements = append(m.Elements, a.platform())
	return m
}

func (a *Agent) configurationStatusRequest(c candidate, radios []hal.Radio) *wire.ControlMessage {
	m := &wire.ControlMessage{Type: wire.ConfigurationStatusRequest, Elements: []wire.Element{
		&wire.ACName{Name: c.name},
		&wire.StatisticsTimer{Interval: 120},
		&wire.WTPRebootStatistics{LastFailureType: 0},
	}}
	for _, r := range radios {
		m.Elements = append(m.Elements, &wire.RadioAdministrativeState{RadioID: r.ID, AdminState: wire.Enabled})
	}
	if len(radios) == 0 {
		m.Elements = append(m.Elements, &wire.RadioAdministrativeState{RadioID: wire.WTPRadioID, AdminState: wire.Enabled})
	}
	m.Elements = append(m.Elements, a.currentChannels(radios)...)
	return m
}

// currentChannels report the channel each radio serves on now (RFC 5416
// §6.5 and §6.10, which the Configuration Status Request may carry): a
// manager that takes over from another keeps it when its profile still
// allows it, so the radio is not restarted. 6 GHz has no element.
func (a *Agent) currentChannels(radios []hal.Radio) []wire.Element {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []wire.Element
	for _, r := range radios {
		st, ok := a.applied[r.ID]
		if !ok || !st.Active() || st.Channel <= 0 || st.Channel > 255 {
			continue
		}
		switch st.Band {
		case hal.Band2GHz:
			out = append(out, &wire.IEEE80211DirectSequenceControl{RadioID: r.ID, CurrentChannel: uint8(st.Channel), CurrentCCA: 1})
		case hal.Band5GHz:
			out = append(out, &wire.IEEE80211OFDMControl{RadioID: r.ID, CurrentChannel: uint8(st.Channel)})
		}
	}
	return out
}

func changeStateEvent(radios []hal.Radio) *wire.ControlMessage {
	m := &wire.ControlMessage{Type: wire.ChangeStateEventRequest, Elements: []wire.Element{
		&wire.ResultCodeElement{Code: wire.ResultSuccess},
	}}
	for _, r := range radios {
		m.Elements = append(m.Elements, &wire.RadioOperationalState{RadioID: r.ID, State: wire.Enabled, Cause: wire.CauseNormal})
	}
	if len(radios) == 0 {
		m.Elements = append(m.Elements, &wire.RadioOperationalState{RadioID: wire.WTPRadioID, State: wire.Enabled})
	}
	return m
}
