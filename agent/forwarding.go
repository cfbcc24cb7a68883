package agent

import (
	"context"
	"errors"
	"net"
	"slices"

	"github.com/capstan-wifi/capstan/agent/dataplane"
	"github.com/capstan-wifi/capstan/capwap/transport"
	"github.com/capstan-wifi/capstan/capwap/tunnel"
	"github.com/capstan-wifi/capstan/hal"
)

// startForwarding makes the session's data plane and reads the data
// channel until ctx ends: keep-alive echoes mark the channel alive, frames
// go to the forwarder.
func (a *Agent) startForwarding(ctx context.Context, data net.PacketConn, dataAddr net.Addr) *dataplane.Forwarder {
	fwd := dataplane.New(data, dataAddr, transport.DataMTUOf(data, dataAddr), a.cfg.Logger)
	a.mu.Lock()
	a.fwd = fwd
	a.mu.Unlock()
	a.syncForwarding()
	go func() {
		<-ctx.Done()
		a.mu.Lock()
		a.fwd = nil
		a.mu.Unlock()
		fwd.Close()
	}()
	go func() {
		buf, oob := make([]byte, 65536), make([]byte, 64)
		// UDP GRO: the manager's runs of equal-size packets (UDP GSO)
		// arrive in one read.
		udp, _ := data.(*transport.ConnectedUDP)
		if udp != nil && transport.EnableGRO(udp.UDPConn) != nil {
			udp = nil
		}
		rc, _ := data.(*transport.RecordConn)
		if rc != nil {
			if transport.EnableGRO(rc.UDP()) != nil {
				rc = nil // its ReadFrom opens one datagram at a time
			}
		}
		packet := func(pkt []byte) {
			if rc != nil {
				var err error
				if pkt, err = rc.Open(pkt); err != nil {
					return
				}
			}
			h, _, err := tunnel.Decode(pkt)
			if err != nil {
				return
			}
			if h.KeepAlive {
				a.dataAlive.Store(nowNano())
				return
			}
			fwd.FromManager(pkt)
		}
		for {
			var n, seg int
			var err error
			switch {
			case udp != nil || rc != nil:
				var u *net.UDPConn
				if rc != nil {
					u = rc.UDP()
				} else {
					u = udp.UDPConn
				}
				var oobn int
				n, oobn, _, _, err = u.ReadMsgUDP(buf, oob)
				if err == nil {
					seg = transport.GROSegment(oob[:oobn])
				}
			default:
				n, _, err = data.ReadFrom(buf)
			}
			if err != nil {
				if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			if seg <= 0 || seg >= n {
				packet(buf[:n])
			} else {
				for off := 0; off < n; off += seg {
					packet(buf[off:min(off+seg, n)])
				}
			}
			fwd.Flush()
		}
	}()
	return fwd
}

// tunneledWLANs lists the manager-forwarded WLANs the radios run, with
// their interfaces (named as the backends name them).
func (a *Agent) tunneledWLANs() []dataplane.WLAN {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []dataplane.WLAN
	for _, r := range a.radios {
		st := a.applied[r.ID]
		if !st.Active() {
			continue
		}
		for i, w := range st.WLANs {
			if w.Tunneled {
				out = append(out, dataplane.WLAN{Radio: r.ID, ID: w.ID, Interface: hal.WLANInterface(r.Interface, i)})
			}
		}
	}
	return out
}

// syncForwarding gives the session's forwarder the WLANs to carry.
func (a *Agent) syncForwarding() {
	a.mu.Lock()
	fwd := a.fwd
	a.mu.Unlock()
	if fwd == nil {
		return
	}
	if err := fwd.Set(a.tunneledWLANs()); err != nil {
		a.warn("manager forwarding not set up", "err", err)
	}
}

// stopTunneled takes the manager-forwarded WLANs off the air when the
// manager is lost: their traffic has nowhere to go. The manager's next
// configuration brings them back.
func (a *Agent) stopTunneled(ctx context.Context) {
	next, touched := a.nextStates()
	for id, st := range next {
		kept := slices.DeleteFunc(slices.Clone(st.WLANs), func(w hal.WLAN) bool { return w.Tunneled })
		if len(kept) != len(st.WLANs) {
			st.WLANs = kept
			next[id], touched[id] = st, true
		}
	}
	if len(touched) == 0 {
		return
	}
	if err := a.reconcile(ctx, next, touched); err != nil {
		a.warn("manager-forwarded WLANs not stopped", "err", err)
		return
	}
	a.cfg.Logger.Info("manager-forwarded WLANs stopped: no manager", "radios", len(touched))
}
