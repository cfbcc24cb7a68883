package channel

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/capstan-wifi/capstan/hal"
	"github.com/capstan-wifi/capstan/manager/model"
)

// Want is what a channel profile asks of a radio.
type Want struct {
	// Band is "2ghz", "5ghz" or "6ghz"; "" is the band of the first
	// frequency, else the radio's first band.
	Band string
	// Frequencies are the allowed primary frequencies (MHz); empty allows
	// every channel of the band.
	Frequencies []int
	WidthMHz    int // 20, 40, 80, 160; 0 is 20
	SkipDFS     bool
}

// Choice is a selected channel and how busy the survey found it.
type Choice struct {
	FrequencyMHz int
	Channel      int
	// Load is the busiest share of air time among the channels the choice
	// occupies (0–1); Measured is false when the survey saw none of them.
	Load     float64
	Measured bool
}

func (c Choice) String() string {
	if !c.Measured {
		return fmt.Sprintf("%d MHz (channel %d, not surveyed)", c.FrequencyMHz, c.Channel)
	}
	return fmt.Sprintf("%d MHz (channel %d, %.0f%% busy)", c.FrequencyMHz, c.Channel, 100*c.Load)
}

var bands = map[string]hal.Band{"2ghz": hal.Band2GHz, "5ghz": hal.Band5GHz, "6ghz": hal.Band6GHz}

// Candidates are the channels of radio channels that w allows, least
// occupied first: channels the survey measured before those it did not,
// then by load, then by frequency. A channel is allowed when it is in
// w's band and frequencies and every 20 MHz channel its width occupies
// exists, is enabled, and may be used by an AP: a radar channel only
// without skip-DFS and while no radar was seen on it, any other channel
// only if it allows initiating radiation.
func Candidates(channels []hal.Channel, survey []hal.SurveyEntry, w Want) []Choice {
	band := bandOf(channels, w)
	byNumber := map[int]hal.Channel{}
	for _, c := range channels {
		if model.BandOfFrequency(c.FrequencyMHz) == band {
			byNumber[c.Number] = c
		}
	}
	load := map[int]float64{} // by frequency
	for _, e := range survey {
		if e.Active > 0 {
			load[e.FrequencyMHz] = min(1, float64(e.Busy)/float64(e.Active))
		}
	}
	if band == "2ghz" {
		load = overlapped(load, byNumber)
	}
	var out []Choice
	for _, c := range channels {
		if model.BandOfFrequency(c.FrequencyMHz) != band || len(w.Frequencies) > 0 && !slices.Contains(w.Frequencies, c.FrequencyMHz) {
			continue
		}
		ch := Choice{FrequencyMHz: c.FrequencyMHz, Channel: c.Number}
		ok := true
		for _, n := range hal.ChannelGroup(bands[band], c.Number, max(w.WidthMHz, 20)) {
			m, exists := byNumber[n]
			if !exists || !usable(m, w.SkipDFS) {
				ok = false
				break
			}
			if l, measured := load[m.FrequencyMHz]; measured {
				ch.Load, ch.Measured = max(ch.Load, l), true
			}
		}
		if ok {
			out = append(out, ch)
		}
	}
	slices.SortStableFunc(out, func(a, b Choice) int {
		if a.Measured != b.Measured {
			if a.Measured {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.Load, b.Load), cmp.Compare(a.FrequencyMHz, b.FrequencyMHz))
	})
	return out
}

// overlapWidthMHz is how far apart two 2.4 GHz channels must be not to
// overlap: each is 20 MHz wide, and they are 5 MHz apart.
const overlapWidthMHz = 20

// overlapped is the load of each 2.4 GHz channel counting its overlapping
// neighbours: channels Δ MHz apart share (20-Δ)/20 of their spectrum, so a
// busy channel 6 weighs 75% on 5 and 7, 50% on 4 and 8 and 25% on 3 and 9.
// A channel's load is the heaviest share on it; channels without a
// measured neighbour stay unmeasured.
func overlapped(load map[int]float64, channels map[int]hal.Channel) map[int]float64 {
	out := map[int]float64{}
	for _, c := range channels {
		for f, l := range load {
			d := max(f-c.FrequencyMHz, c.FrequencyMHz-f)
			if d >= overlapWidthMHz {
				continue
			}
			share := l * float64(overlapWidthMHz-d) / overlapWidthMHz
			if cur, ok := out[c.FrequencyMHz]; !ok || share > cur {
				out[c.FrequencyMHz] = share
			}
		}
	}
	return out
}

func usable(c hal.Channel, skipDFS bool) bool {
	switch {
	case c.Disabled:
		return false
	case c.Radar:
		return !skipDFS && c.DFS != hal.DFSUnavailable
	}
	return !c.NoIR
}

// Select is the least occupied channel w allows, or an error saying why
// there is none.
func Select(channels []hal.Channel, survey []hal.SurveyEntry, w Want) (Choice, error) {
	c := Candidates(channels, survey, w)
	if len(c) == 0 {
		return Choice{}, fmt.Errorf("no allowed channel: %s", describe(channels, w))
	}
	return c[0], nil
}

// Find is the candidate at frequency mhz, false if w does not allow it.
func Find(candidates []Choice, mhz int) (Choice, bool) {
	i := slices.IndexFunc(candidates, func(c Choice) bool { return c.FrequencyMHz == mhz })
	if i < 0 {
		return Choice{}, false
	}
	return candidates[i], true
}

func describe(channels []hal.Channel, w Want) string {
	s := fmt.Sprintf("the radio reports %d channels", len(channels))
	if w.Band != "" {
		s += "; band " + w.Band
	}
	if len(w.Frequencies) > 0 {
		s += fmt.Sprintf("; frequencies %v", w.Frequencies)
	}
	if w.WidthMHz > 20 {
		s += fmt.Sprintf("; %d MHz wide", w.WidthMHz)
	}
	if w.SkipDFS {
		s += "; skipping DFS channels"
	}
	return s
}

// ScanList is the frequencies a scan must cover to rank every channel w
// allows: each candidate's 20 MHz channels and, in 2.4 GHz, the channels
// overlapping them, in ascending order. It is empty when w allows no
// channel.
func ScanList(channels []hal.Channel, w Want) []int {
	band := bandOf(channels, w)
	freq := map[int]int{} // by channel number
	for _, c := range channels {
		if model.BandOfFrequency(c.FrequencyMHz) == band {
			freq[c.Number] = c.FrequencyMHz
		}
	}
	var out []int
	for _, c := range Candidates(channels, nil, w) {
		for _, n := range hal.ChannelGroup(bands[band], c.Channel, max(w.WidthMHz, 20)) {
			for _, f := range freq {
				near := f == freq[n] || band == "2ghz" && max(f-freq[n], freq[n]-f) < overlapWidthMHz
				if near && !slices.Contains(out, f) {
					out = append(out, f)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// bandOf is w's band: its own, else that of its first frequency, else
// that of the radio's first channel.
func bandOf(channels []hal.Channel, w Want) string {
	switch {
	case w.Band != "":
		return w.Band
	case len(w.Frequencies) > 0:
		return model.BandOfFrequency(w.Frequencies[0])
	case len(channels) > 0:
		return model.BandOfFrequency(channels[0].FrequencyMHz)
	}
	return ""
}
