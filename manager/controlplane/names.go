package controlplane

import (
	"container/heap"
	"strconv"

	"github.com/capstan-wifi/capstan/manager/provision"
)

// nameTable holds the dynamic interface names of every CAP, and for each
// numbered base (cap1, cap2, …) where its first free number is, so that
// naming a CAP, and naming every CAP again after a change, costs the same
// with 20 CAPs or 20,000. Guarded by Server.provMu.
type nameTable struct {
	owner map[string]*session // name → the CAP whose dynamic interface it is
	bases map[string]*numbers
}

// numbers are one base's numbers: every number below hi is taken except
// those in free (a min-heap that may still hold numbers taken again
// since: they are dropped when they reach its top).
type numbers struct {
	hi    int
	free  intHeap
	taken int
}

func newNameTable() *nameTable {
	return &nameTable{owner: map[string]*session{}, bases: map[string]*numbers{}}
}

// first is base's lowest number that may be free (a lower bound: numbers
// from hi up may be taken out of order, and callers step over those).
func (t *nameTable) first(base string) int {
	b := t.bases[base]
	if b == nil {
		return 1
	}
	for len(b.free) > 0 {
		if n := b.free[0]; t.owner[base+strconv.Itoa(n)] == nil {
			return n
		}
		heap.Pop(&b.free)
	}
	return b.hi
}

// forCAP is the provision.Names view of the table for c: its own names
// are free to it.
func (t *nameTable) forCAP(c *session) provision.Names { return capNames{t, c} }

type capNames struct {
	t *nameTable
	c *session
}

func (v capNames) Taken(name string) bool {
	o := v.t.owner[name]
	return o != nil && o != v.c
}

// FirstFree: a CAP provisioned again keeps its own numbers, which may lie
// below the table's.
func (v capNames) FirstFree(base string) int {
	from := v.t.first(base)
	for _, name := range v.c.names {
		if b, n, ok := provision.SplitNumbered(name); ok && b == base && n < from {
			from = n
		}
	}
	return from
}

// take records name as c's.
func (t *nameTable) take(c *session, name string) {
	prev := t.owner[name]
	if prev == c {
		return
	}
	t.owner[name] = c
	c.names = append(c.names, name)
	base, n, ok := provision.SplitNumbered(name)
	if !ok || prev != nil { // a name taken over is counted already
		return
	}
	b := t.bases[base]
	if b == nil {
		b = &numbers{hi: 1}
		t.bases[base] = b
	}
	b.taken++
	if n == b.hi {
		// Past every number taken after n: each number is passed once,
		// hi never goes back.
		for b.hi++; t.owner[base+strconv.Itoa(b.hi)] != nil; b.hi++ {
		}
	}
}

// release forgets c's names.
func (t *nameTable) release(c *session) {
	for _, name := range c.names {
		if t.owner[name] != c {
			continue
		}
		delete(t.owner, name)
		base, n, ok := provision.SplitNumbered(name)
		if !ok {
			continue
		}
		b := t.bases[base]
		if b.taken--; b.taken == 0 {
			delete(t.bases, base)
		} else if n < b.hi {
			heap.Push(&b.free, n)
		}
	}
	c.names = c.names[:0]
}

// intHeap is a min-heap of ints (container/heap).
type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
