package wire

import (
	"encoding/hex"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// mustHex joins hex fragments ("00 0a", "ffff") into bytes; spaces are
// ignored, so each fragment can spell one field. It panics on bad hex, which
// is a typo in a test table.
func mustHex(parts ...string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(strings.Join(parts, ""), " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// hx is mustHex for tests that spell expected bytes inline.
func hx(t testing.TB, parts ...string) []byte {
	t.Helper()
	return mustHex(parts...)
}

func mac(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

// cmpOpts compare netip.Addr by value.
var cmpOpts = []cmp.Option{cmp.Comparer(func(a, b netip.Addr) bool { return a == b })}
