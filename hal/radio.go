package hal

import (
	"context"
	"net"
)

// Band is a frequency band in capstan's and OpenWrt's spelling.
type Band string

// Bands a radio can serve.
const (
	Band2GHz Band = "2g"
	Band5GHz Band = "5g"
	Band6GHz Band = "6g"
)

// DFSState is a radar channel's state in the kernel (nl80211_dfs_state).
type DFSState uint8

// DFS states.
const (
	DFSUsable      DFSState = 0 // may be used after a channel availability check
	DFSUnavailable DFSState = 1 // radar seen: not usable until the non-occupancy period ends
	DFSAvailable   DFSState = 2 // checked: usable at once
)

// Channel is one channel a radio supports, as nl80211 reports it.
type Channel struct {
	Number       int
	FrequencyMHz int
	Disabled     bool
	NoIR         bool // no initiating radiation: passive scanning only
	Radar        bool // DFS required
	Indoor       bool
	DFS          DFSState
	MaxPowerDBm  float64
}

// BandInfo is what a radio can do in one band.
type BandInfo struct {
	Band     Band
	Channels []Channel
	HT       bool // 802.11n
	HT40     bool // 40 MHz channels
	VHT      bool // 802.11ac: 80 MHz
	VHT160   bool
	HE       bool // 802.11ax
}

// Radio is one physical radio as the agent reports it at Join.
type Radio struct {
	// ID is the CAPWAP Radio ID, 1–31 (RFC 5415 §4.3), stable per radio.
	ID uint8
	// Name is the backend's name: phy0, radio0.
	Name string
	// Interface is the network interface the radio's first WLAN uses:
	// wlan0, phy0-ap0.
	Interface string
	// MAC is the radio's permanent address (CAPsMAN's radio-mac).
	MAC net.HardwareAddr
	// Types is the RFC 5416 §6.25 Radio Type bit set (b, a, g, n, ...).
	Types uint32
	// Bands and their channels; empty when the backend cannot tell.
	Bands []BandInfo
	// MaxAP is how many AP interfaces the radio can run at once (its
	// interface combinations); 0 when the backend cannot tell.
	MaxAP int
}

// Band returns what the radio can do in band b, false if it has no such band.
func (r Radio) Band(b Band) (BandInfo, bool) {
	for _, bi := range r.Bands {
		if bi.Band == b {
			return bi, true
		}
	}
	return BandInfo{}, false
}

// Radios is the observe plane's inventory: the radios this AP has.
type Radios interface {
	Radios(ctx context.Context) ([]Radio, error)
}

// HAL is what the agent needs of a radio backend: the inventory, the
// desired-state plane, stations and their events, and runtime actions.
type HAL interface {
	Radios
	Applier
	Stations
	Actions
}
