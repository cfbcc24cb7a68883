package hostapd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Ctrl is a client of one hostapd control socket (one BSS interface). The
// protocol is text over a unix datagram socket: a command, one reply;
// after ATTACH, unsolicited events that start with "<level>".
type Ctrl struct {
	conn  *net.UnixConn
	local string
	mu    sync.Mutex // one command at a time
}

var ctrlSeq atomic.Uint64

// DialCtrl connects to the control socket at path. The client's own socket
// is made in localDir, which hostapd must be able to write to.
func DialCtrl(path, localDir string) (*Ctrl, error) {
	local := filepath.Join(localDir, fmt.Sprintf(".capstan-%d-%d", os.Getpid(), ctrlSeq.Add(1)))
	_ = os.Remove(local)
	conn, err := net.DialUnix("unixgram", &net.UnixAddr{Name: local, Net: "unixgram"}, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("hostapd control socket %s: %w", path, err)
	}
	return &Ctrl{conn: conn, local: local}, nil
}

// Close closes the connection and removes the client's socket file.
func (c *Ctrl) Close() error {
	err := c.conn.Close()
	_ = os.Remove(c.local)
	return err
}

// ErrFailed is hostapd's answer FAIL to a command.
var ErrFailed = errors.New("hostapd answered FAIL")

// Request sends cmd and returns hostapd's reply, skipping events. A reply of
// FAIL is ErrFailed.
func (c *Ctrl) Request(ctx context.Context, cmd string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = c.conn.SetDeadline(deadline)
	if _, err := c.conn.Write([]byte(cmd)); err != nil {
		return "", fmt.Errorf("hostapd %s: %w", verb(cmd), err)
	}
	buf := make([]byte, 16384)
	for {
		n, err := c.conn.Read(buf)
		if err != nil {
			return "", fmt.Errorf("hostapd %s: %w", verb(cmd), err)
		}
		reply := string(buf[:n])
		if strings.HasPrefix(reply, "<") {
			continue // an event for an attached client
		}
		if strings.HasPrefix(reply, "FAIL") {
			return reply, fmt.Errorf("%s: %w", verb(cmd), ErrFailed)
		}
		return reply, nil
	}
}

// Attach subscribes this connection to hostapd's events; read them with
// Event. Use a connection for events only: Request skips them.
func (c *Ctrl) Attach(ctx context.Context) error {
	reply, err := c.Request(ctx, "ATTACH")
	if err != nil {
		return err
	}
	if !strings.HasPrefix(reply, "OK") {
		return fmt.Errorf("hostapd ATTACH: unexpected reply %q", reply)
	}
	return nil
}

// Event waits for the next event until deadline and returns it without its
// "<level>" prefix.
func (c *Ctrl) Event(deadline time.Time) (string, error) {
	buf := make([]byte, 4096)
	_ = c.conn.SetReadDeadline(deadline)
	for {
		n, err := c.conn.Read(buf)
		if err != nil {
			return "", err
		}
		ev := string(buf[:n])
		if i := strings.IndexByte(ev, '>'); strings.HasPrefix(ev, "<") && i > 0 {
			return strings.TrimSpace(ev[i+1:]), nil
		}
	}
}

// Status is hostapd's STATUS reply as key=value pairs.
func (c *Ctrl) Status(ctx context.Context) (map[string]string, error) {
	reply, err := c.Request(ctx, "STATUS")
	if err != nil {
		return nil, err
	}
	return parseKV(reply), nil
}

func parseKV(s string) map[string]string {
	out := map[string]string{}
	for _, l := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			out[k] = v
		}
	}
	return out
}

func verb(cmd string) string {
	v, _, _ := strings.Cut(cmd, " ")
	return v
}
