// Package limit bounds what network peers may ask for: token buckets per
// key (a source address, a session) in a map that cannot outgrow its
// bound however many keys a flood makes up.
package limit

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Keyed is a token bucket per key. When MaxKeys keys are held, the map is
// started afresh: a flood of made-up keys costs memory up to the bound
// and, at worst, a fresh burst to the keys that were in it.
type Keyed struct {
	every   rate.Limit
	burst   int
	maxKeys int

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	refused uint64
}

// NewKeyed allows each key perSecond events with bursts of burst, for at
// most maxKeys keys at once.
func NewKeyed(perSecond float64, burst, maxKeys int) *Keyed {
	return &Keyed{every: rate.Limit(perSecond), burst: burst, maxKeys: maxKeys, buckets: map[string]*rate.Limiter{}}
}

// Allow reports whether key may have one more event now.
func (k *Keyed) Allow(key string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	b := k.buckets[key]
	if b == nil {
		if len(k.buckets) >= k.maxKeys {
			k.buckets = make(map[string]*rate.Limiter, k.maxKeys/4)
		}
		b = rate.NewLimiter(k.every, k.burst)
		k.buckets[key] = b
	}
	if b.AllowN(time.Now(), 1) {
		return true
	}
	k.refused++
	return false
}

// Refused is how many events Allow refused.
func (k *Keyed) Refused() uint64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.refused
}

// Keys is how many keys are held.
func (k *Keyed) Keys() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.buckets)
}
