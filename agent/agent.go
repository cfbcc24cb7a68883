package agent

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"github.com/capstan-wifi/capstan/agent/dataplane"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/capstan-wifi/capstan/capwap/transport"
	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/hal"
	"github.com/capstan-wifi/capstan/internal/buildinfo"
	"github.com/capstan-wifi/capstan/pki"
)

// Agent runs one CAP.
type Agent struct {
	cfg    Config
	radios []hal.Radio
	udp    *transport.Mux
	l2     map[string]*transport.Mux

	mu       sync.Mutex
	status   Status
	applied  map[uint8]hal.RadioState // what the radios run, across sessions
	restarts map[uint8]int
	// lostManager is the address of the manager just lost: the next
	// discovery round does not wait for its answer (a fleet's other
	// managers answer at once), though it still takes one if it comes.
	lostManager string
	creds       *pki.Credentials // nil under certificate=none
	// fwd is the session's data plane, nil outside Run.
	fwd *dataplane.Forwarder
	// dataAlive is when the manager last echoed a data channel keep-alive
	// (Unix nanoseconds).
	dataAlive atomic.Int64
}

// Status is what `capstan-agent status --json` prints.
type Status struct {
	State          string    `json:"state"`
	Since          time.Time `json:"since"`
	Manager        string    `json:"manager"`
	ManagerAddress string    `json:"manager_address"`
	ManagerCN      string    `json:"manager_common_name"`
	Transport      string    `json:"transport"`
	// SessionID is the CAPWAP session's ID, in hex.
	SessionID string `json:"session_id,omitempty"`
	// DataChannel is "clear" or "dtls", as the manager's AC Descriptor asked.
	DataChannel     string           `json:"data_channel,omitempty"`
	DiscoveredVia   string           `json:"discovered_via"`
	Identity        string           `json:"identity"`
	BaseMAC         string           `json:"base_mac"`
	Version         string           `json:"version"`
	Joins           int              `json:"joins"`
	LastError       string           `json:"last_error,omitempty"`
	Radios          []RadioInfo      `json:"radios"`
	ManagerTimeout  string           `json:"manager_timeout"`
	EchoInterval    string           `json:"echo_interval,omitempty"`
	LastManagerLoss *LossReport      `json:"last_manager_loss,omitempty"`
	Certificate     *CertificateInfo `json:"certificate,omitempty"`
	// ManagerKey is the SHA-256 of the current manager's public key
	// (SubjectPublicKeyInfo), what lock_to_manager records.
	ManagerKey string `json:"manager_key_sha256,omitempty"`
	LockedTo   string `json:"locked_to,omitempty"`
	// LockedKey and LockedCA are the lock's manager key and CA SHA-256.
	LockedKey string `json:"locked_key_sha256,omitempty"`
	LockedCA  string `json:"locked_ca_sha256,omitempty"`
}

// RadioInfo is one radio in the status.
type RadioInfo struct {
	ID       uint8    `json:"id"`
	Name     string   `json:"name"`
	MAC      string   `json:"mac"`
	SSIDs    []string `json:"ssids"`
	Restarts int      `json:"restarts"` // times applying a new state restarted it
	// What the radio was told to run (never its secrets).
	Disabled bool         `json:"disabled"`
	Country  string       `json:"country,omitempty"`
	Band     string       `json:"band,omitempty"`
	Channel  int          `json:"channel,omitempty"` // 0: the radio's choice
	WidthMHz int          `json:"width_mhz,omitempty"`
	WLANs    []WLANStatus `json:"wlans"`
}

// WLANStatus is one applied WLAN in the status.
type WLANStatus struct {
	ID       uint8  `json:"id"`
	SSID     string `json:"ssid"`
	Hidden   bool   `json:"hidden,omitempty"`
	Security string `json:"security"`
	VLAN     uint16 `json:"vlan,omitempty"`
	Bridge   string `json:"bridge,omitempty"`
}

// LossReport records how the last session ended.
type LossReport struct {
	At     time.Time `json:"at"`
	Silent string    `json:"silent"` // how long the manager had been silent
	Reason string    `json:"reason"`
}

// New checks cfg and returns an agent; Run starts it.
func New(cfg Config) (*Agent, error) {
	if err := cfg.finish(); err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	return &Agent{cfg: cfg, l2: map[string]*transport.Mux{}, applied: map[uint8]hal.RadioState{}, restarts: map[uint8]int{}}, nil
}

// Status returns a snapshot of the agent's state.
func (a *Agent) Status() Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.status
	if l, ok, _ := pki.ReadLock(a.cfg.StateDir); ok {
		s.LockedTo, s.LockedKey, s.LockedCA = l.CommonName, l.ManagerKey, l.CA
	}
	s.Radios = append([]RadioInfo(nil), s.Radios...)
	for i, r := range s.Radios {
		s.Radios[i].Restarts = a.restarts[r.ID]
		st := a.applied[r.ID]
		s.Radios[i].SSIDs, s.Radios[i].WLANs = []string{}, []WLANStatus{}
		s.Radios[i].Disabled, s.Radios[i].Country, s.Radios[i].Band = st.Disabled, st.Country, string(st.Band)
		s.Radios[i].Channel, s.Radios[i].WidthMHz = st.Channel, st.WidthMHz
		for _, w := range st.WLANs {
			s.Radios[i].SSIDs = append(s.Radios[i].SSIDs, w.SSID)
			s.Radios[i].WLANs = append(s.Radios[i].WLANs, WLANStatus{ID: w.ID, SSID: w.SSID, Hidden: w.Hidden,
				Security: string(w.Security), VLAN: w.VLAN, Bridge: w.Bridge})
		}
	}
	return s
}

func (a *Agent) setState(state string, update func(*Status)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.status.State != state {
		a.status.Since = time.Now()
		a.cfg.Logger.Info("state", "state", state)
	}
	a.status.State = state
	if update != nil {
		update(&a.status)
	}
}

func (a *Agent) warn(msg string, args ...any) { a.cfg.Logger.Warn(msg, args...) }

func (a *Agent) muxes() []*transport.Mux {
	out := []*transport.Mux{a.udp}
	for _, m := range a.l2 {
		out = append(out, m)
	}
	return out
}

// Run runs the CAP until ctx ends.
func (a *Agent) Run(ctx context.Context) error {
	if !a.cfg.Enabled {
		a.setState("idle", nil)
		<-ctx.Done()
		return nil
	}
	radios, err := a.cfg.HAL.Radios(ctx)
	if err != nil {
		return fmt.Errorf("agent: radios: %w", err)
	}
	if a.cfg.BaseMAC == nil {
		if len(radios) == 0 {
			return errors.New("agent: no radio and no base_mac to identify this CAP")
		}
		a.cfg.BaseMAC = radios[0].MAC
	}
	a.radios = radios
	if err := a.loadCredentials(); err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	if err := a.open(ctx); err != nil {
		return err
	}
	defer a.close()
	a.setState("idle", func(s *Status) {
		s.Identity, s.BaseMAC, s.Version = a.cfg.Identity, a.cfg.BaseMAC.String(), buildinfo.Version
		s.ManagerTimeout = a.cfg.ManagerTimeout.String()
		for _, r := range radios {
			s.Radios = append(s.Radios, RadioInfo{ID: r.ID, Name: r.Name, MAC: r.MAC.String()})
		}
	})
	for round := 0; ctx.Err() == nil; {
		if a.cfg.Certificate == CertificateSCEP {
			if err := a.enrollSCEP(ctx); err != nil && ctx.Err() == nil {
				a.warn("SCEP enrollment failed", "url", a.cfg.ScepURL, "err", err)
				a.setState("discovery", func(s *Status) { s.LastError = "scep: " + err.Error() })
				if c := a.credentials(); c == nil || c.Cert == nil {
					// Never join without the certificate that was configured.
					wait := backoff(round)
					round++
					select {
					case <-time.After(wait):
					case <-ctx.Done():
					}
					continue
				}
			}
		}
		a.setState("discovery", nil)
		cands := a.discover(ctx)
		joined := false
		for _, c := range cands {
			if ctx.Err() != nil {
				break
			}
			err := a.session(ctx, c, radios)
			if errors.Is(err, errEnrolled) {
				err = a.session(ctx, c, radios) // at once, with the new certificate
			}
			if err == nil || ctx.Err() != nil {
				continue
			}
			if errors.Is(err, ErrUpgraded) {
				a.setState("upgraded", func(s *Status) { s.LastError = "" })
				return err
			}
			var lost *lostError
			if errors.As(err, &lost) {
				joined = true
				a.warn("manager lost", "manager", c.name, "err", err)
				break // rediscover at once: the fastest failover
			}
			a.warn("join failed", "manager", c.name, "address", c.addr, "err", err)
			a.setState("discovery", func(s *Status) { s.LastError = err.Error() })
		}
		if joined {
			round = 0
			continue
		}
		wait := backoff(round)
		round++
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
	}
	return nil
}

func (a *Agent) open(ctx context.Context) error {
	c, err := transport.ListenUDP(ctx, ":0")
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	a.udp = transport.NewMux(c, transport.MuxConfig{Logger: a.cfg.Logger})
	for _, ifname := range a.cfg.DiscoveryInterfaces {
		if !slices.Contains(a.cfg.Discovery, MethodLayer2) {
			break
		}
		l, err := transport.ListenL2(ifname, transport.ControlChannel)
		if err != nil {
			a.warn("layer-2 discovery unavailable", "interface", ifname, "err", err)
			continue
		}
		a.l2[ifname] = transport.NewMux(l, transport.MuxConfig{Logger: a.cfg.Logger})
	}
	return nil
}

func (a *Agent) close() {
	for _, m := range a.muxes() {
		if m != nil {
			m.Close()
		}
	}
}

func newSessionID() wire.SessionID {
	var id wire.SessionID
	_, _ = rand.Read(id[:])
	return id
}

// radioElements are the RFC 5416 WTP Radio Information elements.
func radioElements(radios []hal.Radio) []wire.Element {
	var out []wire.Element
	for _, r := range radios {
		out = append(out, &wire.IEEE80211WTPRadioInformation{RadioID: r.ID, RadioType: r.Types})
	}
	return out
}

// Band bits of the Radio Capabilities element.
var bandBits = map[hal.Band]uint32{hal.Band2GHz: 1, hal.Band5GHz: 2, hal.Band6GHz: 4}

// capabilityElements describe each radio's bands, channels and limits
// (capstan's Radio Capabilities), one element per radio and band so that a
// tri-band radio's hundred channels stay within a vendor element's 2048
// bytes; the manager merges them by Radio ID. With them the manager can
// refuse or adapt a configuration before sending it.
func capabilityElements(radios []hal.Radio) []wire.Element {
	var out []wire.Element
	for _, r := range radios {
		var combos []wire.InterfaceCombination
		if r.MaxAP > 0 {
			combos = []wire.InterfaceCombination{{MaxInterfaces: uint32(r.MaxAP), NumChannels: 1,
				Types: []uint32{3}, Limits: []uint32{uint32(r.MaxAP)}}} // NL80211_IFTYPE_AP
		}
		if len(r.Bands) == 0 {
			out = append(out, &wire.RadioCapabilities{RadioID: r.ID, Phy: r.Name, Combinations: combos, MAC: r.MAC})
		}
		for _, b := range r.Bands {
			c := &wire.RadioCapabilities{RadioID: r.ID, Phy: r.Name, Bands: bandBits[b.Band], Combinations: combos, MAC: r.MAC}
			if b.HT {
				c.HTCapa |= 1
			}
			if b.HT40 {
				c.HTCapa |= 1 << 1 // IEEE 802.11 HT Capabilities: 20/40 MHz
			}
			if b.VHT {
				c.VHTCapa |= 1
			}
			if b.VHT160 {
				c.VHTCapa |= 1 << 2 // supported channel width set: 160 MHz
			}
			for _, ch := range b.Channels {
				wc := wire.Channel{FrequencyMHz: uint32(ch.FrequencyMHz), DFSState: uint8(ch.DFS), MaxPowerMBm: int32(ch.MaxPowerDBm * 100)}
				for flag, on := range map[uint32]bool{wire.ChannelDisabled: ch.Disabled, wire.ChannelNoIR: ch.NoIR, wire.ChannelRadar: ch.Radar, wire.ChannelIndoor: ch.Indoor} {
					if on {
						wc.Flags |= flag
					}
				}
				c.Channels = append(c.Channels, wc)
				c.MaxTxPowerMBm = max(c.MaxTxPowerMBm, wc.MaxPowerMBm)
			}
			out = append(out, c)
		}
	}
	return out
}
