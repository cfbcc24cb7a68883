package admin

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync"
	"time"
)

// Session lifetimes: an idle session ends after IdleTimeout, any session
// after MaxAge; at most MaxSessions are held.
const (
	IdleTimeout = 30 * time.Minute
	MaxAge      = 12 * time.Hour
	MaxSessions = 10000
)

// ErrTooManySessions: every session slot is taken by a live session.
var ErrTooManySessions = errors.New("too many sessions: try again later")

// Session is one logged-in browser.
type Session struct {
	User    string
	Group   Group
	CSRF    string // sent back in X-CSRF-Token with every change
	Created time.Time
	seen    time.Time
}

// Sessions holds the live sessions by the hash of their cookie's token
// (a memory dump shows no usable cookie).
type Sessions struct {
	mu  sync.Mutex
	m   map[[32]byte]*Session
	now func() time.Time
}

// NewSessions returns an empty set.
func NewSessions() *Sessions {
	return &Sessions{m: map[[32]byte]*Session{}, now: time.Now}
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// New starts a session for u and returns its cookie token.
func (s *Sessions) New(u User) (string, *Session, error) {
	token, err := randomHex(32)
	if err != nil {
		return "", nil, err
	}
	csrf, err := randomHex(32)
	if err != nil {
		return "", nil, err
	}
	now := s.now()
	ses := &Session{User: u.Name, Group: u.Group, CSRF: csrf, Created: now, seen: now}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= MaxSessions {
		s.sweepLocked(now)
		if len(s.m) >= MaxSessions {
			return "", nil, ErrTooManySessions
		}
	}
	s.m[sha256.Sum256([]byte(token))] = ses
	return token, ses, nil
}

// Get returns the live session of token and marks it used.
func (s *Sessions) Get(token string) (*Session, bool) {
	if token == "" {
		return nil, false
	}
	k := sha256.Sum256([]byte(token))
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ses := s.m[k]
	if ses == nil {
		return nil, false
	}
	if expired(ses, now) {
		delete(s.m, k)
		return nil, false
	}
	ses.seen = now
	c := *ses
	return &c, true
}

// End ends the session of token.
func (s *Sessions) End(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, sha256.Sum256([]byte(token)))
}

// EndUser ends every session of user name (removed, or its password or
// group changed).
func (s *Sessions) EndUser(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, ses := range s.m {
		if ses.User == name {
			delete(s.m, k)
		}
	}
}

// Len is the number of sessions held.
func (s *Sessions) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

func expired(ses *Session, now time.Time) bool {
	return now.Sub(ses.seen) > IdleTimeout || now.Sub(ses.Created) > MaxAge
}

func (s *Sessions) sweepLocked(now time.Time) {
	for k, ses := range s.m {
		if expired(ses, now) {
			delete(s.m, k)
		}
	}
}
