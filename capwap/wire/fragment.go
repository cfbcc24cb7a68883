package wire

import (
	"fmt"
	"sort"
	"time"
)

// maxFragmentOffset is the largest Fragment Offset (13 bits, 8-octet units).
const maxFragmentOffset = 0x1fff

// Fragment splits payload into packets of at most maxPayload payload bytes
// each (RFC 5415 §3.4, §4.3), all carrying h's RID, WBID, T bit and optional
// fields and the fragment ID id. A payload that fits is returned as one
// packet without the F bit. Every fragment but the last carries a multiple
// of 8 bytes, since offsets count 8-octet units.
func Fragment(h Header, payload []byte, maxPayload int, id uint16) ([]*Packet, error) {
	fail := func(format string, args ...any) ([]*Packet, error) {
		return nil, &Error{Op: "fragment", Field: "payload", Err: fmt.Errorf(format+": %w", append(args, ErrFragment)...)}
	}
	h.Fragment, h.LastFragment, h.FragmentOffset, h.FragmentID = false, false, 0, 0
	if len(payload) <= maxPayload {
		return []*Packet{{Header: h, Payload: append([]byte{}, payload...)}}, nil
	}
	step := maxPayload &^ 7
	if step < 8 {
		return fail("max payload %d leaves no room for an 8-byte fragment", maxPayload)
	}
	if (len(payload)-1)/step*step/8 > maxFragmentOffset {
		return fail("payload of %d bytes needs offsets beyond 13 bits at %d bytes per fragment", len(payload), step)
	}
	var out []*Packet
	for off := 0; off < len(payload); off += step {
		end := min(off+step, len(payload))
		fh := h
		fh.Fragment, fh.FragmentID, fh.FragmentOffset = true, id, uint16(off/8)
		fh.LastFragment = end == len(payload)
		out = append(out, &Packet{Header: fh, Payload: append([]byte{}, payload[off:end]...)})
	}
	return out, nil
}

// ReassemblyLimits bound the memory a Reassembler may use for one peer.
type ReassemblyLimits struct {
	MaxSets      int           // fragment sets in progress at once; the oldest is dropped beyond it
	MaxSize      int           // bytes of one reassembled payload
	MaxFragments int           // fragments in one set
	Timeout      time.Duration // a set not completed within it is dropped
}

// DefaultReassemblyLimits suit a control or data channel with 1500-byte
// MTUs: a full 64 KiB message, a few sets in flight, a few seconds each.
var DefaultReassemblyLimits = ReassemblyLimits{MaxSets: 4, MaxSize: 65535, MaxFragments: 64, Timeout: 5 * time.Second}

type fragPiece struct {
	off  int
	data []byte
}

type fragSet struct {
	first  time.Time
	header Header // of the offset-0 fragment, once seen
	seen0  bool
	pieces []fragPiece
	size   int
	total  int // known once the last fragment arrived; -1 before
}

// Reassembler rebuilds fragmented payloads for one peer and direction. It
// is not safe for concurrent use. It reads no clock: callers pass the time.
type Reassembler struct {
	limits ReassemblyLimits
	sets   map[uint16]*fragSet
}

// NewReassembler returns a Reassembler bounded by limits.
func NewReassembler(limits ReassemblyLimits) *Reassembler {
	return &Reassembler{limits: limits, sets: make(map[uint16]*fragSet)}
}

// Pending returns the number of incomplete fragment sets held.
func (r *Reassembler) Pending() int { return len(r.sets) }

// Add takes one fragment received at now. When it completes its set, Add
// returns the first fragment's header (fragment fields cleared) and the
// whole payload. A fragment that overlaps another, exceeds a limit or
// conflicts with its set drops the set and returns an error wrapping
// ErrFragment; an exact duplicate is ignored.
func (r *Reassembler) Add(p *Packet, now time.Time) (h Header, payload []byte, done bool, err error) {
	fail := func(id uint16, format string, args ...any) (Header, []byte, bool, error) {
		delete(r.sets, id)
		return Header{}, nil, false, &Error{Op: "reassemble", Field: "fragment",
			Err: fmt.Errorf("set %d: "+format+": %w", append(append([]any{id}, args...), ErrFragment)...)}
	}
	if !p.Header.Fragment {
		return p.Header, p.Payload, true, nil
	}
	r.expire(now)
	id := p.Header.FragmentID
	s := r.sets[id]
	if s == nil {
		if len(r.sets) >= r.limits.MaxSets {
			r.dropOldest()
		}
		s = &fragSet{first: now, total: -1}
		r.sets[id] = s
	}
	off := int(p.Header.FragmentOffset) * 8
	end := off + len(p.Payload)
	if len(p.Payload) == 0 {
		return fail(id, "empty fragment at offset %d", off)
	}
	if end > r.limits.MaxSize {
		return fail(id, "fragment ends at %d, beyond the %d-byte limit", end, r.limits.MaxSize)
	}
	if !p.Header.LastFragment && len(p.Payload)%8 != 0 {
		return fail(id, "non-last fragment of %d bytes is not a multiple of 8", len(p.Payload))
	}
	i := sort.Search(len(s.pieces), func(i int) bool { return s.pieces[i].off >= off })
	if i < len(s.pieces) && s.pieces[i].off == off && string(s.pieces[i].data) == string(p.Payload) {
		return Header{}, nil, false, nil // retransmitted duplicate
	}
	if (i > 0 && s.pieces[i-1].off+len(s.pieces[i-1].data) > off) || (i < len(s.pieces) && s.pieces[i].off < end) {
		return fail(id, "fragment %d..%d overlaps another", off, end)
	}
	if p.Header.LastFragment {
		if s.total >= 0 {
			return fail(id, "second last fragment")
		}
		if len(s.pieces) > 0 && s.pieces[len(s.pieces)-1].off >= end {
			return fail(id, "data beyond the last fragment")
		}
		s.total = end
	} else if s.total >= 0 && end >= s.total {
		return fail(id, "fragment %d..%d beyond the last fragment's end %d", off, end, s.total)
	}
	if len(s.pieces) >= r.limits.MaxFragments {
		return fail(id, "more than %d fragments", r.limits.MaxFragments)
	}
	s.pieces = append(s.pieces, fragPiece{})
	copy(s.pieces[i+1:], s.pieces[i:])
	s.pieces[i] = fragPiece{off: off, data: append([]byte{}, p.Payload...)}
	s.size += len(p.Payload)
	if off == 0 {
		s.header, s.seen0 = p.Header, true
	}
	if s.total < 0 || s.size != s.total || !s.seen0 {
		return Header{}, nil, false, nil
	}
	payload = make([]byte, 0, s.total)
	for _, pc := range s.pieces {
		payload = append(payload, pc.data...)
	}
	delete(r.sets, id)
	h = s.header
	h.Fragment, h.LastFragment, h.FragmentOffset, h.FragmentID = false, false, 0, 0
	return h, payload, true, nil
}

func (r *Reassembler) expire(now time.Time) {
	for id, s := range r.sets {
		if now.Sub(s.first) > r.limits.Timeout {
			delete(r.sets, id)
		}
	}
}

func (r *Reassembler) dropOldest() {
	var oldest uint16
	var t time.Time
	for id, s := range r.sets {
		if t.IsZero() || s.first.Before(t) {
			oldest, t = id, s.first
		}
	}
	delete(r.sets, oldest)
}
