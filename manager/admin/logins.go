package admin

import (
	"github.com/capstan-wifi/capstan/internal/limit"
)

// Login attempt limits: each source address has a burst of 20 attempts,
// then one every 10 s; each user name a burst of 10, then one every 30 s
// (so that a botnet guessing one name gets no more than that name
// allows). A refused attempt checks no password.
const (
	sourceBurst  = 20
	sourceEvery  = 10.0 // seconds
	userBurst    = 10
	userEvery    = 30.0
	limitMaxKeys = 100000
)

// Logins limits login attempts.
type Logins struct {
	bySource, byUser *limit.Keyed
}

// NewLogins returns fresh limits.
func NewLogins() *Logins {
	return &Logins{bySource: limit.NewKeyed(1/sourceEvery, sourceBurst, limitMaxKeys),
		byUser: limit.NewKeyed(1/userEvery, userBurst, limitMaxKeys)}
}

// Allow reports whether source may try to log in as user now; it counts
// the attempt.
func (l *Logins) Allow(source, user string) bool {
	s := l.bySource.Allow(source)
	u := l.byUser.Allow(user)
	return s && u
}
