package board

import (
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Blink makes an LED under root's /sys/class/leds blink with the kernel's
// timer trigger, on and off for the given times: CAP mode's feedback.
func Blink(root, led string, on, off time.Duration) error {
	dir := filepath.Join(root, "sys/class/leds", filepath.Base(led))
	if err := os.WriteFile(filepath.Join(dir, "trigger"), []byte("timer"), 0); err != nil {
		return err
	}
	for f, d := range map[string]time.Duration{"delay_on": on, "delay_off": off} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(strconv.FormatInt(d.Milliseconds(), 10)), 0); err != nil {
			return err
		}
	}
	return nil
}
