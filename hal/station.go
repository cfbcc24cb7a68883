package hal

import (
	"context"
	"net"
	"time"
)

// Station is one associated client of a WLAN.
type Station struct {
	RadioID   uint8
	WLANID    uint8
	Interface string
	SSID      string
	MAC       net.HardwareAddr
	// Signal and SignalAvg in dBm; 0 when unknown.
	Signal, SignalAvg int
	// Rates of the last frames in kbit/s.
	TxRateKbps, RxRateKbps int
	TxBytes, RxBytes       uint64
	TxPackets, RxPackets   uint64
	Connected              time.Duration
	Inactive               time.Duration
}

// EventKind says what an Event reports.
type EventKind int

// Events from the radios.
const (
	// StationAssociated: a client completed association (and, on a
	// secured WLAN, its key handshake).
	StationAssociated EventKind = iota + 1
	// StationDisassociated: a client left or was removed.
	StationDisassociated
	// RadarDetected: the radio saw radar on FrequencyMHz and must leave it.
	RadarDetected
)

func (k EventKind) String() string {
	switch k {
	case StationAssociated:
		return "associated"
	case StationDisassociated:
		return "disassociated"
	case RadarDetected:
		return "radar"
	}
	return "unknown"
}

// Event is one event from the radios.
type Event struct {
	Kind         EventKind
	RadioID      uint8
	WLANID       uint8
	Interface    string
	MAC          net.HardwareAddr
	FrequencyMHz int
}

// Stations is the observe plane's client view.
type Stations interface {
	// Stations lists the associated clients of every WLAN the backend runs.
	Stations(ctx context.Context) ([]Station, error)
	// Events delivers station and radar events until ctx ends. There is one
	// consumer; events that find it busy for long are dropped, never block
	// the radios.
	Events(ctx context.Context) <-chan Event
}

// Actions are the runtime actions, carried out without restarting a radio.
// They go through the program that runs the AP (hostapd), never around it,
// so that it keeps track of its clients.
type Actions interface {
	// Kick disconnects the client mac wherever it is associated and, when
	// ban > 0, refuses it for that long.
	Kick(ctx context.Context, mac net.HardwareAddr, ban time.Duration) error
	// SwitchChannel moves a radio to channel with a channel switch
	// announcement counted down over count beacons.
	SwitchChannel(ctx context.Context, radioID uint8, channel, count int) error
}
