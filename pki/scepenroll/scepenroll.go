// Package scepenroll is how capstan-agent asks for its certificate by SCEP
// without carrying a SCEP client: the agent runs capstan-agent-scep (its
// own package, for fleets whose CA is reached by SCEP), hands it a Request
// as JSON on its standard input and reads a Result from its standard
// output. The helper writes the key, certificate and CA into the agent's
// state directory as the agent would; the agent then loads them.
//
// Keeping the SCEP client (HTTP, TLS, PKCS#7) out of the agent keeps 0.26
// MB out of every AP's agent package, and PKCS#7 parsing out of the
// long-running process. This package itself imports no SCEP code.
package scepenroll

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// HelperName is the helper's file name, installed beside capstan-agent.
const HelperName = "capstan-agent-scep"

// Request is one enrollment (or renewal, when StateDir holds a
// certificate).
type Request struct {
	URL           string `json:"url"`
	CAFingerprint string `json:"ca_fingerprint,omitempty"`
	CommonName    string `json:"common_name"`
	Challenge     string `json:"challenge,omitempty"`
	StateDir      string `json:"state_dir"`
}

// Result is what was issued, for the agent's log.
type Result struct {
	CommonName string `json:"common_name"`
	Serial     string `json:"serial"`
	Issuer     string `json:"issuer"`
	Cipher     string `json:"cipher"`
	Digest     string `json:"digest"`
	Renewal    bool   `json:"renewal"`
}

// ErrPending: the SCEP server holds the request for approval.
var ErrPending = errors.New("SCEP request pending approval")

// Func enrolls: in the helper, the SCEP client; in the agent, Exec's
// function (or, in tests, the client itself).
type Func func(context.Context, Request) (Result, error)

// answer is the helper's output: a Result, or why not.
type answer struct {
	Result
	Error   string `json:"error,omitempty"`
	Pending bool   `json:"pending,omitempty"`
}

// maxAnswer bounds what the agent reads from the helper.
const maxAnswer = 64 << 10

// Exec returns the Func that runs the helper at path. WaitDelay bounds
// the wait for its output once ctx ends and it is killed.
func Exec(path string) Func {
	return func(ctx context.Context, r Request) (Result, error) {
		in, err := json.Marshal(r)
		if err != nil {
			return Result{}, err
		}
		cmd := exec.CommandContext(ctx, path, "enroll")
		cmd.Stdin = bytes.NewReader(in)
		var out, stderr bytes.Buffer
		cmd.Stdout = &limitedBuffer{buf: &out, n: maxAnswer}
		cmd.Stderr = &limitedBuffer{buf: &stderr, n: 4 << 10}
		cmd.WaitDelay = 5 * time.Second
		runErr := cmd.Run()
		var a answer
		if err := json.Unmarshal(out.Bytes(), &a); err != nil {
			if runErr != nil {
				return Result{}, fmt.Errorf("%s: %v: %s", path, runErr, strings.TrimSpace(stderr.String()))
			}
			return Result{}, fmt.Errorf("%s: unreadable answer: %v", path, err)
		}
		switch {
		case a.Pending:
			return Result{}, fmt.Errorf("%w: %s", ErrPending, a.Error)
		case a.Error != "":
			return Result{}, errors.New(a.Error)
		case runErr != nil:
			return Result{}, fmt.Errorf("%s: %v", path, runErr)
		}
		return a.Result, nil
	}
}

// Find is the helper's path: beside the running executable (as the
// packages install it), else on PATH. The error says which package has it.
func Find() (string, error) {
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), HelperName)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	if p, err := exec.LookPath(HelperName); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s is not installed: SCEP enrollment needs the %s package", HelperName, HelperName)
}

// Serve is the helper's side: it reads one Request from in, enrolls with
// f and writes the answer to out. It returns the exit code: 0 issued, 1
// refused or failed, 2 a request it cannot read.
func Serve(ctx context.Context, in io.Reader, out io.Writer, f Func) int {
	// Fields it does not know are ignored: a manager's upgrade policy
	// upgrades capstan-agent, so the agent may be newer than its helper.
	var r Request
	if err := json.NewDecoder(io.LimitReader(in, maxAnswer)).Decode(&r); err != nil {
		_ = json.NewEncoder(out).Encode(answer{Error: "request: " + err.Error()})
		return 2
	}
	if r.URL == "" || r.StateDir == "" || r.CommonName == "" {
		_ = json.NewEncoder(out).Encode(answer{Error: "request: url, state_dir and common_name are required"})
		return 2
	}
	res, err := f(ctx, r)
	if err != nil {
		_ = json.NewEncoder(out).Encode(answer{Error: err.Error(), Pending: errors.Is(err, ErrPending)})
		return 1
	}
	if err := json.NewEncoder(out).Encode(answer{Result: res}); err != nil {
		return 1
	}
	return 0
}

// limitedBuffer keeps the first n bytes written and drops the rest, so a
// runaway helper cannot grow the agent.
type limitedBuffer struct {
	buf *bytes.Buffer
	n   int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.n - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
