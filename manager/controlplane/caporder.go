package controlplane

import (
	"cmp"
	"slices"
	"strings"
)

// capOrder is the joined sessions sorted by identity, then base MAC, as
// the remote-CAP table lists them: kept in order as CAPs join and leave
// (a binary search and a move of pointers), so that listing a page of
// 20,000 CAPs sorts nothing. Guarded by Server.mu.
type capOrder []*session

func compareSessions(a, b *session) int {
	return cmp.Or(strings.Compare(a.identity, b.identity), strings.Compare(a.baseMAC, b.baseMAC))
}

func (o *capOrder) insert(c *session) {
	i, _ := slices.BinarySearchFunc(*o, c, compareSessions)
	*o = slices.Insert(*o, i, c)
}

// remove takes c out; sessions that compare equal to it (the same CAP's
// old and new session for a moment) are told apart by pointer.
func (o *capOrder) remove(c *session) {
	i, _ := slices.BinarySearchFunc(*o, c, compareSessions)
	for ; i < len(*o) && compareSessions((*o)[i], c) == 0; i++ {
		if (*o)[i] == c {
			*o = slices.Delete(*o, i, i+1)
			return
		}
	}
}

// joined are the joined sessions, in table order, as of now.
func (s *Server) joined() []*session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.order)
}
