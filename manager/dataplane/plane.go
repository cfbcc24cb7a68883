package dataplane

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"

	"github.com/capstan-wifi/capstan/capwap/tunnel"
	"github.com/capstan-wifi/capstan/capwap/wire"
)

// Sender sends one frame to the CAP serving a Port, over that CAP's data
// channel, to radio and the WLANs in wlans. frame is valid only during
// the call.
type Sender interface {
	Send(radio uint8, wlans wire.DestinationWLANs, frame []byte) error
}

// Counters are a Port's frames since it was created: rx from the CAP (the
// clients' frames), tx to the CAP, and frames dropped either way.
type Counters struct {
	RxPackets, RxBytes uint64
	TxPackets, TxBytes uint64
	Drops              uint64
}

// Port is one manager-forwarded interface's TAP.
type Port struct {
	name string
	tap  *tap
	log  *slog.Logger

	mu     sync.Mutex
	bridge string
	sender Sender
	radio  uint8
	wlan   uint8

	rxPackets, rxBytes, txPackets, txBytes, drops atomic.Uint64
	done                                          chan struct{}
}

// Plane holds the Ports of one manager.
type Plane struct {
	log   *slog.Logger
	mu    sync.Mutex
	ports map[string]*Port
}

// New returns an empty Plane.
func New(log *slog.Logger) *Plane {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Plane{log: log.With("component", "dataplane"), ports: map[string]*Port{}}
}

// Bind makes interface name's TAP carry frames to and from s, for radio
// and WLAN wlan of its CAP, in Linux bridge bridge ("" for none). The TAP
// is created on the first Bind and its carrier turned on.
func (p *Plane) Bind(name, bridge string, radio, wlan uint8, s Sender) (*Port, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	port := p.ports[name]
	if port == nil {
		t, err := openTAP(name)
		if err != nil {
			return nil, err
		}
		if err := linkUp(name, bridge); err != nil {
			t.Close()
			return nil, fmt.Errorf("interface %s: %w", name, err)
		}
		port = &Port{name: name, tap: t, bridge: bridge, log: p.log.With("interface", name), done: make(chan struct{})}
		p.ports[name] = port
		go port.readLoop()
		p.log.Info("interface created", "interface", name, "bridge", bridge)
	} else if port.bridgeOf() != bridge {
		if err := linkUp(name, bridge); err != nil {
			return nil, fmt.Errorf("interface %s: %w", name, err)
		}
	}
	port.mu.Lock()
	port.bridge, port.sender, port.radio, port.wlan = bridge, s, radio, wlan
	port.mu.Unlock()
	if err := port.tap.setCarrier(true); err != nil {
		return nil, err
	}
	return port, nil
}

// Unbind detaches s from interface name, if s still serves it: frames from
// the TAP are dropped and its carrier is off until the next Bind. The TAP
// stays.
func (p *Plane) Unbind(name string, s Sender) {
	p.mu.Lock()
	port := p.ports[name]
	p.mu.Unlock()
	if port == nil {
		return
	}
	port.mu.Lock()
	mine := port.sender == s
	if mine {
		port.sender = nil
	}
	port.mu.Unlock()
	if mine {
		_ = port.tap.setCarrier(false)
	}
}

// Remove deletes interface name's TAP.
func (p *Plane) Remove(name string) {
	p.mu.Lock()
	port := p.ports[name]
	delete(p.ports, name)
	p.mu.Unlock()
	if port != nil {
		port.tap.Close()
		<-port.done
		p.log.Info("interface removed", "interface", name)
	}
}

// Close removes every Port.
func (p *Plane) Close() {
	p.mu.Lock()
	names := make([]string, 0, len(p.ports))
	for n := range p.ports {
		names = append(names, n)
	}
	p.mu.Unlock()
	for _, n := range names {
		p.Remove(n)
	}
}

// Port returns interface name's Port, nil if it has none.
func (p *Plane) Port(name string) *Port {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ports[name]
}

// Counters returns every Port's counters, by interface name.
func (p *Plane) Counters() map[string]Counters {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]Counters, len(p.ports))
	for n, port := range p.ports {
		out[n] = port.Counters()
	}
	return out
}

// Name returns the interface's name.
func (port *Port) Name() string { return port.name }

func (port *Port) bridgeOf() string {
	port.mu.Lock()
	defer port.mu.Unlock()
	return port.bridge
}

// Counters returns the Port's counters.
func (port *Port) Counters() Counters {
	return Counters{RxPackets: port.rxPackets.Load(), RxBytes: port.rxBytes.Load(),
		TxPackets: port.txPackets.Load(), TxBytes: port.txBytes.Load(), Drops: port.drops.Load()}
}

// Deliver hands a frame from the CAP to the TAP.
func (port *Port) Deliver(frame []byte) {
	if len(frame) < 14 || len(frame) > tunnel.MaxFrame {
		port.drops.Add(1)
		return
	}
	if _, err := port.tap.Write(frame); err != nil {
		port.drops.Add(1)
		return
	}
	port.rxPackets.Add(1)
	port.rxBytes.Add(uint64(len(frame)))
}

// readLoop sends what the TAP's side (the bridge, the manager's own stack)
// transmits to the CAP serving the interface.
func (port *Port) readLoop() {
	defer close(port.done)
	buf := make([]byte, 65536)
	for {
		n, err := port.tap.Read(buf)
		if err != nil {
			if !errors.Is(err, os.ErrClosed) {
				port.log.Warn("tap read failed", "err", err)
			}
			return
		}
		port.mu.Lock()
		s, radio, wlan := port.sender, port.radio, port.wlan
		port.mu.Unlock()
		if s == nil || n > tunnel.MaxFrame {
			port.drops.Add(1)
			continue
		}
		if err := s.Send(radio, tunnel.WLANBit(wlan), buf[:n]); err != nil {
			port.drops.Add(1)
			continue
		}
		port.txPackets.Add(1)
		port.txBytes.Add(uint64(n))
	}
}
