// Command capstan-agent runs on each OpenWrt access point (the CAP): it finds a manager, joins it over CAPWAP/DTLS and runs the radios as the manager says.
//
// The main stays thin: it parses the command line and hands over to the
// library packages; see the README for the commands.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/capstan-wifi/capstan/internal/buildinfo"
)

const program = "capstan-agent"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one invocation and returns the process exit code: 0 on
// success, 2 for a usage error.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(program, flag.ContinueOnError)
	fs.SetOutput(stderr)
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s [--version] <command>\n\ncommands:\n  version   print the version\n", program)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *showVersion || fs.Arg(0) == "version" {
		fmt.Fprintln(stdout, buildinfo.String(program))
		return 0
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	fmt.Fprintf(stderr, "%s: unknown command %q (try --help)\n", program, fs.Arg(0))
	return 2
}
