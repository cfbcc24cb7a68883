// Command capstan-agent-scep enrolls a capstan CAP by SCEP for
// capstan-agent, which runs it when the CAP's certificate comes from a
// SCEP server (certificate=scep, scep_url): it reads the request as JSON on
// standard input, stores the key, certificate and CA in the agent's state
// directory, and writes the result as JSON on standard output
// (pki/scepenroll). Shipped in its own package, capstan-agent-scep, so that
// APs that get their certificate from the manager do not carry a SCEP
// client.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/capstan-wifi/capstan/internal/buildinfo"
	"github.com/capstan-wifi/capstan/pki/scep"
	"github.com/capstan-wifi/capstan/pki/scepenroll"
)

const program = "capstan-agent-scep"

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	switch {
	case len(args) == 1 && (args[0] == "--version" || args[0] == "version"):
		fmt.Println(buildinfo.String(program))
		return 0
	case len(args) == 1 && args[0] == "enroll":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return scepenroll.Serve(ctx, os.Stdin, os.Stdout, scep.EnrollStateDir)
	}
	fmt.Fprintf(os.Stderr, "usage: %s enroll   (a JSON request on standard input; run by capstan-agent)\n       %s --version\n", program, program)
	return 2
}
