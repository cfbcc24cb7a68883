// Package buildinfo carries the version stamped into both binaries at link
// time from `git describe` (see the Makefile's LDFLAGS).
package buildinfo

import "runtime"

// Version is the release this binary was built from; the Makefile sets it
// with -ldflags "-X ...buildinfo.Version=...". Builds outside the Makefile
// report "dev".
var Version = "dev"

// String returns the one-line version banner both binaries print for
// --version: program name, version, Go version and target platform.
func String(program string) string {
	return program + " " + Version + " (" + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + ")"
}
