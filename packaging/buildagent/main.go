// Command buildagent builds capstan-agent (or, with -helper,
// capstan-agent-scep) for an access point as packaging/agentbuild says:
// `go run ./packaging/buildagent [-helper] -o OUT [-ldflags FLAGS]
// [GOARCH=… GOMIPS=…]`. -ldflags "" keeps the symbol table (for
// packaging/pkgsize).
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/capstan-wifi/capstan/packaging/agentbuild"
)

func main() {
	out := flag.String("o", "", "output file")
	ldflags := flag.String("ldflags", agentbuild.Strip, "linker flags (\"\" keeps the symbol table)")
	helper := flag.Bool("helper", false, "build capstan-agent-scep instead of capstan-agent")
	flag.Parse()
	if *out == "" {
		fail("-o is required")
	}
	for _, kv := range flag.Args() {
		if k, _, ok := strings.Cut(kv, "="); !ok || !strings.HasPrefix(k, "GO") {
			fail(fmt.Sprintf("%q: want GOARCH=… style settings after the flags", kv))
		}
	}
	cmd := agentbuild.Command("go", ".", *out, *ldflags, flag.Args()...)
	if *helper {
		cmd = agentbuild.HelperCommand("go", ".", *out, *ldflags, flag.Args()...)
	}
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fail(err.Error())
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "buildagent:", msg)
	os.Exit(2)
}
