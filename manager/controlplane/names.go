package controlplane

import (
	"strconv"

	"github.com/capstan-wifi/capstan/manager/provision"
)

// nameTable holds the dynamic interface names of every CAP, and for each
// numbered base (cap1, cap2, …) a number below which all are taken, so
// that naming a CAP costs the same with 20 CAPs or 20,000. Guarded by
// Server.provMu.
type nameTable struct {
	owner map[string]*session // name → the CAP whose dynamic interface it is
	next  map[string]int      // base → n: base1 … base(n-1) are all taken
}

func newNameTable() *nameTable {
	return &nameTable{owner: map[string]*session{}, next: map[string]int{}}
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
	from := max(v.t.next[base], 1)
	for _, name := range v.c.names {
		if b, n, ok := provision.SplitNumbered(name); ok && b == base && n < from {
			from = n
		}
	}
	return from
}

// take records name as c's.
func (t *nameTable) take(c *session, name string) {
	t.owner[name] = c
	c.names = append(c.names, name)
	base, n, ok := provision.SplitNumbered(name)
	if !ok {
		return
	}
	if n == max(t.next[base], 1) {
		// Advance past every taken number after n.
		for n++; t.owner[base+strconv.Itoa(n)] != nil; n++ {
		}
		t.next[base] = n
	}
}

// release forgets c's names.
func (t *nameTable) release(c *session) {
	for _, name := range c.names {
		if t.owner[name] != c {
			continue
		}
		delete(t.owner, name)
		if base, n, ok := provision.SplitNumbered(name); ok {
			if next, known := t.next[base]; known && n < next {
				if n == 1 {
					delete(t.next, base)
				} else {
					t.next[base] = n
				}
			}
		}
	}
	c.names = c.names[:0]
}
