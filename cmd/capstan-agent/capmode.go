package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/capstan-wifi/capstan/board"
)

// capMode runs `capstan-agent cap-mode enable|disable|status`.
func capMode(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(program+" cap-mode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	root := fs.String("root", "/", "the AP's root directory")
	reload := fs.Bool("reload", true, "apply the change at once with OpenWrt's reload_config")
	led := fs.Duration("led", 0, "blink the status LED of /etc/board.json this long (feedback for the reset button)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s cap-mode enable|disable|status [--root DIR] [--reload=false] [--led 5s]\n", program)
		fs.PrintDefaults()
	}
	verb := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		verb, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	m := board.CAPMode{Root: *root}
	switch verb {
	case "status":
		if m.Active() {
			fmt.Fprintf(stdout, "enabled (backup in %s)\n", filepath.Join(*root, board.BackupDir))
		} else {
			fmt.Fprintln(stdout, "disabled")
		}
		return 0
	case "enable":
		changed, err := m.Enable()
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", program, err)
			return 1
		}
		what := strings.Join(changed, " ")
		if what == "" {
			what = "nothing (already a CAP)"
		}
		fmt.Fprintf(stdout, "CAP mode enabled; changed: %s; backup in %s\n", what, filepath.Join(*root, board.BackupDir))
	case "disable":
		if err := m.Disable(); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", program, err)
			return 1
		}
		fmt.Fprintln(stdout, "CAP mode disabled; the configuration from before it is back")
	default:
		fs.Usage()
		return 2
	}
	if *led > 0 {
		blink(*root, *led, stderr)
	}
	if *reload {
		if out, err := exec.Command("reload_config").CombinedOutput(); err != nil {
			fmt.Fprintf(stderr, "%s: reload_config: %v %s (the change applies at the next boot)\n", program, err, bytes.TrimSpace(out))
			return 1
		}
	}
	return 0
}

// blink flashes the board's status LED for d, then gives it back its
// trigger.
func blink(root string, d time.Duration, stderr io.Writer) {
	bd, err := board.ReadBoard(filepath.Join(root, "etc/board.json"))
	if err != nil {
		fmt.Fprintf(stderr, "%s: no LED feedback: %v\n", program, err)
		return
	}
	led := bd.StatusLED()
	if led == "" {
		return
	}
	trigger := filepath.Join(root, "sys/class/leds", led, "trigger")
	prev := ""
	if b, err := os.ReadFile(trigger); err == nil {
		// The kernel lists every trigger, the active one in brackets.
		if i, j := bytes.IndexByte(b, '['), bytes.IndexByte(b, ']'); i >= 0 && j > i {
			prev = string(b[i+1 : j])
		}
	}
	if err := board.Blink(root, led, 100*time.Millisecond, 100*time.Millisecond); err != nil {
		fmt.Fprintf(stderr, "%s: LED %s: %v\n", program, led, err)
		return
	}
	time.Sleep(d)
	if prev != "" {
		_ = os.WriteFile(trigger, []byte(prev), 0)
	}
}
