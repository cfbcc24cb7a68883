package main

import "testing"

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"enrol"}, {"enroll", "extra"}} {
		if code := run(args); code != 2 {
			t.Errorf("run(%q) = %d, want 2 (usage)", args, code)
		}
	}
	if code := run([]string{"--version"}); code != 0 {
		t.Errorf("--version: %d", code)
	}
}
