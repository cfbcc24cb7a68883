// Package testtool finds the external programs tests drive (tshark,
// openssl, micromdm's scep tools): a missing one skips the test with the
// exact reason, or fails it under CAPSTAN_REQUIRE_TOOLS=1 (make test, CI),
// where make deps has installed everything. Buffer is a log sink tests
// share.
package testtool

import (
	"os"
	"os/exec"
	"testing"
)

// Required reports whether missing tools must fail tests.
func Required() bool { return os.Getenv("CAPSTAN_REQUIRE_TOOLS") == "1" }

// Find returns the path of name, skipping or failing t when it is missing;
// pkg names the Debian package that provides it.
func Find(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if Required() {
			t.Fatalf("%s not found in PATH (CAPSTAN_REQUIRE_TOOLS=1; run make deps)", name)
		}
		t.Skipf("%s not found in PATH: install Debian's %s (make deps)", name, pkg)
	}
	return p
}

// Have reports whether name is installed, failing t when it is missing but
// required: for optional checks inside a test that runs anyway.
func Have(t testing.TB, name string) bool {
	t.Helper()
	_, err := exec.LookPath(name)
	if err != nil && Required() {
		t.Fatalf("%s not found in PATH (CAPSTAN_REQUIRE_TOOLS=1; run make deps)", name)
	}
	return err == nil
}
