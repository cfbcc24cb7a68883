// Package agentbuild says how capstan-agent is built for an access point,
// in one place for `make packages`, `make size`, the board tests and the
// package tests: static, stripped, Go's own encoding/json
// instead of the one built on json/v2, and inlining only where the AP's
// time goes. Each choice is measured in the README's size table.
package agentbuild

import (
	"os"
	"os/exec"
	"strings"
)

// Experiment builds encoding/json without json/v2 underneath (Go 1.27
// builds it on json/v2 by default): same behaviour for the agent's
// documents, 190 KB less in the mipsel_24kc package. And it builds the
// runtime with Go 1.25's allocator and collector, not the size-specialized
// malloc and the Green Tea collector of Go 1.26 (23 KB less): on the malta
// board, with the inlining below, start → beaconing run medians averaged
// 2.70 s against 3.00 s for Go's defaults over nine alternating pairs in
// both orders, and the RSS after join is 190 KiB lower (9.7 MiB). For an
// agent with a 10 MB heap on one core the newer designs buy nothing seen.
const Experiment = "nojsonv2,nosizespecializedmalloc,nogreenteagc"

// Inlined are the packages compiled with the compiler's inlining; every
// other package is compiled with -l. Inlining grows a package's code for
// speed that only its hot loops need. These are where the agent spends
// its CPU: the runtime (allocation, maps, scheduling) and the internal
// packages it inlines from (not internal/runtime/atomic, whose one-line
// wrappers inlined at every use cost 21 KB of the runtime's line and
// inlining tables, nor the internal packages of formatting and
// GODEBUG), math/bits (on 32-bit MIPS its 64-bit multiply and
// add are calls unless inlined into the curve arithmetic), the primitives
// of the DTLS handshake and records (of crypto/internal: the NIST curves
// and their field arithmetic, ECDH, ECDSA with bigmod, AES and GCM,
// SHA-256, HMAC, the DRBG; AES, ECDH, ECDSA, SHA-256; x/crypto's
// ChaCha20-Poly1305, not the standard library's copy, which only
// crypto/tls uses), and capstan's record, tunnel and forwarding paths.
// Not pion's DTLS, crypto/tls, x509 or math/big: their code runs a few
// times per join; nor RSA, Ed25519, ML-DSA, ML-KEM, SHA-3, SHA-512 or the
// TLS key schedules, which x509 and crypto/tls carry but a CAP's join with
// an ECDSA manager does not run (36 KB of the mipsel_24kc package).
//
// On the malta board, agent start → beaconing medians of 5 were 2.15–2.35
// s built this way and 2.04–2.83 s with pion, all of crypto and all of
// math inlined as well (83 KB more in the package); without math/bits
// 2.85–4.41 s; earlier, without inlining in crypto 3.52 s, with none at
// all 4.96 s.
var Inlined = []string{
	"runtime/...", "internal/goarch", "internal/abi", "internal/cpu", "internal/bytealg", "internal/byteorder",
	"internal/chacha8rand", "internal/runtime/syscall/linux", "internal/runtime/gc",
	"internal/runtime/sys", "internal/runtime/math", "internal/runtime/maps", "internal/race", "internal/stringslite",
	"internal/sync", "internal/syscall/unix", "internal/poll", "sync/...", "math/bits",
	"crypto/internal/fips140", "crypto/internal/fips140/nistec", "crypto/internal/fips140/nistec/fiat",
	"crypto/internal/fips140/ecdh", "crypto/internal/fips140/ecdsa", "crypto/internal/fips140/bigmod",
	"crypto/internal/fips140/aes", "crypto/internal/fips140/aes/gcm", "crypto/internal/fips140/sha256",
	"crypto/internal/fips140/hmac", "crypto/internal/fips140/subtle", "crypto/internal/fips140/alias",
	"crypto/internal/fips140/drbg", "crypto/internal/fips140deps/byteorder", "crypto/internal/constanttime",
	"crypto/aes", "crypto/ecdh", "crypto/ecdsa", "crypto/sha256",
	"golang.org/x/crypto/...",
	"github.com/capstan-wifi/capstan/capwap/transport",
	"github.com/capstan-wifi/capstan/capwap/dtlsrecord",
	"github.com/capstan-wifi/capstan/capwap/tunnel",
	"github.com/capstan-wifi/capstan/agent/dataplane",
	"github.com/capstan-wifi/capstan/internal/offload",
}

// Package is the agent's main package.
const Package = "github.com/capstan-wifi/capstan/cmd/capstan-agent"

// GCFlags are the -gcflags arguments: -l for all, then the inlined
// packages back to the defaults (the last matching pattern wins).
func GCFlags() []string {
	flags := []string{"-gcflags=all=-l"}
	for _, p := range Inlined {
		flags = append(flags, "-gcflags="+p+"=")
	}
	return flags
}

// HelperPackage is capstan-agent-scep, the SCEP enrollment the agent runs
// for certificate=scep (pki/scepenroll), in its own package. It runs once
// per certificate: built without inlining anywhere, for size.
const HelperPackage = "github.com/capstan-wifi/capstan/cmd/capstan-agent-scep"

// HelperCommand is `go build` of capstan-agent-scep into out for goenv,
// run in dir, with the agent's experiment and no inlining.
func HelperCommand(goBin, dir, out, ldflags string, goenv ...string) *exec.Cmd {
	cmd := exec.Command(goBin, "build", "-trimpath", "-ldflags", ldflags, "-gcflags=all=-l", "-o", out, HelperPackage)
	cmd.Dir = dir
	cmd.Env = Env(nil, goenv...)
	return cmd
}

// Strip are the linker flags that leave the symbol table and DWARF out.
const Strip = "-s -w"

// Args are the arguments of `go` that build the agent into out with the
// linker flags ldflags (Strip and, say, a -X for the version; "" keeps
// the symbols, for packaging/pkgsize).
func Args(out, ldflags string) []string {
	args := append([]string{"build", "-trimpath", "-ldflags", ldflags}, GCFlags()...)
	return append(args, "-o", out, Package)
}

// Env is the environment for building for goenv (e.g. GOARCH=mipsle,
// GOMIPS=softfloat), on top of base (os.Environ() when nil). An
// experiment already set in base is kept, with this one added.
func Env(base []string, goenv ...string) []string {
	if base == nil {
		base = os.Environ()
	}
	experiment := Experiment
	var env []string
	for _, kv := range base {
		if v, ok := strings.CutPrefix(kv, "GOEXPERIMENT="); ok {
			if v != "" {
				experiment = v + "," + Experiment
			}
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "CGO_ENABLED=0", "GOOS=linux", "GOEXPERIMENT="+experiment)
	return append(env, goenv...)
}

// Command is `go build` of the agent into out for goenv, run in dir (the
// module or below it).
func Command(goBin, dir, out, ldflags string, goenv ...string) *exec.Cmd {
	cmd := exec.Command(goBin, Args(out, ldflags)...)
	cmd.Dir = dir
	cmd.Env = Env(nil, goenv...)
	return cmd
}
