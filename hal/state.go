package hal

import (
	"context"
	"slices"
)

// WLAN is the desired state of one WLAN (one BSS) on a radio.
type WLAN struct {
	// ID is the CAPWAP WLAN ID (RFC 5416 §6.1), 1–255 in capstan.
	ID     uint8
	SSID   string
	Hidden bool
}

// RadioState is the desired state of one radio: the WLANs it serves,
// sorted by ID. The radios issue adds channel, power, country and security.
type RadioState struct {
	RadioID uint8
	WLANs   []WLAN
}

// Equal reports whether s and o ask for the same radio.
func (s RadioState) Equal(o RadioState) bool {
	return s.RadioID == o.RadioID && slices.Equal(s.WLANs, o.WLANs)
}

// WithWLAN returns s with w added or replacing the WLAN of the same ID.
func (s RadioState) WithWLAN(w WLAN) RadioState {
	out := RadioState{RadioID: s.RadioID}
	for _, x := range s.WLANs {
		if x.ID != w.ID {
			out.WLANs = append(out.WLANs, x)
		}
	}
	out.WLANs = append(out.WLANs, w)
	slices.SortFunc(out.WLANs, func(a, b WLAN) int { return int(a.ID) - int(b.ID) })
	return out
}

// WithoutWLAN returns s without the WLAN id.
func (s RadioState) WithoutWLAN(id uint8) RadioState {
	out := RadioState{RadioID: s.RadioID}
	for _, x := range s.WLANs {
		if x.ID != id {
			out.WLANs = append(out.WLANs, x)
		}
	}
	return out
}

// Applier is the desired-state plane. Apply makes one radio run exactly
// state and reports whether that restarted it; a radio already running
// state is left alone, so that re-applying after a manager returns costs
// the clients nothing.
type Applier interface {
	Apply(ctx context.Context, state RadioState) (restarted bool, err error)
}
