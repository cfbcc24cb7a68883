package hal

import "fmt"

// ChannelSwitch is what a channel switch announcement (IEEE 802.11 CSA)
// to a radio state's channel carries: the new frequency and, for 40 MHz
// and wider, the secondary channel's side (+1 above, -1 below), the
// centre frequency and the bandwidth; with the modes the state enables.
type ChannelSwitch struct {
	FrequencyMHz    int
	SecondaryOffset int // 0 at 20 MHz
	CentreMHz       int // the channel's own at 20 MHz
	BandwidthMHz    int // 20, 40, 80 or 160
	HT, VHT, HE     bool
}

// SwitchTo is the channel switch that moves radio r to st's channel and
// width (st resolved).
func SwitchTo(r Radio, st RadioState) (ChannelSwitch, error) {
	bi, _ := r.Band(st.Band)
	freq := map[int]int{}
	for _, c := range bi.Channels {
		freq[c.Number] = c.FrequencyMHz
	}
	cs := ChannelSwitch{FrequencyMHz: freq[st.Channel], HT: bi.HT || st.WidthMHz > 20,
		VHT: st.WidthMHz >= 80 || bi.VHT && st.Band == Band5GHz, HE: bi.HE}
	if cs.FrequencyMHz == 0 {
		return cs, &ConfigError{RadioID: st.RadioID, Field: "channel", Reason: fmt.Sprintf("no channel %d", st.Channel)}
	}
	if st.WidthMHz >= 40 {
		g := ChannelGroup(st.Band, st.Channel, st.WidthMHz)
		lo, hi := freq[g[0]], freq[g[len(g)-1]]
		if lo == 0 || hi == 0 {
			return cs, &ConfigError{RadioID: st.RadioID, Field: "channel",
				Reason: fmt.Sprintf("channel %d at %d MHz needs channels the radio lacks", st.Channel, st.WidthMHz)}
		}
		cs.SecondaryOffset = -1
		if ChannelGroup(st.Band, st.Channel, 40)[1] > st.Channel {
			cs.SecondaryOffset = 1
		}
		cs.CentreMHz, cs.BandwidthMHz = (lo+hi)/2, st.WidthMHz
	} else {
		// Said outright, so that hostapd does not keep a wider width.
		cs.CentreMHz, cs.BandwidthMHz = cs.FrequencyMHz, 20
	}
	return cs, nil
}

// OnlyChannelDiffers reports whether next asks for what s is on another
// channel: the same band, width, power, rates and WLANs. Such a change can
// be a channel switch rather than a restart.
func (s RadioState) OnlyChannelDiffers(next RadioState) bool {
	if s.Channel == next.Channel {
		return false
	}
	s.Channel = next.Channel
	return s.Equal(next)
}
