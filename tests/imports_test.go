package tests

import (
	"os/exec"
	"strings"
	"testing"
)

// TestAgentDoesNotImportManager keeps the AP binary lean (DESIGN.md): nothing
// reachable from cmd/capstan-agent may live under manager/.
func TestAgentDoesNotImportManager(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not in PATH: cannot list the agent's dependencies")
	}
	out, err := exec.Command(goBin, "list", "-deps", "github.com/capstan-wifi/capstan/cmd/capstan-agent").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatal("go list -deps printed no packages")
	}
	for _, p := range deps {
		if p == "github.com/capstan-wifi/capstan/manager" || strings.HasPrefix(p, "github.com/capstan-wifi/capstan/manager/") {
			t.Errorf("capstan-agent imports %s", p)
		}
	}
}
