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
	"syscall"
	"time"

	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"

	"github.com/capstan-wifi/capstan/capwap/transport"
	"github.com/capstan-wifi/capstan/capwap/tunnel"
	"github.com/capstan-wifi/capstan/internal/offload"
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
	co    *offload.Coalescer // frames for the vnet writers, until Flush

	toManager, fromManager, drops atomic.Uint64
}

type port struct {
	w     WLAN
	pc    frameConn
	done  chan struct{}
	write func(frame []byte) error // frameWriter(pc), set by add
	vnet  *vnetWriter              // TCP bursts merged, nil without
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
		ports: map[WLAN]*port{}, reasm: tunnel.NewReassembler(), co: offload.NewCoalescer()}
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
	if len(stale) > 0 {
		_ = f.co.Flush() // nothing held for a port about to close
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
	if err := setPacketOption(pc, unix.PACKET_IGNORE_OUTGOING); err != nil {
		pc.Close()
		return nil, fmt.Errorf("manager forwarding on %s: PACKET_IGNORE_OUTGOING: %w", w.Interface, err)
	}
	_ = os.WriteFile("/proc/sys/net/ipv6/conf/"+w.Interface+"/disable_ipv6", []byte("1"), 0)
	transport.SetBuffers(pc, transport.CAPDataBuffer)
	if err := disableGRO(w.Interface); err != nil {
		// Frames the kernel coalesced are dropped and counted instead.
		f.log.Warn("GRO stays on: coalesced frames will be dropped", "interface", w.Interface, "err", err)
	}
	p := &port{w: w, pc: pc, done: make(chan struct{})}
	if p.vnet, err = openVnetWriter(ifi); err != nil {
		f.log.Info("frames to the clients go one by one", "interface", w.Interface, "err", err)
	}
	return p, nil
}

// add starts carrying p's frames.
func (f *Forwarder) add(p *port) {
	p.write = frameWriter(p.pc)
	f.mu.Lock()
	f.ports[p.w] = p
	f.mu.Unlock()
	go f.readLoop(p)
	f.log.Info("forwarding to the manager", "interface", p.w.Interface, "radio", p.w.Radio, "wlan", p.w.ID)
}

func (p *port) close() {
	if p.vnet != nil {
		p.vnet.Close()
	}
	p.pc.Close()
	<-p.done
}

// Close lets every interface go.
func (f *Forwarder) Close() { _ = f.Set(nil) }

// Counters returns the forwarder's counters.
func (f *Forwarder) Counters() Counters {
	return Counters{ToManager: f.toManager.Load(), FromManager: f.fromManager.Load(), Drops: f.drops.Load()}
}

// readLoop sends the frames p's interface receives to the manager: the
// frames queued on the raw socket, up to 32 per recvmmsg(2), whose
// packets go as runs of equal size with one system call each (UDP GSO)
// where the data channel is a UDP socket, sealed first on the DTLS fast
// path.
func (f *Forwarder) readLoop(p *port) {
	defer close(p.done)
	// A raw socket is read a batch per recvmmsg(2); anything else (a
	// test's conn) a frame at a time.
	var batch *batchReader
	var buf []byte
	var read func(bool) (int, error)
	if sc, ok := p.pc.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			batch = newBatchReader(rc)
		}
	}
	if batch == nil {
		buf = make([]byte, 65536)
		read = frameReader(p.pc, buf)
	}
	var gso *transport.GSO
	emit := func(pkt []byte) error {
		if gso != nil {
			return gso.Add(pkt)
		}
		_, err := f.conn.WriteTo(pkt, f.addr)
		return err
	}
	switch c := f.conn.(type) {
	case *transport.ConnectedUDP:
		gso = transport.NewGSO(c.UDPConn)
	case *transport.RecordConn:
		// DTLS: each packet sealed into a datagram of the run.
		gso = transport.NewGSO(c.UDP())
		sealed := make([]byte, 0, 2048)
		emit = func(pkt []byte) error {
			d, err := c.Seal(sealed[:0], pkt)
			if err != nil {
				return err
			}
			return gso.Add(d)
		}
	}
	for {
		if batch != nil {
			n, err := batch.read()
			if err != nil {
				return
			}
			f.sendMu.Lock()
			for i := range n {
				f.toManagerFrame(p, batch.frame(i), emit)
			}
		} else {
			n, err := read(true)
			if err != nil {
				return
			}
			f.sendMu.Lock()
			f.toManagerFrame(p, buf[:n], emit)
			for i := 1; i < maxBatch; i++ {
				if n, err = read(false); err != nil || n == 0 {
					break
				}
				f.toManagerFrame(p, buf[:n], emit)
			}
		}
		if gso != nil {
			if err := gso.Flush(); err != nil {
				f.drops.Add(1)
			}
		}
		f.sendMu.Unlock()
	}
}

// maxBatch bounds the frames read and sent in one go.
const maxBatch = 64

// toManagerFrame encodes one frame from p's interface into emit; f.sendMu
// is held.
func (f *Forwarder) toManagerFrame(p *port, frame []byte, emit func([]byte) error) {
	if len(frame) < 14 {
		f.drops.Add(1)
		return
	}
	if et := uint16(frame[12])<<8 | uint16(frame[13]); et == etherEAPOL || et == etherPreauth {
		return // hostapd's
	}
	if len(frame) > tunnel.MaxFrame {
		// A coalesced (GRO) frame: what a station sends fits the MTU.
		f.drops.Add(1)
		return
	}
	if err := f.enc.Encode(p.w.Radio, 0, frame, emit); err != nil {
		f.drops.Add(1)
		return
	}
	f.toManager.Add(1)
}

// frameWriter returns a function that sends a frame out of pc's
// interface. On a raw socket bound to the interface it is write(2): no
// address to build per frame.
func frameWriter(pc frameConn) func([]byte) error {
	var rc syscall.RawConn
	if sc, ok := pc.(syscall.Conn); ok {
		rc, _ = sc.SyscallConn()
	}
	if rc == nil {
		return func(frame []byte) error {
			_, err := pc.WriteTo(frame, &packet.Addr{HardwareAddr: frame[0:6]})
			return err
		}
	}
	return func(frame []byte) error {
		var werr error
		if err := rc.Write(func(fd uintptr) bool {
			_, werr = unix.Write(int(fd), frame)
			return werr != unix.EAGAIN
		}); err != nil {
			return err
		}
		return werr
	}
}

// frameReader returns a function that reads one frame of pc, a conn
// without a file descriptor (a test's), into buf: waiting for one when
// block, else returning 0 at once.
func frameReader(pc frameConn, buf []byte) func(block bool) (int, error) {
	return func(block bool) (int, error) {
		if !block {
			return 0, nil
		}
		n, _, err := pc.ReadFrom(buf)
		return n, err
	}
}

// FromManager takes one data-channel packet that is not a keep-alive and
// sends its frame out of the interfaces of the WLANs it names, or keeps
// it, merged with the rest of its TCP burst, until Flush. It reports
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
		if p.vnet != nil {
			if f.co.Add(p.vnet, frame) == nil {
				sent = true
			}
		} else if p.write(frame) == nil {
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

// Flush sends what FromManager kept back: the caller's batch of packets
// from the manager is done.
func (f *Forwarder) Flush() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.co.Flush(); err != nil {
		f.drops.Add(1)
	}
}
