package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"
)

// StatusSocket is the unix socket in the run directory where a running
// agent answers `capstan-agent status`. The protocol is the smallest there
// is: a client connects, the agent writes its status as one JSON document
// and closes. There is no request to parse, so nothing a client sends is
// read; an HTTP server here cost the mipsel package 0.1 MB.
const StatusSocket = "agent.sock"

// statusWriteTimeout bounds how long a client that does not read can hold
// one of the agent's goroutines.
const statusWriteTimeout = 5 * time.Second

// maxStatus bounds what FetchStatus reads.
const maxStatus = 1 << 20

// ServeStatus answers status requests on runDir/agent.sock (0600) until ctx
// ends.
func (a *Agent) ServeStatus(ctx context.Context, runDir string) error {
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		return fmt.Errorf("run dir: %w", err)
	}
	path := filepath.Join(runDir, StatusSocket)
	_ = os.Remove(path) // a stale socket of a previous run
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("status socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return err
	}
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	defer os.Remove(path)
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("status socket: %w", err)
		}
		// One client at a time: the answer is small and the socket is
		// root's, so a queue is all a second client meets.
		_ = c.SetWriteDeadline(time.Now().Add(statusWriteTimeout))
		_ = json.NewEncoder(c).Encode(a.Status())
		c.Close()
	}
}

// FetchStatus asks the agent running with runDir for its status, as JSON.
func FetchStatus(ctx context.Context, runDir string) ([]byte, error) {
	path := filepath.Join(runDir, StatusSocket)
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("no running agent answers on %s: %w", path, err)
	}
	defer c.Close()
	deadline := time.Now().Add(statusWriteTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = c.SetReadDeadline(deadline)
	b, err := io.ReadAll(io.LimitReader(c, maxStatus+1))
	if err != nil {
		return nil, fmt.Errorf("status from %s: %w", path, err)
	}
	if len(b) > maxStatus {
		return nil, fmt.Errorf("status from %s: over %d bytes", path, maxStatus)
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("status from %s: not a JSON document", path)
	}
	return b, nil
}
