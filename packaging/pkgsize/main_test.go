package main

import "testing"

func TestPackageOf(t *testing.T) {
	for name, want := range map[string]string{
		"github.com/pion/dtls/v3.(*Conn).Read": "github.com/pion/dtls/v3",
		"net/http.(*Client).Do":                "net/http",
		"runtime.mallocgc":                     "runtime",
		"slices.pdqsortCmpFunc[go.shape.struct { net/http.key string }]": "slices",
		"type:*github.com/capstan-wifi/capstan/agent.Agent":              "type: (metadata)",
		"go:func.*": "go: (metadata)",
		"encoding/json/v2..dict.typedArshalers[encoding/json/jsontext.Enc]": "encoding/json/v2",
	} {
		if got := packageOf(name); got != want {
			t.Errorf("packageOf(%q) = %q, want %q", name, got, want)
		}
	}
}
