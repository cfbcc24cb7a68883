package controlplane

import (
	"fmt"
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
