package hal

import (
	"context"
	"net"
)

// Radio is one physical radio as the agent reports it at Join.
type Radio struct {
	// ID is the CAPWAP Radio ID, 1–31 (RFC 5415 §4.3), stable per radio.
	ID uint8
	// Name is the backend's name: phy0, radio0.
	Name string
	// MAC is the radio's permanent address (CAPsMAN's radio-mac).
	MAC net.HardwareAddr
	// Types is the RFC 5416 §6.25 Radio Type bit set (b, a, g, n, ...).
	Types uint32
}

// Radios is the observe plane's inventory: the radios this AP has.
type Radios interface {
	Radios(ctx context.Context) ([]Radio, error)
}

// HAL is what the agent needs of a radio backend.
type HAL interface {
	Radios
	Applier
}
