package dataplane

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"golang.org/x/sys/unix"
)

// LinkName is the Linux interface name of capstan interface name: the
// name itself when Linux takes it (1 to 15 bytes, no '/', ':' or
// whitespace, not "." or ".."), else "cap-" and 11 hex digits of its
// SHA-256, so that every capstan name (up to 64 characters, ':' allowed)
// has a TAP and the same one every time.
func LinkName(name string) string {
	if len(name) > 0 && len(name) < unix.IFNAMSIZ && name != "." && name != ".." &&
		!strings.ContainsAny(name, "/: \t\n\r\v\f") {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return "cap-" + hex.EncodeToString(sum[:])[:11]
}
