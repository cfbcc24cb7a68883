// Package dataplane is the CAP's side of manager forwarding: it moves the
// clients' 802.3 frames between the interfaces of manager-forwarded WLANs
// (in no bridge) and the CAPWAP data channel to the manager.
//
// Frames a WLAN interface receives from its clients go to the manager
// whole or in CAPWAP fragments; frames from the manager go out of the
// interfaces of the WLANs its Destination WLANs names. EAPOL and RSN
// pre-authentication frames are hostapd's: the forwarder never sends them
// on. The contract is Set (which interfaces), FromManager (a data-channel
// packet) and Close, so that a kernel fast path can replace the loop.
// Opening interfaces needs CAP_NET_RAW.
package dataplane

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"

	"github.com/capstan-wifi/capstan/capwap/transport"
	"github.com/capstan-wifi/capstan/capwap/tunnel"
)

// EtherTypes hostapd owns on a WLAN interface.
const (
	etherEAPOL   = 0x888e
	etherPreauth = 0x88c7
)

// WLAN names one manager-forwarded WLAN and its interface.
type WLAN struct {
	Radio, ID uint8
	Interface string
}

// Counters are the forwarder's frames since it started.
type Counters struct {
	ToManager, FromManager uint64 // frames
	Drops                  uint64
}

// Forwarder is one session's data plane.
type Forwarder struct {
	log  *slog.Logger
	conn net.PacketConn
	addr net.Addr

	sendMu sync.Mutex
	enc    *tunnel.Encoder

	mu    sync.Mutex
	ports map[WLAN]*port
	reasm *tunnel.Reassembler

	toManager, fromManager, drops atomic.Uint64
}

type port struct {
	w    WLAN
	pc   frameConn
	done chan struct{}
}

// frameConn is a raw socket on one interface: whole Ethernet frames.
type frameConn interface {
	ReadFrom([]byte) (int, net.Addr, error)
	WriteTo([]byte, net.Addr) (int, error)
	Close() error
}

// New returns a Forwarder that sends to addr over conn, in packets of at
// most mtu bytes.
func New(conn net.PacketConn, addr net.Addr, mtu int, log *slog.Logger) *Forwarder {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Forwarder{log: log.With("component", "dataplane"), conn: conn, addr: addr, enc: tunnel.NewEncoder(mtu),
		ports: map[WLAN]*port{}, reasm: tunnel.NewReassembler()}
}

// Set makes the forwarder carry exactly wlans: interfaces no longer
// listed are let go, new ones opened. It returns the first error; the
// other WLANs are set up regardless.
func (f *Forwarder) Set(wlans []WLAN) error {
	want := map[WLAN]bool{}
	for _, w := range wlans {
		want[w] = true
	}
	f.mu.Lock()
	var stale []*port
	for w, p := range f.ports {
		if !want[w] {
			stale = append(stale, p)
			delete(f.ports, w)
		}
	}
	f.mu.Unlock()
	for _, p := range stale {
		p.close()
	}
	var first error
	for w := range want {
		f.mu.Lock()
		_, ok := f.ports[w]
		f.mu.Unlock()
		if ok {
			continue
		}
		p, err := f.open(w)
		if err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		f.add(p)
	}
	return first
}

// open binds a raw socket to w's interface for every EtherType, not
// looping back what this host sends on it, and keeps the host's own IPv6
// off the interface (it belongs to the manager's network).
func (f *Forwarder) open(w WLAN) (*port, error) {
	ifi, err := net.InterfaceByName(w.Interface)
	if err != nil {
		return nil, fmt.Errorf("manager forwarding on %s: %w", w.Interface, err)
	}
	pc, err := packet.Listen(ifi, packet.Raw, unix.ETH_P_ALL, nil)
	if err != nil {
		return nil, fmt.Errorf("manager forwarding on %s: %w", w.Interface, err)
	}
	rc, err := pc.SyscallConn()
	if err == nil {
		var serr error
		err = rc.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1)
		})
		if err == nil {
			err = serr
		}
	}
	if err != nil {
		pc.Close()
		return nil, fmt.Errorf("manager forwarding on %s: PACKET_IGNORE_OUTGOING: %w", w.Interface, err)
	}
	_ = os.WriteFile("/proc/sys/net/ipv6/conf/"+w.Interface+"/disable_ipv6", []byte("1"), 0)
	transport.SetBuffers(pc, transport.CAPDataBuffer)
	if err := disableGRO(w.Interface); err != nil {
		// Frames the kernel coalesced are dropped and counted instead.
		f.log.Warn("GRO stays on: coalesced frames will be dropped", "interface", w.Interface, "err", err)
	}
	return &port{w: w, pc: pc, done: make(chan struct{})}, nil
}

// add starts carrying p's frames.
func (f *Forwarder) add(p *port) {
	f.mu.Lock()
	f.ports[p.w] = p
	f.mu.Unlock()
	go f.readLoop(p)
	f.log.Info("forwarding to the manager", "interface", p.w.Interface, "radio", p.w.Radio, "wlan", p.w.ID)
}

func (p *port) close() {
	p.pc.Close()
	<-p.done
}

// Close lets every interface go.
func (f *Forwarder) Close() { _ = f.Set(nil) }

// Counters returns the forwarder's counters.
func (f *Forwarder) Counters() Counters {
	return Counters{ToManager: f.toManager.Load(), FromManager: f.fromManager.Load(), Drops: f.drops.Load()}
}

// readLoop sends the frames p's interface receives to the manager.
func (f *Forwarder) readLoop(p *port) {
	defer close(p.done)
	buf := make([]byte, 65536)
	for {
		n, _, err := p.pc.ReadFrom(buf)
		if err != nil {
			return
		}
		frame := buf[:n]
		if n < 14 {
			f.drops.Add(1)
			continue
		}
		if et := uint16(frame[12])<<8 | uint16(frame[13]); et == etherEAPOL || et == etherPreauth {
			continue // hostapd's
		}
		if n > tunnel.MaxFrame {
			// A coalesced (GRO) frame: what a station sends fits the MTU.
			f.drops.Add(1)
			continue
		}
		f.sendMu.Lock()
		err = f.enc.Encode(p.w.Radio, 0, frame, func(pkt []byte) error {
			_, err := f.conn.WriteTo(pkt, f.addr)
			return err
		})
		f.sendMu.Unlock()
		if err != nil {
			f.drops.Add(1)
			continue
		}
		f.toManager.Add(1)
	}
}

// FromManager takes one data-channel packet that is not a keep-alive and
// sends its frame out of the interfaces of the WLANs it names. It reports
// whether the packet was used (a fragment kept for later counts).
func (f *Forwarder) FromManager(pkt []byte) bool {
	h, frame, err := tunnel.Decode(pkt)
	if err != nil || h.KeepAlive {
		f.drops.Add(1)
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if h.Fragment {
		var done bool
		if h, frame, done, err = f.reasm.Add(h, frame, time.Now()); err != nil || !done {
			if err != nil {
				f.drops.Add(1)
			}
			return err == nil
		}
	}
	if len(frame) < 14 || h.WLANs == 0 {
		f.drops.Add(1)
		return false
	}
	sent := false
	for w, p := range f.ports {
		if w.Radio != h.RadioID || h.WLANs&tunnel.WLANBit(w.ID) == 0 {
			continue
		}
		if _, err := p.pc.WriteTo(frame, &packet.Addr{HardwareAddr: frame[0:6]}); err == nil {
			sent = true
		}
	}
	if !sent {
		f.drops.Add(1)
		return false
	}
	f.fromManager.Add(1)
	return true
}
