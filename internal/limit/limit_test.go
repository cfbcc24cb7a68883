package limit

import (
	"fmt"
	"testing"
)

func TestKeyedBurstThenRefuse(t *testing.T) {
	k := NewKeyed(0.001, 3, 100)
	for i := range 3 {
		if !k.Allow("a") {
			t.Fatalf("event %d of the burst refused", i)
		}
	}
	if k.Allow("a") {
		t.Fatal("event past the burst allowed")
	}
	if !k.Allow("b") {
		t.Fatal("another key shares a's bucket")
	}
	if k.Refused() != 1 {
		t.Errorf("refused %d, want 1", k.Refused())
	}
}

func TestKeyedMapIsBounded(t *testing.T) {
	k := NewKeyed(1, 1, 64)
	for i := range 10000 {
		k.Allow(fmt.Sprint(i))
		if k.Keys() > 64 {
			t.Fatalf("%d keys held after %d, bound 64", k.Keys(), i)
		}
	}
}
