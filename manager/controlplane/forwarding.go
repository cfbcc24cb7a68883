package controlplane

import (
	"net"
	"sync"
	"time"

	"github.com/capstan-wifi/capstan/capwap/transport"
	"github.com/capstan-wifi/capstan/capwap/tunnel"
	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/manager/provision"
)

// dataSender is one session's data channel towards its CAP, for the
// frames of its manager-forwarded interfaces.
type dataSender struct {
	mu   sync.Mutex
	conn net.PacketConn
	addr net.Addr
	enc  *tunnel.Encoder
}

func newDataSender(conn net.PacketConn, addr net.Addr) *dataSender {
	return &dataSender{conn: conn, addr: addr, enc: tunnel.NewEncoder(transport.DataMTU(addr))}
}

// Send implements dataplane.Sender.
func (d *dataSender) Send(radio uint8, wlans wire.DestinationWLANs, frame []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.enc.Encode(radio, wlans, frame, func(p []byte) error {
		_, err := d.conn.WriteTo(p, d.addr)
		return err
	})
}

// bindForwarding binds the manager-forwarded interfaces among ifaces (the
// interfaces the CAP now serves, by radio) to this session's data channel
// and unbinds those it no longer serves. It needs the data channel, which
// Data Check has established before any push.
func (c *session) bindForwarding(ifaces map[uint8][]provision.Interface) {
	plane := c.srv.cfg.Plane
	c.mu.Lock()
	sender := c.sender
	c.mu.Unlock()
	if plane == nil || sender == nil {
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
		if _, err := plane.Bind(it.Name, it.Settings.Bridge, k.radio, k.wlan, sender); err != nil {
			c.warn.Warn("forwarding "+it.Name, "manager forwarding not set up", "interface", it.Name, "err", err)
			continue
		}
		bound[k] = it
	}
	for k, it := range old {
		if bound[k].Name != it.Name {
			c.unbind(it)
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
		for _, it := range bound {
			c.unbind(it)
		}
	}
}

// unbind detaches interface it from this session; a dynamic interface's
// TAP goes with it, a static one's stays with its carrier off.
func (c *session) unbind(it provision.Interface) {
	plane := c.srv.cfg.Plane
	c.mu.Lock()
	sender := c.sender
	c.mu.Unlock()
	plane.Unbind(it.Name, sender)
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
	for _, it := range fwd {
		c.unbind(it)
	}
}

// fromCAP takes one data-channel packet that is not a keep-alive: a client's
// frame, whole or in fragments. The frame goes to the TAP of the interface
// its source, a registered client, is on; anything else is dropped.
func (c *session) fromCAP(pkt []byte) bool {
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
	if len(payload) < 14 {
		return false
	}
	var mac [17]byte
	const hexd = "0123456789abcdef"
	for i, b := range payload[6:12] {
		mac[i*3], mac[i*3+1] = hexd[b>>4], hexd[b&15]
		if i < 5 {
			mac[i*3+2] = ':'
		}
	}
	c.mu.Lock()
	r := c.stations[string(mac[:])]
	var name string
	if r != nil && r.RadioID == h.RadioID {
		name = c.fwd[wlanKey{r.RadioID, r.WLANID}].Name
	}
	c.mu.Unlock()
	if name == "" {
		return false
	}
	port := c.srv.cfg.Plane.Port(name)
	if port == nil {
		return false
	}
	port.Deliver(payload)
	return true
}
