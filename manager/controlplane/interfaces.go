package controlplane

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/capstan-wifi/capstan/manager/model"
	"github.com/capstan-wifi/capstan/manager/provision"
)

// Interfaces lists the provisioned interfaces of every CAP in Run: static
// ones bound to a radio and dynamic ones, by name.
func (s *Server) Interfaces() []provision.Interface {
	var out []provision.Interface
	type wlan struct{ radio, id uint8 }
	for _, c := range s.running() {
		c.mu.Lock()
		clients := map[wlan]int{}
		for _, r := range c.stations {
			clients[wlan{r.RadioID, r.WLANID}]++
		}
		for _, ifs := range c.ifaces {
			for _, it := range ifs {
				it.Clients = clients[wlan{it.RadioID, it.WLANID}]
				out = append(out, it)
			}
		}
		c.mu.Unlock()
	}
	for i, it := range out {
		if plane := s.cfg.Plane; plane != nil && it.Settings.ManagerForwarding {
			if port := plane.Port(it.Name); port != nil {
				fc := port.Counters()
				out[i].Forwarded, out[i].TAP = &fc, port.Link()
			}
		}
	}
	return sortedRows(out, func(a, b *provision.Interface) int { return strings.Compare(a.Name, b.Name) })
}

// ErrNoCAP: no connected CAP has that identity, common name, base MAC or
// position.
var ErrNoCAP = fmt.Errorf("no such CAP")

// runningCAP finds a CAP in Run by identity, common name, base MAC or
// position in remote-cap print.
func (s *Server) runningCAP(ref string) (*session, error) {
	caps := s.RemoteCaps()
	var key string
	for i, rc := range caps {
		if ref == rc.Identity || ref == rc.CommonName || ref == rc.BaseMAC || ref == strconv.Itoa(i) {
			key = "mac:" + rc.BaseMAC
			if rc.CommonName != "" {
				key = "cn:" + rc.CommonName
			}
			break
		}
	}
	s.mu.Lock()
	c := s.caps[key]
	s.mu.Unlock()
	if c == nil || c.State() != "run" {
		return nil, fmt.Errorf("%w: %q is not a running CAP", ErrNoCAP, ref)
	}
	return c, nil
}

// ProvisionCAP runs the provisioning rules again for one CAP (its
// identity, common name, base MAC or position in remote-cap print): its
// dynamic interfaces are made afresh and the result pushed at once.
func (s *Server) ProvisionCAP(ctx context.Context, ref string) ([]provision.Interface, error) {
	c, err := s.runningCAP(ref)
	if err != nil {
		return nil, err
	}
	if err := c.provision(true); err != nil {
		return nil, err
	}
	c.push(ctx)
	return c.interfaces(), nil
}

func (c *session) interfaces() []provision.Interface {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []provision.Interface
	for _, r := range c.radioInfo {
		out = append(out, c.ifaces[r.ID]...)
	}
	return out
}

// ErrNoOpenChannel: no radio of the CAP has a channel profile that leaves
// the frequency to the manager (or the CAP did not report its channels).
var ErrNoOpenChannel = errors.New("no radio of this CAP has a channel left to select")

// ReselectChannels has one CAP scan every radio whose channel the manager
// selects and moves each to a less occupied channel if the fresh survey
// shows one (see Reselect), at once rather than at the reselect-interval.
// It returns the CAP's interfaces afterwards.
func (s *Server) ReselectChannels(ctx context.Context, ref string) ([]provision.Interface, error) {
	c, err := s.runningCAP(ref)
	if err != nil {
		return nil, err
	}
	selecting := false
	for _, r := range c.radioInfo {
		c.mu.Lock()
		_, open := wantOf(r, c.ifaces[r.ID])
		c.mu.Unlock()
		if !open {
			continue
		}
		selecting = true
		if _, err := c.Reselect(ctx, r.ID); err != nil {
			return nil, fmt.Errorf("radio %d: %w", r.ID, err)
		}
	}
	if !selecting {
		return nil, ErrNoOpenChannel
	}
	return c.interfaces(), nil
}

// Store is the configuration store the CAPs are provisioned from.
func (s *Server) Store() *model.Store { return s.cfg.Store }
