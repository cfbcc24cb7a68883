package controlplane

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/hal"
	"github.com/capstan-wifi/capstan/manager/channel"
	"github.com/capstan-wifi/capstan/manager/model"
	"github.com/capstan-wifi/capstan/manager/provision"
)

// ReselectMargin is how much less busy (share of air time) a channel must
// be than the current one for a reselection to move a radio: a move costs
// its clients a moment off the air (a channel switch announcement) or a
// reconnection (where the radio cannot switch and restarts).
const ReselectMargin = 0.10

// Errors of Reselect.
var (
	ErrNoRadio  = errors.New("no such radio")
	errNoSurvey = fmt.Errorf("the CAP sent no survey within %v", surveyWait)
)

// surveyWait bounds the wait for a CAP's fresh survey at reselection.
const surveyWait = 20 * time.Second

func halChannel(ch wire.Channel) hal.Channel {
	return hal.Channel{Number: model.ChannelOf(int(ch.FrequencyMHz)), FrequencyMHz: int(ch.FrequencyMHz),
		Disabled: ch.Flags&wire.ChannelDisabled != 0, NoIR: ch.Flags&wire.ChannelNoIR != 0,
		Radar: ch.Flags&wire.ChannelRadar != 0, Indoor: ch.Flags&wire.ChannelIndoor != 0,
		DFS: hal.DFSState(ch.DFSState), MaxPowerDBm: float64(ch.MaxPowerMBm) / 100}
}

// takeSurveys keeps the Survey elements of m (a radio's survey may come in
// several) and announces the radios they are for.
func (c *session) takeSurveys(m *wire.ControlMessage) {
	fresh := map[uint8][]hal.SurveyEntry{}
	var order []uint8
	for _, e := range m.ElementsOf(wire.TypeVendorSpecificPayload) {
		s, ok := e.(*wire.Survey)
		if !ok || s.Scan {
			continue
		}
		if _, seen := fresh[s.RadioID]; !seen {
			order = append(order, s.RadioID)
		}
		entries := fresh[s.RadioID]
		for _, x := range s.Entries {
			entries = append(entries, hal.SurveyEntry{FrequencyMHz: int(x.FrequencyMHz), NoiseDBm: int(x.NoiseDBm), InUse: x.InUse,
				Active: time.Duration(x.ActiveMs) * time.Millisecond, Busy: time.Duration(x.BusyMs) * time.Millisecond,
				Rx: time.Duration(x.RxMs) * time.Millisecond, Tx: time.Duration(x.TxMs) * time.Millisecond})
		}
		fresh[s.RadioID] = entries
	}
	for _, id := range order {
		c.mu.Lock()
		c.surveys[id] = fresh[id]
		c.mu.Unlock()
		select {
		case c.surveyed <- id:
		default:
		}
	}
}

// takeCurrentChannels records the channels the CAP reports its radios
// serve on (IEEE 802.11 Direct Sequence Control for 2.4 GHz, OFDM Control
// for 5 GHz, RFC 5416 §6.5 and §6.10).
func (c *session) takeCurrentChannels(m *wire.ControlMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running == nil {
		c.running = map[uint8]int{}
	}
	for _, e := range m.Elements {
		switch e := e.(type) {
		case *wire.IEEE80211DirectSequenceControl:
			if f := 2407 + 5*int(e.CurrentChannel); e.CurrentChannel == 14 {
				c.running[e.RadioID] = 2484
			} else if model.ChannelOf(f) == int(e.CurrentChannel) && f < 2500 {
				c.running[e.RadioID] = f
			}
		case *wire.IEEE80211OFDMControl:
			if f := 5000 + 5*int(e.CurrentChannel); model.ChannelOf(f) == int(e.CurrentChannel) {
				c.running[e.RadioID] = f
			}
		}
	}
}

// wantOf is what the master's channel settings ask for; false when they
// fix one frequency, or when the radio did not report its channels and
// so leaves the choice to the CAP.
func wantOf(r provision.Radio, ifs []provision.Interface) (channel.Want, bool) {
	if len(ifs) == 0 || ifs[0].Disabled || ifs[0].Error != "" || len(r.Channels) == 0 {
		return channel.Want{}, false
	}
	s := ifs[0].Settings
	if len(s.Frequencies) == 1 {
		return channel.Want{}, false
	}
	return channel.Want{Band: s.Band, Frequencies: s.Frequencies, WidthMHz: s.WidthMHz, SkipDFS: s.SkipDFS}, true
}

// withChannel returns ifs with the master fixed to the channel selected
// for radio r when its channel profile leaves the frequency open: the
// channel already selected in this session while it is still allowed,
// else the saved one (save-selected), else the least occupied of the
// latest survey. Without any allowed channel the master gets an error and
// the radio stays off.
func (c *session) withChannel(r provision.Radio, ifs []provision.Interface) []provision.Interface {
	want, open := wantOf(r, ifs)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !open {
		delete(c.chosen, r.ID)
		return ifs
	}
	s := ifs[0].Settings
	out := slices.Clone(ifs)
	cands := channel.Candidates(r.Channels, c.surveys[r.ID], want)
	if len(cands) == 0 {
		_, err := channel.Select(r.Channels, nil, want)
		out[0].Error = out[0].Name + ": " + err.Error()
		delete(c.chosen, r.ID)
		return out
	}
	choice, kept := channel.Find(cands, c.chosen[r.ID].FrequencyMHz)
	how := "kept"
	if !kept && c.running[r.ID] != 0 {
		// The channel the radio serves on (another manager of the fleet,
		// or this one before a restart, chose it): keeping it spares the
		// radio's clients a restart.
		choice, kept = channel.Find(cands, c.running[r.ID])
		how = "running"
	}
	if !kept && s.SaveSelected {
		choice, kept = channel.Find(cands, c.srv.cfg.Channels.Get(r.MAC))
		how = "saved"
	}
	if !kept {
		choice, how = cands[0], "least occupied"
	}
	if prev := c.chosen[r.ID]; prev.FrequencyMHz != choice.FrequencyMHz {
		c.log.Info("channel selected", "radio", r.ID, "interface", ifs[0].Name, "channel", choice.String(), "how", how,
			"candidates", len(cands))
	}
	c.chosen[r.ID] = choice
	if s.SaveSelected {
		if err := c.srv.cfg.Channels.Set(r.MAC, choice.FrequencyMHz); err != nil {
			c.log.Error("selected channel not saved", "radio", r.ID, "err", err)
		}
	}
	out[0].ChannelMHz = choice.FrequencyMHz
	out[0].Settings.Frequencies = []int{choice.FrequencyMHz}
	if out[0].Settings.Band == "" {
		out[0].Settings.Band = model.BandOfFrequency(choice.FrequencyMHz)
	}
	if cur := c.ifaces[r.ID]; len(cur) > 0 && cur[0].Name == out[0].Name {
		cur[0].ChannelMHz = choice.FrequencyMHz
	}
	return out
}

// scanRequests ask the CAP, in the Join Response, to scan before it sends
// its Configuration Status Request: for every radio whose channel the
// manager selects and for which it has no choice yet (a saved channel
// still allowed, with save-selected), a scan of only the channels the
// radio may be given. Radios with a fixed frequency are not scanned.
func (c *session) scanRequests() []wire.Element {
	var out []wire.Element
	for _, r := range c.radioInfo {
		c.mu.Lock()
		ifs := c.ifaces[r.ID]
		c.mu.Unlock()
		want, open := wantOf(r, ifs)
		if !open {
			continue
		}
		if ifs[0].Settings.SaveSelected {
			if _, ok := channel.Find(channel.Candidates(r.Channels, nil, want), c.srv.cfg.Channels.Get(r.MAC)); ok {
				continue
			}
		}
		if s := scanRequest(r, want); len(s.Frequencies) > 0 { // none allowed: configure reports it
			out = append(out, s)
		}
	}
	return out
}

// scanRequest asks for a scan of the channels want allows on radio r.
func scanRequest(r provision.Radio, want channel.Want) *wire.Survey {
	s := &wire.Survey{RadioID: r.ID, Scan: true}
	for _, f := range channel.ScanList(r.Channels, want) {
		s.Frequencies = append(s.Frequencies, uint32(f))
	}
	return s
}

// randomIn is a random moment in r.
func randomIn(r model.DurationRange) time.Duration {
	if r.Max <= r.Min {
		return r.Min
	}
	return r.Min + rand.N(r.Max-r.Min+1)
}

// reselectLoop picks the channel of every radio whose channel profile has
// a reselect-interval again, each at a moment Config.ReselectDelay picks
// (random inside the interval), until ctx ends.
func (c *session) reselectLoop(ctx context.Context) {
	next := map[uint8]time.Time{}
	for {
		wait := time.Minute // settings may change: look again at least this often
		for _, r := range c.radioInfo {
			c.mu.Lock()
			ifs := c.ifaces[r.ID]
			c.mu.Unlock()
			_, open := wantOf(r, ifs)
			if !open || ifs[0].Settings.Reselect.Max == 0 {
				delete(next, r.ID)
				continue
			}
			if next[r.ID].IsZero() {
				next[r.ID] = time.Now().Add(c.srv.cfg.ReselectDelay(ifs[0].Settings.Reselect))
			}
			if !time.Now().Before(next[r.ID]) {
				c.Reselect(ctx, r.ID)
				next[r.ID] = time.Now().Add(c.srv.cfg.ReselectDelay(ifs[0].Settings.Reselect))
			}
			wait = min(wait, time.Until(next[r.ID]))
		}
		select {
		case <-ctx.Done():
			return
		case <-c.pushed:
		case <-time.After(max(wait, 0)):
		}
	}
}

// Reselect asks the CAP to scan radio id and moves the radio to the least
// occupied allowed channel of the fresh survey when it is ReselectMargin
// less busy than the current one (or the current one is no longer
// allowed). It returns the radio's channel afterwards.
func (c *session) Reselect(ctx context.Context, id uint8) (channel.Choice, error) {
	r, ok := c.radio(id)
	if !ok {
		return channel.Choice{}, ErrNoRadio
	}
	c.reselectMu.Lock() // one survey awaited at a time
	defer c.reselectMu.Unlock()
	for drained := false; !drained; {
		select {
		case <-c.surveyed:
		default:
			drained = true
		}
	}
	c.mu.Lock()
	want, open := wantOf(r, c.ifaces[id])
	c.mu.Unlock()
	scan := &wire.Survey{RadioID: id, Scan: true} // every channel when the frequency is fixed
	if open {
		scan = scanRequest(r, want)
	}
	rctx, cancel := context.WithTimeout(ctx, c.srv.cfg.JoinTimeout)
	_, err := c.cc.Request(rctx, &wire.ControlMessage{Type: wire.ConfigurationUpdateRequest, Elements: []wire.Element{scan}})
	cancel()
	if err != nil {
		return channel.Choice{}, err
	}
	if err := c.awaitSurvey(ctx, id); err != nil {
		return channel.Choice{}, err
	}
	c.mu.Lock()
	want, open = wantOf(r, c.ifaces[id]) // the settings may have changed meanwhile
	cur := c.chosen[id]
	var best channel.Choice
	move := false
	if open {
		cands := channel.Candidates(r.Channels, c.surveys[id], want)
		now, allowed := channel.Find(cands, cur.FrequencyMHz)
		if len(cands) > 0 {
			best = cands[0]
			move = !allowed || best.FrequencyMHz != now.FrequencyMHz && (!now.Measured || now.Load-best.Load >= ReselectMargin)
		}
		if allowed {
			cur = now
		}
	}
	if move {
		c.log.Info("channel reselected", "radio", id, "from", cur.String(), "to", best.String())
		c.chosen[id] = best
		cur = best
	} else if open {
		c.log.Info("channel kept at reselection", "radio", id, "channel", cur.String(), "best", best.String())
	}
	c.mu.Unlock()
	if move {
		c.push(ctx)
	}
	return cur, nil
}

func (c *session) awaitSurvey(ctx context.Context, id uint8) error {
	t := time.NewTimer(surveyWait)
	defer t.Stop()
	for {
		select {
		case got := <-c.surveyed:
			if got == id {
				return nil
			}
		case <-t.C:
			return errNoSurvey
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (c *session) radio(id uint8) (provision.Radio, bool) {
	for _, r := range c.radioInfo {
		if r.ID == id {
			return r, true
		}
	}
	return provision.Radio{}, false
}
