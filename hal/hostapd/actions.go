package hostapd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/capstan-wifi/capstan/hal"
)

// listen turns the events of one BSS's hostapd into hal.Events until ctx
// ends or hostapd goes away.
func (h *HAL) listen(ctx context.Context, run *radioRun, b bss) {
	path := filepath.Join(h.ctrlDir, b.iface)
	var c *Ctrl
	for c == nil {
		var err error
		if c, err = DialCtrl(path, h.ctrlDir); err == nil {
			if err = c.Attach(ctx); err != nil {
				c.Close()
				c = nil
			}
		}
		if c == nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	defer c.Close()
	for ctx.Err() == nil {
		line, err := c.Event(time.Now().Add(500 * time.Millisecond))
		if errors.Is(err, os.ErrDeadlineExceeded) {
			continue
		}
		if err != nil {
			return
		}
		if ev, ok := parseEvent(line); ok {
			ev.RadioID, ev.WLANID, ev.Interface = run.radio.ID, b.wlan.ID, b.iface
			select {
			case h.events <- ev:
			default:
				h.log.Debug("radio event dropped: nobody is reading", "event", line)
			}
		}
	}
}

// parseEvent reads the hostapd events capstan cares about:
//
//	AP-STA-CONNECTED 02:00:00:00:01:00 [keyid=...]
//	AP-STA-DISCONNECTED 02:00:00:00:01:00
//	DFS-RADAR-DETECTED freq=5260 ht_enabled=1 chan_offset=0 chan_width=1 cf1=5270 cf2=0
func parseEvent(line string) (hal.Event, bool) {
	f := strings.Fields(line)
	if len(f) < 2 {
		return hal.Event{}, false
	}
	switch f[0] {
	case "AP-STA-CONNECTED", "AP-STA-DISCONNECTED":
		mac, err := net.ParseMAC(f[1])
		if err != nil || len(mac) != 6 {
			return hal.Event{}, false
		}
		kind := hal.StationAssociated
		if f[0] == "AP-STA-DISCONNECTED" {
			kind = hal.StationDisassociated
		}
		return hal.Event{Kind: kind, MAC: mac}, true
	case "DFS-RADAR-DETECTED":
		ev := hal.Event{Kind: hal.RadarDetected}
		for _, kv := range f[1:] {
			if v, ok := strings.CutPrefix(kv, "freq="); ok {
				fmt.Sscanf(v, "%d", &ev.FrequencyMHz)
			}
		}
		return ev, true
	}
	return hal.Event{}, false
}

// Stations implements hal.Stations.
func (h *HAL) Stations(ctx context.Context) ([]hal.Station, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []hal.Station
	for _, run := range h.running {
		for _, b := range run.bss {
			stas, err := h.cfg.Observer.Stations(ctx, b.iface)
			if err != nil {
				return nil, err
			}
			for _, s := range stas {
				s.RadioID, s.WLANID, s.SSID = run.radio.ID, b.wlan.ID, b.wlan.SSID
				out = append(out, s)
			}
		}
	}
	return out, nil
}

// request sends one command to the hostapd of a BSS interface.
func (h *HAL) request(ctx context.Context, iface, cmd string) (string, error) {
	c, err := DialCtrl(filepath.Join(h.ctrlDir, iface), h.ctrlDir)
	if err != nil {
		return "", err
	}
	defer c.Close()
	return c.Request(ctx, cmd)
}

// find returns the BSS interface mac is associated with.
func (h *HAL) find(ctx context.Context, mac net.HardwareAddr) (string, error) {
	for _, run := range h.running {
		for _, b := range run.bss {
			reply, err := h.request(ctx, b.iface, "STA "+mac.String())
			if err == nil && strings.HasPrefix(reply, mac.String()) {
				return b.iface, nil
			}
		}
	}
	return "", fmt.Errorf("station %s is not associated", mac)
}

// Kick implements hal.Actions: hostapd deauthenticates the client; a ban
// puts it on the BSS's deny list, from which a timer takes it off again.
func (h *HAL) Kick(ctx context.Context, mac net.HardwareAddr, ban time.Duration) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	iface, err := h.find(ctx, mac)
	if err != nil {
		return err
	}
	if ban > 0 {
		if _, err := h.request(ctx, iface, "DENY_ACL ADD_MAC "+mac.String()); err != nil {
			return fmt.Errorf("ban %s: %w", mac, err)
		}
		time.AfterFunc(ban, func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, _ = h.request(ctx, iface, "DENY_ACL DEL_MAC "+mac.String())
		})
	}
	// Reason 1: unspecified (IEEE 802.11-2020 Table 9-49).
	if _, err := h.request(ctx, iface, "DEAUTHENTICATE "+mac.String()+" reason=1"); err != nil {
		return fmt.Errorf("kick %s: %w", mac, err)
	}
	return nil
}

// SwitchChannel implements hal.Actions with hostapd's CHAN_SWITCH. The new
// channel is written to the radio's configuration, so that a restart of
// hostapd stays on it.
func (h *HAL) SwitchChannel(ctx context.Context, radioID uint8, channel, count int) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	run := h.running[radioID]
	if run == nil {
		return fmt.Errorf("radio %d is not running", radioID)
	}
	next := run.state
	next.Channel = channel
	next, err := hal.Resolve(run.radio, next)
	if err != nil {
		return err
	}
	return h.switchTo(ctx, run, next, count)
}

// CSACount is how many beacons announce a channel switch before it
// (IEEE 802.11 Channel Switch Announcement): about half a second at the
// usual 100 TU beacon interval, enough for sleeping clients to hear one.
const CSACount = 5

// switchTo moves the running radio to next's channel (next differs from
// what it runs only in its channel) with a channel switch announced in
// count beacons, and writes next as its configuration. h.mu is held.
func (h *HAL) switchTo(ctx context.Context, run *radioRun, next hal.RadioState, count int) error {
	cmd, err := chanSwitchCommand(run.radio, next, max(count, 1))
	if err != nil {
		return err
	}
	if _, err := h.request(ctx, run.radio.Interface, cmd); err != nil {
		return fmt.Errorf("channel switch of %s to %d: %w", run.radio.Name, next.Channel, err)
	}
	files, err := Render(run.radio, next, h.ctrlDir, h.cfg.RunDir)
	if err != nil {
		return err
	}
	run.state, run.files = next, files
	return writeFileAtomic(run.conf, files.Config)
}

// chanSwitchCommand is hostapd's CHAN_SWITCH for st's channel and width:
// CHAN_SWITCH <count> <freq> [sec_channel_offset= center_freq1=
// bandwidth=] [ht] [vht] [he].
func chanSwitchCommand(r hal.Radio, st hal.RadioState, count int) (string, error) {
	cs, err := hal.SwitchTo(r, st)
	if err != nil {
		return "", err
	}
	cmd := fmt.Sprintf("CHAN_SWITCH %d %d", count, cs.FrequencyMHz)
	if cs.BandwidthMHz > 0 {
		cmd += fmt.Sprintf(" sec_channel_offset=%d center_freq1=%d bandwidth=%d", cs.SecondaryOffset, cs.CentreMHz, cs.BandwidthMHz)
	}
	for _, m := range []struct {
		on   bool
		flag string
	}{{cs.HT, " ht"}, {cs.VHT, " vht"}, {cs.HE, " he"}} {
		if m.on {
			cmd += m.flag
		}
	}
	return cmd, nil
}
