package agentbuild

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

func TestEnvAddsTheExperiment(t *testing.T) {
	env := Env([]string{"PATH=/bin", "GOEXPERIMENT=", "CGO_ENABLED=1"}, "GOARCH=mipsle", "GOMIPS=softfloat")
	want := []string{"PATH=/bin", "CGO_ENABLED=1", "CGO_ENABLED=0", "GOOS=linux", "GOEXPERIMENT=" + Experiment, "GOARCH=mipsle", "GOMIPS=softfloat"}
	if !slices.Equal(env, want) {
		t.Errorf("Env = %q, want %q (the last of a name wins)", env, want)
	}
	env = Env([]string{"GOEXPERIMENT=loopvar"})
	if !slices.Contains(env, "GOEXPERIMENT=loopvar,"+Experiment) {
		t.Errorf("Env with an experiment set = %q, want it kept and %s added", env, Experiment)
	}
}

func TestGCFlagsTurnInliningBackOnAfterAll(t *testing.T) {
	f := GCFlags()
	if f[0] != "-gcflags=all=-l" || len(f) != len(Inlined)+1 {
		t.Fatalf("GCFlags = %q: want all=-l first, then one per inlined pattern", f)
	}
	for i, p := range Inlined {
		if f[i+1] != "-gcflags="+p+"=" {
			t.Errorf("GCFlags[%d] = %q, want the defaults back for %s", i+1, f[i+1], p)
		}
	}
	args := Args("/tmp/x", Strip)
	if args[0] != "build" || args[len(args)-1] != Package || !slices.Contains(args, Strip) {
		t.Errorf("Args = %q", args)
	}
}

// Every inlined pattern must name packages the agent is built from: a
// renamed package would otherwise lose its inlining without a word.
func TestInlinedPatternsMatchTheAgentsPackages(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	cmd := exec.Command("go", "list", "-deps", Package)
	cmd.Env = Env(nil, "GOARCH=mipsle", "GOMIPS=softfloat")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	for _, p := range Inlined {
		prefix, tree := strings.CutSuffix(p, "/...")
		if !slices.ContainsFunc(deps, func(d string) bool {
			return d == prefix || tree && strings.HasPrefix(d, prefix+"/")
		}) {
			t.Errorf("inlined pattern %s matches none of the agent's packages", p)
		}
	}
	if slices.Contains(deps, "encoding/json/v2") {
		t.Errorf("the agent imports encoding/json/v2 with GOEXPERIMENT=%s", Experiment)
	}
	// net/http costs the mipsel_24kc package 0.26 MB; the agent's one
	// HTTP client (SCEP) uses internal/httpc.
	if slices.Contains(deps, "net/http") {
		t.Errorf("the agent imports net/http: go mod why shows the path")
	}
	// SCEP (0.26 MB with its HTTP and TLS client and PKCS#7) is
	// capstan-agent-scep's, in its own package.
	for _, p := range []string{"github.com/capstan-wifi/capstan/pki/scep", "github.com/smallstep/pkcs7", "github.com/capstan-wifi/capstan/internal/httpc"} {
		if slices.Contains(deps, p) {
			t.Errorf("the agent imports %s: SCEP belongs to capstan-agent-scep", p)
		}
	}
}
