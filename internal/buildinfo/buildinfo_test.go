package buildinfo

import (
	"runtime"
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	old := Version
	t.Cleanup(func() { Version = old })
	Version = "v1.2.3-4-gabcdef0"
	got := String("capstan-agent")
	want := "capstan-agent v1.2.3-4-gabcdef0 (" + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + ")"
	if got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
	if !strings.HasPrefix(String("x"), "x v1.2.3") {
		t.Fatalf("program name not first: %q", String("x"))
	}
}
