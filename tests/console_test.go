package tests

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// console drives a QEMU board's serial console: a busybox shell that the
// test types commands into, reading everything the board prints.
type console struct {
	t  testing.TB
	w  io.Writer
	mu sync.Mutex
	// out is everything printed so far; seen is how much wait has consumed.
	out  strings.Builder
	seen int
	more chan struct{}
	eof  bool
	seq  int
	// scale multiplies every timeout: a board that booted slower than
	// on an idle machine gets proportionally more time for each command.
	scale float64
}

func (c *console) setScale(f float64) {
	c.mu.Lock()
	c.scale = f
	c.mu.Unlock()
}

func (c *console) scaleOf() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return max(c.scale, 1)
}

func newConsole(t testing.TB, w io.Writer, r io.Reader) *console {
	c := &console{t: t, w: w, more: make(chan struct{}, 1)}
	go func() {
		br := bufio.NewReader(r)
		buf := make([]byte, 4096)
		for {
			n, err := br.Read(buf)
			c.mu.Lock()
			c.out.Write(buf[:n])
			if err != nil {
				c.eof = true
			}
			c.mu.Unlock()
			select {
			case c.more <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	return c
}

// wait returns the first match of re in the output after what earlier
// waits consumed, and consumes up to its end.
func (c *console) wait(re *regexp.Regexp, timeout time.Duration) ([]string, error) {
	timeout = time.Duration(float64(timeout) * c.scaleOf())
	deadline := time.After(timeout)
	for {
		c.mu.Lock()
		s := c.out.String()[c.seen:]
		if loc := re.FindStringSubmatchIndex(s); loc != nil {
			m := re.FindStringSubmatch(s)
			c.seen += loc[1]
			c.mu.Unlock()
			return m, nil
		}
		eof := c.eof
		c.mu.Unlock()
		if eof {
			return nil, fmt.Errorf("console closed before %q", re)
		}
		select {
		case <-c.more:
		case <-deadline:
			return nil, fmt.Errorf("no %q on the console within %v", re, timeout)
		}
	}
}

// run types cmd into the shell and returns what it printed and its exit
// status. The end marker is written so that the shell's echo of the
// command line cannot match it.
func (c *console) run(cmd string, timeout time.Duration) (string, int) {
	c.t.Helper()
	c.mu.Lock()
	c.seq++
	n := c.seq
	c.mu.Unlock()
	start := fmt.Sprintf("@@S%d@@", n)
	// Marker halves joined by the shell: the echoed command shows them apart.
	line := fmt.Sprintf("echo '@@S''%d@@'\n%s\necho \"@@E%d=$?@@\"\n", n, cmd, n)
	if _, err := io.WriteString(c.w, line); err != nil {
		c.t.Fatalf("console write: %v", err)
	}
	if _, err := c.wait(regexp.MustCompile(regexp.QuoteMeta(start)), timeout); err != nil {
		c.t.Fatalf("%s: %v\n%s", cmd, err, c.tail())
	}
	m, err := c.wait(regexp.MustCompile(fmt.Sprintf(`(?s)^(.*?)@@E%d=(\d+)@@`, n)), timeout)
	if err != nil {
		c.t.Fatalf("%s: %v\n%s", cmd, err, c.tail())
	}
	var rc int
	fmt.Sscan(m[2], &rc)
	return strings.TrimSpace(strings.ReplaceAll(m[1], "\r", "")), rc
}

// must is run that fails the test on a non-zero status.
func (c *console) must(cmd string, timeout time.Duration) string {
	c.t.Helper()
	out, rc := c.run(cmd, timeout)
	if rc != 0 {
		c.t.Fatalf("board: %s: exit %d\n%s", cmd, rc, out)
	}
	return out
}

// tail is the last part of the output, for failure messages.
func (c *console) tail() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.out.String()
	if len(s) > 6000 {
		s = s[len(s)-6000:]
	}
	return s
}
