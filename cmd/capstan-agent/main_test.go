package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	tests := []struct {
		args      []string
		code      int
		stdout    string
		stderrHas string
	}{
		{args: []string{"--version"}, code: 0, stdout: program + " dev ("},
		{args: []string{"version"}, code: 0, stdout: program + " dev ("},
		{args: nil, code: 2, stderrHas: "usage: " + program},
		{args: []string{"frobnicate"}, code: 2, stderrHas: `unknown command "frobnicate"`},
		{args: []string{"--bogus"}, code: 2, stderrHas: "flag provided but not defined"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := run(tt.args, &out, &errOut)
		if code != tt.code {
			t.Errorf("run(%q) = %d, want %d (stderr %q)", tt.args, code, tt.code, errOut.String())
		}
		if !strings.HasPrefix(out.String(), tt.stdout) {
			t.Errorf("run(%q) stdout = %q, want prefix %q", tt.args, out.String(), tt.stdout)
		}
		if !strings.Contains(errOut.String(), tt.stderrHas) {
			t.Errorf("run(%q) stderr = %q, want it to contain %q", tt.args, errOut.String(), tt.stderrHas)
		}
	}
}
