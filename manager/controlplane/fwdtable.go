package controlplane

import (
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/capstan-wifi/capstan/capwap/tunnel"
	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/internal/offload"
)

// fwdTable is one session's manager-forwarding state: the interfaces bound
// to its WLANs and, per client, its WLAN, its access-list verdict (VLAN,
// client-to-client) and its counters. It decides every frame either way
// without the session's lock and without allocating.
//
// VLANs: a client's frames carry its VLAN on the manager's TAP: the access
// list's vlan-id for that client, else the interface's (datapath vlan-mode
// use-tag), else none. A frame from the TAP goes only to clients of the
// VLAN it carries. Group frames reach every client of a WLAN (one group
// key), so while any client of an interface has a VLAN of its own, the
// interface's group frames go as unicast copies to the clients of their
// VLAN only (hostapd's multicast_to_unicast, done on the manager).
//
// TCP: the MSS of every SYN either way is clamped so that full-size
// segments fit the data channel in one packet (maxFrame), not two CAPWAP
// fragments; other traffic that does not fit is fragmented.
//
// client-to-client-forwarding: the CAP isolates its clients, so their
// frames to each other reach the manager. Allowed, the manager sends them
// back to the CAP (group frames too); refused, they are dropped there and
// counted.
type fwdTable struct {
	mu      sync.RWMutex
	ifaces  map[wlanKey]*fwdIface
	clients map[mac48]*fwdClient
	send    func(radio uint8, wlans wire.DestinationWLANs, frame []byte) error
	// queue is send for the TAP's frames, which come in batches: their
	// packets may wait for flush, at the end of the batch.
	queue func(radio uint8, wlans wire.DestinationWLANs, frame []byte) error
	flush func() error
	// maxFrame is the largest frame the data channel carries unfragmented.
	maxFrame int
}

type sendFunc = func(radio uint8, wlans wire.DestinationWLANs, frame []byte) error

type mac48 [6]byte

// fwdIface is a bound manager-forwarded interface.
type fwdIface struct {
	name string
	key  wlanKey
	vlan uint16 // the interface's tag, 0 for none
	c2c  bool
	tap  tapPort
	// own counts its clients with a VLAN of their own.
	own     int
	members map[mac48]*fwdClient
	binding *tapBinding
}

// tapPort is where a bound interface's clients' frames go: the TAP's
// Deliver, tagged with vlan unless it is 0, through co unless it is nil.
type tapPort interface {
	Deliver(frame []byte, vlan uint16, co *offload.Coalescer)
}

// fwdClient is a client of a manager-forwarded WLAN.
type fwdClient struct {
	mac      mac48
	key      wlanKey
	admitted bool
	vlan     uint16 // the access list's, 0 for the interface's
	c2c      *bool  // the access list's, nil for the interface's

	rxPackets, rxBytes, txPackets, txBytes, drops atomic.Uint64
}

// FlowCounters are a client's frames through the manager: rx from the
// client, tx to it, and its frames the manager refused.
type FlowCounters struct {
	RxPackets uint64 `json:"rx_packets"`
	RxBytes   uint64 `json:"rx_bytes"`
	TxPackets uint64 `json:"tx_packets"`
	TxBytes   uint64 `json:"tx_bytes"`
	Drops     uint64 `json:"drops"`
}

func newFwdTable(send func(uint8, wire.DestinationWLANs, []byte) error, maxFrame int) *fwdTable {
	return &fwdTable{ifaces: map[wlanKey]*fwdIface{}, clients: map[mac48]*fwdClient{}, send: send, queue: send,
		flush: func() error { return nil }, maxFrame: maxFrame}
}

func macOf(b []byte) (m mac48) { copy(m[:], b); return m }

// bind makes WLAN k an interface of the manager's, or updates it.
func (t *fwdTable) bind(k wlanKey, name string, vlan uint16, c2c bool, tap tapPort) *tapBinding {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.ifaces[k]
	if f == nil || f.name != name {
		f = &fwdIface{key: k, members: map[mac48]*fwdClient{}}
		f.binding = &tapBinding{t: t, key: k}
		for m, cl := range t.clients {
			if cl.key == k {
				f.members[m] = cl
				if cl.vlan != 0 {
					f.own++
				}
			}
		}
		t.ifaces[k] = f
	}
	f.name, f.vlan, f.c2c, f.tap = name, vlan, c2c, tap
	return f.binding
}

// unbind forgets WLAN k.
func (t *fwdTable) unbind(k wlanKey) {
	t.mu.Lock()
	delete(t.ifaces, k)
	t.mu.Unlock()
}

// place records client m on WLAN k, keeping its verdict. Like every
// method that changes the table, it does nothing on a nil table (a session
// without a data channel).
func (t *fwdTable) place(m mac48, k wlanKey) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	cl := t.clients[m]
	if cl == nil {
		cl = &fwdClient{mac: m, key: k}
		t.clients[m] = cl
	} else if cl.key != k {
		t.leaveLocked(cl)
		cl.key = k
	}
	if f := t.ifaces[k]; f != nil && f.members[m] == nil {
		f.members[m] = cl
		if cl.vlan != 0 {
			f.own++
		}
	}
}

// admit records the access list's verdict on client m: it may send and
// receive, in vlan (0: the interface's), with c2c overriding the
// interface's client-to-client forwarding unless nil.
func (t *fwdTable) admit(m mac48, vlan uint16, c2c *bool) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	cl := t.clients[m]
	if cl == nil {
		return
	}
	if f := t.ifaces[cl.key]; f != nil && f.members[m] == cl {
		f.own += b2i(vlan != 0) - b2i(cl.vlan != 0)
	}
	cl.admitted, cl.vlan, cl.c2c = true, vlan, c2c
}

// drop forgets client m.
func (t *fwdTable) drop(m mac48) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if cl := t.clients[m]; cl != nil {
		t.leaveLocked(cl)
		delete(t.clients, m)
	}
}

func (t *fwdTable) leaveLocked(cl *fwdClient) {
	if f := t.ifaces[cl.key]; f != nil && f.members[cl.mac] == cl {
		delete(f.members, cl.mac)
		if cl.vlan != 0 {
			f.own--
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// counters returns client m's counters and VLAN, ok false if the table
// does not know it.
func (t *fwdTable) counters(m mac48) (FlowCounters, uint16, bool) {
	if t == nil {
		return FlowCounters{}, 0, false
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	cl := t.clients[m]
	if cl == nil {
		return FlowCounters{}, 0, false
	}
	vlan := cl.vlan
	if f := t.ifaces[cl.key]; f != nil && vlan == 0 {
		vlan = f.vlan
	} else if f == nil {
		return FlowCounters{}, 0, false
	}
	return FlowCounters{RxPackets: cl.rxPackets.Load(), RxBytes: cl.rxBytes.Load(), TxPackets: cl.txPackets.Load(),
		TxBytes: cl.txBytes.Load(), Drops: cl.drops.Load()}, vlan, true
}

func (f *fwdIface) vlanOf(cl *fwdClient) uint16 {
	if cl.vlan != 0 {
		return cl.vlan
	}
	return f.vlan
}

func (f *fwdIface) c2cOf(cl *fwdClient) bool {
	if cl.c2c != nil {
		return *cl.c2c
	}
	return f.c2c
}

// fromClient decides a whole frame a client sent on radio: to the
// interface's TAP (through co unless it is nil), back to the CAP for
// another client, or dropped (false).
func (t *fwdTable) fromClient(radio uint8, frame []byte, co *offload.Coalescer) bool {
	if len(frame) < 14 {
		return false
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	cl := t.clients[macOf(frame[6:12])]
	if cl == nil || !cl.admitted || cl.key.radio != radio {
		return false
	}
	f := t.ifaces[cl.key]
	if f == nil || f.tap == nil {
		return false
	}
	cl.rxPackets.Add(1)
	cl.rxBytes.Add(uint64(len(frame)))
	tunnel.ClampMSS(frame, t.maxFrame)
	vlan, c2c := f.vlanOf(cl), f.c2cOf(cl)
	if frame[0]&1 == 0 {
		if peer := f.members[macOf(frame[0:6])]; peer != nil {
			// Client to client, on the same interface.
			if !c2c || !peer.admitted || f.vlanOf(peer) != vlan || t.send(radio, tunnel.WLANBit(f.key.wlan), frame) != nil {
				cl.drops.Add(1)
				return true
			}
			peer.txPackets.Add(1)
			peer.txBytes.Add(uint64(len(frame)))
			return true
		}
		f.tap.Deliver(frame, vlan, co)
		return true
	}
	f.tap.Deliver(frame, vlan, co)
	if c2c {
		t.groupLocked(f, vlan, frame, cl, t.send)
	}
	return true
}

// groupLocked sends a group frame of VLAN vlan to the interface's clients
// of that VLAN, except from; t.mu is read-held. frame's destination is
// rewritten while unicast copies go, and restored.
func (t *fwdTable) groupLocked(f *fwdIface, vlan uint16, frame []byte, from *fwdClient, send sendFunc) bool {
	if f.own == 0 {
		if vlan != f.vlan {
			return false
		}
		return send(f.key.radio, tunnel.WLANBit(f.key.wlan), frame) == nil
	}
	var dst mac48
	copy(dst[:], frame[0:6])
	sent := false
	for m, cl := range f.members {
		if cl == from || !cl.admitted || f.vlanOf(cl) != vlan {
			continue
		}
		copy(frame[0:6], m[:])
		if send(f.key.radio, tunnel.WLANBit(f.key.wlan), frame) == nil {
			cl.txPackets.Add(1)
			cl.txBytes.Add(uint64(len(frame)))
			sent = true
		}
	}
	copy(frame[0:6], dst[:])
	return sent
}

// tapBinding is the dataplane.Sender of one bound interface: frames its
// TAP transmits, to the clients of the VLAN they carry.
type tapBinding struct {
	t   *fwdTable
	key wlanKey
}

// errNotForwarded: the frame has no client to go to.
var errNotForwarded = errors.New("no client of this interface and VLAN")

// Flush implements dataplane.Flusher: a batch of the TAP's frames ended.
func (b *tapBinding) Flush() error { return b.t.flush() }

// Send implements dataplane.Sender. frame may be modified.
func (b *tapBinding) Send(frame []byte) error {
	if len(frame) < 14 {
		return errNotForwarded
	}
	var vlan uint16
	if binary.BigEndian.Uint16(frame[12:14]) == 0x8100 {
		if len(frame) < 18 {
			return errNotForwarded
		}
		vlan = binary.BigEndian.Uint16(frame[14:16]) & 0x0fff
		copy(frame[4:16], frame[0:12])
		frame = frame[4:]
	}
	t := b.t
	tunnel.ClampMSS(frame, t.maxFrame)
	t.mu.RLock()
	defer t.mu.RUnlock()
	f := t.ifaces[b.key]
	if f == nil || f.binding != b {
		return errNotForwarded
	}
	if frame[0]&1 != 0 {
		if !t.groupLocked(f, vlan, frame, nil, t.queue) {
			return errNotForwarded
		}
		return nil
	}
	cl := f.members[macOf(frame[0:6])]
	if cl == nil || !cl.admitted || f.vlanOf(cl) != vlan {
		return errNotForwarded
	}
	if err := t.queue(f.key.radio, tunnel.WLANBit(f.key.wlan), frame); err != nil {
		return err
	}
	cl.txPackets.Add(1)
	cl.txBytes.Add(uint64(len(frame)))
	return nil
}
