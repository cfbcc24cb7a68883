package controlplane

import "sync/atomic"

// metrics are the control plane's counters.
type metrics struct {
	pushes  atomic.Uint64 // configuration requests answered by CAPs
	rejects atomic.Uint64 // clients refused by the access list
}
