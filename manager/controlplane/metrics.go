package controlplane

import "sync/atomic"

// metrics are the control plane's counters.
type metrics struct {
	pushes atomic.Uint64 // configuration requests answered by CAPs
}
