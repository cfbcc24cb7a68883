package dataplane

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"

	"github.com/capstan-wifi/capstan/capwap/tunnel"
	"github.com/capstan-wifi/capstan/internal/offload"
)

// Sender takes one frame the TAP transmitted (its VLAN tag, if any,
// inline) for the clients of the interface, over the data channel of the
// CAP serving it. An error drops and counts the frame. frame is valid only
// during the call and Send may modify it.
type Sender interface {
	Send(frame []byte) error
}

// Flusher is a Sender that may hold frames of a batch back: the Port
// calls Flush after each batch it read from the TAP.
type Flusher interface {
	Flush() error
}

// maxBatch bounds the frames a Port reads from its TAP in one go.
const maxBatch = 64

// Counters are a Port's frames since it was created: rx from the CAP (the
// clients' frames), tx to the CAP, and frames dropped either way.
type Counters struct {
	RxPackets uint64 `json:"rx_packets"`
	RxBytes   uint64 `json:"rx_bytes"`
	TxPackets uint64 `json:"tx_packets"`
	TxBytes   uint64 `json:"tx_bytes"`
	Drops     uint64 `json:"drops"`
}

// Port is one manager-forwarded interface's TAP.
type Port struct {
	name string
	link string // the Linux interface's name
	tap  *tap
	log  *slog.Logger

	mu     sync.Mutex
	bridge string
	sender Sender

	wmu  sync.Mutex
	wbuf [offload.VirtioHdrLen + tunnel.MaxFrame + 4]byte // a frame being tagged for the TAP

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

// Bind makes interface name's TAP send what it transmits to s, in Linux
// bridge bridge ("" for none). The TAP is created on the first Bind and
// its carrier turned on.
func (p *Plane) Bind(name, bridge string, s Sender) (*Port, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	port := p.ports[name]
	if port == nil {
		link := LinkName(name)
		t, err := openTAP(link)
		if err != nil {
			return nil, err
		}
		if err := linkUp(link, bridge); err != nil {
			t.Close()
			return nil, fmt.Errorf("interface %s: %w", name, err)
		}
		port = &Port{name: name, link: link, tap: t, bridge: bridge, log: p.log.With("interface", name, "link", link), done: make(chan struct{})}
		p.ports[name] = port
		go port.readLoop()
		p.log.Info("interface created", "interface", name, "link", link, "bridge", bridge)
	} else if port.bridgeOf() != bridge {
		if err := linkUp(port.link, bridge); err != nil {
			return nil, fmt.Errorf("interface %s: %w", name, err)
		}
	}
	port.mu.Lock()
	port.bridge, port.sender = bridge, s
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

// Name returns the capstan interface's name.
func (port *Port) Name() string { return port.name }

// Link returns the name of its Linux interface (LinkName).
func (port *Port) Link() string { return port.link }

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

// Deliver hands a client's frame from the CAP to the TAP, with an 802.1Q
// tag for vlan unless it is 0. With co (and a TAP that takes virtio-net
// headers) the frame may wait in co, merged with others of its TCP flow,
// until co is flushed; frame is copied either way.
func (port *Port) Deliver(frame []byte, vlan uint16, co *offload.Coalescer) {
	if len(frame) < 14 || len(frame) > tunnel.MaxFrame {
		port.drops.Add(1)
		return
	}
	h := 0
	if port.tap.vnet {
		h = offload.VirtioHdrLen
	}
	port.wmu.Lock()
	defer port.wmu.Unlock()
	out := port.wbuf[:h+len(frame)]
	if vlan != 0 {
		out = port.wbuf[:h+len(frame)+4]
		copy(out[h:], frame[:12])
		binary.BigEndian.PutUint16(out[h+12:], 0x8100)
		binary.BigEndian.PutUint16(out[h+14:], vlan&0x0fff)
		copy(out[h+16:], frame[12:])
	} else if h > 0 {
		copy(out[h:], frame)
	}
	var err error
	switch {
	case h > 0 && co != nil:
		err = co.Add(port, out[h:])
	case h > 0:
		offload.VirtioHdr{}.Encode(out)
		_, err = port.tap.Write(out)
	case vlan != 0:
		_, err = port.tap.Write(out)
	default:
		_, err = port.tap.Write(frame)
	}
	if err != nil {
		port.drops.Add(1)
		return
	}
	port.rxPackets.Add(1)
	port.rxBytes.Add(uint64(len(out) - h))
}

// WriteVirtio writes a frame with its virtio-net header to the TAP: a
// Coalescer's output. A failed write counts one drop.
func (port *Port) WriteVirtio(pkt []byte) error {
	if _, err := port.tap.Write(pkt); err != nil {
		port.drops.Add(1)
		return err
	}
	return nil
}

// readLoop sends what the TAP's side (the bridge, the manager's own stack)
// transmits to the CAP serving the interface: each frame it waited for
// and those already queued behind it (up to a batch), then a Flush.
func (port *Port) readLoop() {
	defer close(port.done)
	buf := make([]byte, offload.VirtioHdrLen+65536)
	scratch := make([]byte, 65536) // a segment cut from a TSO frame
	var s Sender
	emit := func(frame []byte) { port.toCAP(s, frame) }
	toCAP := func(b []byte) {
		if !port.tap.vnet {
			port.toCAP(s, b)
			return
		}
		if err := offload.Segment(b, scratch, emit); err != nil {
			port.drops.Add(1)
		}
	}
	for {
		n, err := port.tap.read(buf, true)
		if err != nil {
			if !errors.Is(err, os.ErrClosed) {
				port.log.Warn("tap read failed", "err", err)
			}
			return
		}
		port.mu.Lock()
		s = port.sender
		port.mu.Unlock()
		toCAP(buf[:n])
		for i := 1; i < maxBatch; i++ {
			if n, err = port.tap.read(buf, false); err != nil || n == 0 {
				break
			}
			toCAP(buf[:n])
		}
		if f, ok := s.(Flusher); ok {
			if err := f.Flush(); err != nil {
				port.drops.Add(1)
			}
		}
	}
}

func (port *Port) toCAP(s Sender, frame []byte) {
	if s == nil || len(frame) > tunnel.MaxFrame+4 {
		port.drops.Add(1)
		return
	}
	if err := s.Send(frame); err != nil {
		port.drops.Add(1)
		return
	}
	port.txPackets.Add(1)
	port.txBytes.Add(uint64(len(frame)))
}
