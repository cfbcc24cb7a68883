package controlplane

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestNameTableNumbering(t *testing.T) {
	tab := newNameTable()
	caps := make([]*session, 5)
	for i := range caps {
		caps[i] = &session{}
		names := tab.forCAP(caps[i])
		n := names.FirstFree("cap")
		for names.Taken(fmt.Sprintf("cap%d", n)) {
			n++
		}
		tab.take(caps[i], fmt.Sprintf("cap%d", n))
	}
	if got := tab.forCAP(&session{}).FirstFree("cap"); got != 6 {
		t.Fatalf("after cap1…cap5 the first free number is %d, want 6", got)
	}
	tab.release(caps[1]) // cap2
	if got := tab.forCAP(&session{}).FirstFree("cap"); got != 2 {
		t.Fatalf("after releasing cap2 the first free number is %d, want 2", got)
	}
	if got := tab.forCAP(caps[3]).FirstFree("cap"); got != 2 {
		t.Fatalf("cap4's own view starts at %d, want 2", got)
	}
	// A CAP provisioned again keeps its number although the table's hint lies above it.
	tab.take(&session{}, "cap2")
	if got := tab.forCAP(caps[2]).FirstFree("cap"); got != 3 {
		t.Fatalf("cap3 provisioned again starts at %d, want its own 3", got)
	}
	if tab.forCAP(caps[2]).Taken("cap3") || !tab.forCAP(caps[0]).Taken("cap3") {
		t.Fatal("cap3 must be free to its owner only")
	}
	tab.release(caps[0])
	if got := tab.forCAP(&session{}).FirstFree("cap"); got != 1 {
		t.Fatalf("after releasing cap1 the first free number is %d, want 1", got)
	}
}

// BenchmarkNameTable: naming costs the same per CAP at any fleet size.
func BenchmarkNameTable(b *testing.B) {
	for _, fleet := range []int{1000, 20000} {
		b.Run(fmt.Sprint(fleet), func(b *testing.B) {
			tab := newNameTable()
			for i := range fleet {
				tab.take(&session{}, fmt.Sprintf("cap%d", i+1))
			}
			b.ResetTimer()
			for range b.N {
				c := &session{}
				v := tab.forCAP(c)
				n := v.FirstFree("cap")
				for v.Taken(fmt.Sprintf("cap%d", n)) {
					n++
				}
				tab.take(c, fmt.Sprintf("cap%d", n))
				tab.release(c)
			}
		})
	}
}

// Against a plain model: after any mix of CAPs joining, leaving and being
// provisioned again, a new CAP gets the lowest free number.
func TestNameTableMatchesAModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	tab := newNameTable()
	var caps []*session
	name := func(c *session) string {
		v := tab.forCAP(c)
		n := v.FirstFree("cap")
		for v.Taken(fmt.Sprintf("cap%d", n)) {
			n++
		}
		return fmt.Sprintf("cap%d", n)
	}
	for step := range 5000 {
		switch op := rng.IntN(10); {
		case op < 5 || len(caps) == 0: // a CAP joins
			c := &session{}
			lowest := 1
			for tab.owner[fmt.Sprintf("cap%d", lowest)] != nil {
				lowest++
			}
			if got := name(c); got != fmt.Sprintf("cap%d", lowest) {
				t.Fatalf("step %d: a new CAP gets %s, want cap%d", step, got, lowest)
			}
			tab.take(c, name(c))
			caps = append(caps, c)
		case op < 8: // one leaves
			i := rng.IntN(len(caps))
			tab.release(caps[i])
			caps = slices.Delete(caps, i, i+1)
		default: // one is provisioned again: it keeps its name
			c := caps[rng.IntN(len(caps))]
			had := name(c)
			tab.release(c)
			tab.take(c, had)
			if len(c.names) != 1 || c.names[0] != had {
				t.Fatalf("step %d: provisioned again, %v, want [%s]", step, c.names, had)
			}
		}
	}
}

// BenchmarkNameTableProvisionAgain: a change provisions every CAP again,
// each releasing its name and taking it back; with 20,000 held this cost
// a walk over every higher number before (O(n) per CAP, O(n²) a change).
func BenchmarkNameTableProvisionAgain(b *testing.B) {
	tab := newNameTable()
	caps := make([]*session, 20000)
	for i := range caps {
		caps[i] = &session{}
		tab.take(caps[i], fmt.Sprintf("cap%d", i+1))
	}
	i := 0
	for b.Loop() {
		c := caps[i%len(caps)]
		i++
		own := c.names[0]
		tab.release(c)
		v := tab.forCAP(c)
		n := v.FirstFree("cap")
		for v.Taken(fmt.Sprintf("cap%d", n)) {
			n++
		}
		if got := fmt.Sprintf("cap%d", n); got != own {
			b.Fatalf("%s got %s", own, got)
		}
		tab.take(c, own)
	}
}
