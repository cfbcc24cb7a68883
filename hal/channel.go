package hal

import (
	"context"
	"time"
)

// ChannelGroup is the 20 MHz channels a channel of width MHz occupies with
// primary ch, lowest first: ch alone at 20 MHz; at 40 MHz ch and its
// secondary (in 2.4 GHz above it up to channel 7, below it from channel 8;
// in 5 and 6 GHz the fixed pairs 36+40, 44+48, ...); at 80 and 160 MHz the
// block of 4 or 8 channels ch is in (5 GHz blocks start at 36, 52, 100,
// 116, 132, 149; 6 GHz blocks at 1, 17, ...).
func ChannelGroup(band Band, ch, width int) []int {
	if width <= 20 {
		return []int{ch}
	}
	if band == Band2GHz {
		if ch <= 7 {
			return []int{ch, ch + 4}
		}
		return []int{ch - 4, ch}
	}
	n := width / 20 // channels in the group, 4 apart
	base := 1       // 6 GHz numbering starts at 1
	if band == Band5GHz {
		base = 36
		if ch >= 149 {
			base = 149
		}
	}
	first := base + ((ch-base)/(4*n))*4*n
	out := make([]int, n)
	for i := range out {
		out[i] = first + 4*i
	}
	return out
}

// SurveyEntry is how busy one channel was, as the kernel's channel survey
// (nl80211 GET_SURVEY) reports it: the time the radio spent on the channel
// and how much of it the medium was busy, receiving or sending.
type SurveyEntry struct {
	FrequencyMHz int
	NoiseDBm     int
	InUse        bool // the radio's operating channel
	Active, Busy time.Duration
	Rx, Tx       time.Duration
}

// Surveyor is a backend that can survey the channels of a radio. With a
// scan, it first scans (the scan's channels, or all of them) so that the
// survey covers them (on a serving radio this takes it off its channel for
// a moment); with nil, it reports what the kernel has counted so far.
// Entries with an error mean the scan failed and the survey covers only
// channels visited before.
type Surveyor interface {
	Survey(ctx context.Context, radioID uint8, scan *Scan) ([]SurveyEntry, error)
}

// Scan is what a survey scans first: the channels at FrequenciesMHz, or
// every channel of the radio when it is empty.
type Scan struct {
	FrequenciesMHz []int
}
