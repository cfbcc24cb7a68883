package hostapd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// process is one running hostapd. Its output goes to the log at debug
// level; the last lines are kept for the error when it fails to start.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when hostapd has exited
	err  error         // its exit status, once done

	mu   sync.Mutex
	tail []string
}

const tailLines = 12

func startProcess(binary, conf string, log *slog.Logger) (*process, error) {
	cmd := exec.Command(binary, conf)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", binary, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.read(out, log)
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *process) read(r io.Reader, log *slog.Logger) {
	s := bufio.NewScanner(r)
	for s.Scan() {
		l := s.Text()
		log.Debug("hostapd", "line", l)
		p.mu.Lock()
		p.tail = append(p.tail, l)
		if len(p.tail) > tailLines {
			p.tail = p.tail[1:]
		}
		p.mu.Unlock()
	}
}

// exited reports whether hostapd has exited.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// lastLines is hostapd's last output, for errors.
func (p *process) lastLines() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.tail, " | ")
}

// stop ends hostapd: SIGTERM lets it take its interfaces down; SIGKILL after
// grace.
func (p *process) stop(grace time.Duration) {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// errExited is hostapd exiting while we wait for it to come up.
var errExited = errors.New("hostapd exited")

// waitEnabled waits until the control socket of iface reports state ENABLED
// (beaconing) or DFS (running the channel availability check, which may
// take a minute before beaconing starts).
func (p *process) waitEnabled(ctx context.Context, ctrlPath, localDir string) (string, error) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last string
	for {
		select {
		case <-p.done:
			return "", fmt.Errorf("%w (%v): %s", errExited, p.err, p.lastLines())
		case <-ctx.Done():
			return "", fmt.Errorf("hostapd not enabled (last state %q): %w: %s", last, ctx.Err(), p.lastLines())
		case <-tick.C:
		}
		c, err := DialCtrl(ctrlPath, localDir)
		if err != nil {
			continue
		}
		st, err := c.Status(ctx)
		c.Close()
		if err != nil {
			continue
		}
		last = st["state"]
		if last == "ENABLED" || last == "DFS" {
			return last, nil
		}
	}
}
