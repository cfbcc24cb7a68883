package controlplane

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/capstan-wifi/capstan/capwap/transport"
	"github.com/capstan-wifi/capstan/capwap/tunnel"
	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/internal/offload"
	"github.com/capstan-wifi/capstan/manager/provision"
)

// dataSender is one session's data channel towards its CAP, for the
// frames of its manager-forwarded interfaces.
type dataSender struct {
	mu   sync.Mutex
	conn net.PacketConn
	addr net.Addr
	enc  *tunnel.Encoder
	emit func([]byte) error // d.write, made once
	// For a UDP peer: writes without an address conversion each, and
	// queued frames sent as runs of equal size (UDP GSO).
	udp *net.UDPConn
	ap  netip.AddrPort
	gso *transport.GSO
	add func([]byte) error // d.gso.Add, made once
}

func newDataSender(conn net.PacketConn, addr net.Addr) *dataSender {
	d := &dataSender{conn: conn, addr: addr, enc: tunnel.NewEncoder(transport.DataMTUOf(conn, addr))}
	d.emit = d.write
	switch c := conn.(type) {
	case *net.UDPConn:
		if ap, ok := udpKey(addr); ok {
			d.udp, d.ap = c, ap
			d.gso = transport.NewGSOTo(c, ap)
			d.add = d.gso.Add
		}
	case *transport.RecordConn:
		// The DTLS fast path: each packet sealed into a datagram of the
		// run; single packets through the RecordConn.
		d.gso = transport.NewGSOTo(c.UDP(), c.PeerAddrPort())
		sealed := make([]byte, 0, 2048)
		d.add = func(p []byte) error {
			b, err := c.Seal(sealed[:0], p)
			if err != nil {
				return err
			}
			return d.gso.Add(b)
		}
	}
	return d
}

// Send sends one frame to the CAP at once (a client's frame sent back to
// another client); the TAP's frames go through Queue and Flush.
func (d *dataSender) Send(radio uint8, wlans wire.DestinationWLANs, frame []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.enc.Encode(radio, wlans, frame, d.emit)
}

// Queue is Send for a frame of a batch: its packets may wait for Flush.
func (d *dataSender) Queue(radio uint8, wlans wire.DestinationWLANs, frame []byte) error {
	if d.gso == nil {
		return d.Send(radio, wlans, frame)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.enc.Encode(radio, wlans, frame, d.add)
}

// Flush sends what Queue left waiting.
func (d *dataSender) Flush() error {
	if d.gso == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.gso.Flush()
}

func (d *dataSender) write(p []byte) error {
	if d.udp != nil {
		_, err := d.udp.WriteToUDPAddrPort(p, d.ap)
		return err
	}
	_, err := d.conn.WriteTo(p, d.addr)
	return err
}

// bindForwarding binds the manager-forwarded interfaces among ifaces (the
// interfaces the CAP now serves, by radio) to this session's data channel
// and unbinds those it no longer serves. It needs the data channel, which
// Data Check has established before any push.
func (c *session) bindForwarding(ifaces map[uint8][]provision.Interface) {
	plane := c.srv.cfg.Plane
	c.mu.Lock()
	ft := c.ft
	c.mu.Unlock()
	if plane == nil || ft == nil {
		return
	}
	want := map[wlanKey]provision.Interface{}
	for radio, ifs := range ifaces {
		for _, it := range ifs {
			if it.Settings.ManagerForwarding && !it.Disabled {
				want[wlanKey{radio, it.WLANID}] = it
			}
		}
	}
	c.mu.Lock()
	old := c.fwd
	c.mu.Unlock()
	bound := map[wlanKey]provision.Interface{}
	for k, it := range want {
		var vlan uint16
		if it.Settings.VLANTagged {
			vlan = uint16(it.Settings.VLANID)
		}
		if o, ok := old[k]; ok && o.Name != it.Name {
			c.unbind(k, o)
		}
		b := ft.bind(k, it.Name, vlan, it.Settings.ClientToClient, nil)
		port, err := plane.Bind(it.Name, it.Settings.Bridge, b)
		if err != nil {
			ft.unbind(k)
			c.warn.Warn("forwarding "+it.Name, "manager forwarding not set up", "interface", it.Name, "err", err)
			continue
		}
		ft.bind(k, it.Name, vlan, it.Settings.ClientToClient, port)
		bound[k] = it
	}
	for k, it := range old {
		if bound[k].Name != it.Name {
			c.unbind(k, it)
		}
	}
	c.mu.Lock()
	ended := c.fwdEnded
	if !ended {
		c.fwd = bound
	}
	c.mu.Unlock()
	if ended {
		// The session ended while this push was under way: unbindAll has
		// run and will not see these.
		for k, it := range bound {
			c.unbind(k, it)
		}
	}
}

// unbind detaches interface it from WLAN k of this session; a dynamic
// interface's TAP goes with it, a static one's stays with its carrier off.
func (c *session) unbind(k wlanKey, it provision.Interface) {
	plane := c.srv.cfg.Plane
	c.mu.Lock()
	ft := c.ft
	c.mu.Unlock()
	var b *tapBinding
	ft.mu.RLock()
	if f := ft.ifaces[k]; f != nil && f.name == it.Name {
		b = f.binding
	}
	ft.mu.RUnlock()
	if b == nil {
		return
	}
	ft.unbind(k)
	plane.Unbind(it.Name, b)
	if !it.Static {
		plane.Remove(it.Name)
	}
}

// unbindAll ends the session's forwarding.
func (c *session) unbindAll() {
	if c.srv.cfg.Plane == nil {
		return
	}
	c.mu.Lock()
	fwd := c.fwd
	c.fwd, c.fwdEnded = nil, true
	c.mu.Unlock()
	for k, it := range fwd {
		c.unbind(k, it)
	}
}

// fromCAP takes one data-channel packet that is not a keep-alive: a client's
// frame, whole or in fragments, for the fwdTable to decide. Frames for a
// TAP go through co (nil: written at once), which the caller flushes after
// its batch.
func (c *session) fromCAP(pkt []byte, co *offload.Coalescer) bool {
	h, payload, err := tunnel.Decode(pkt)
	if err != nil {
		return false
	}
	if h.Fragment {
		var done bool
		if h, payload, done, err = c.reasm.Add(h, payload, time.Now()); err != nil || !done {
			return err == nil
		}
	}
	return c.ft.fromClient(h.RadioID, payload, co)
}
