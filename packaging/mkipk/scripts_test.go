package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestScriptsParse: every shell script of the packages passes sh -n, and
// the preinit hotplug rule is JSON.
func TestScriptsParse(t *testing.T) {
	err := filepath.Walk("../openwrt", func(path string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		switch {
		case strings.HasSuffix(path, ".json"):
			var v any
			if err := json.Unmarshal(b, &v); err != nil {
				t.Errorf("%s: %v", path, err)
			}
		case strings.HasPrefix(string(b), "#!/bin/sh") || strings.Contains(path, "/lib/preinit/"):
			if out, err := exec.Command("sh", "-n", path).CombinedOutput(); err != nil {
				t.Errorf("sh -n %s: %v %s", path, err, out)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestResetButtonHotplug plays procd's button events for every hold time:
// only a release after 2 to 4 seconds enters CAP mode; shorter (reboot)
// and longer (factory reset) holds stay OpenWrt's, as do other buttons.
func TestResetButtonHotplug(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "calls")
	fake := filepath.Join(dir, "capstan-agent")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho \"$*\" >> "+log+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	script, _ := filepath.Abs("../openwrt/agent/etc/hotplug.d/button/50-capstan-cap-mode")
	for _, ev := range []struct {
		button, action, seen string
		enters               bool
	}{
		{"reset", "pressed", "", false},
		{"reset", "released", "0", false},
		{"reset", "released", "1", false},
		{"reset", "released", "2", true},
		{"reset", "released", "3", true},
		{"reset", "released", "4", true},
		{"reset", "released", "5", false},
		{"reset", "released", "12", false},
		{"wps", "released", "3", false},
	} {
		_ = os.Remove(log)
		cmd := exec.Command("sh", script)
		cmd.Env = append(os.Environ(), "BUTTON="+ev.button, "ACTION="+ev.action, "SEEN="+ev.seen,
			"CAPSTAN_AGENT="+fake, "CAPSTAN_SYNC=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%+v: %v %s", ev, err, out)
		}
		b, _ := os.ReadFile(log)
		if got := strings.TrimSpace(string(b)); (got == "cap-mode enable --led 5s") != ev.enters || (!ev.enters && got != "") {
			t.Errorf("%s %s SEEN=%s: agent called with %q, want a call: %v", ev.button, ev.action, ev.seen, got, ev.enters)
		}
	}
}

// TestResetPressedReadsTheGPIOTable: the preinit check reads the reset
// line of the kernel's GPIO table, active low or high, pressed or not.
func TestResetPressedReadsTheGPIOTable(t *testing.T) {
	script, _ := filepath.Abs("../openwrt/agent/lib/capstan/reset-pressed")
	for table, pressed := range map[string]bool{
		" gpio-11  (                    |reset               ) in  lo IRQ ACTIVE LOW\n": true,
		" gpio-11  (                    |reset               ) in  hi IRQ ACTIVE LOW\n": false,
		" gpio-3   (                    |reset               ) in  hi IRQ\n":            true,
		" gpio-3   (                    |reset               ) in  lo IRQ\n":            false,
		" gpio-2   (                    |wps                 ) in  lo IRQ ACTIVE LOW\n" +
			" gpio-11  (                    |reset               ) in  hi IRQ ACTIVE LOW\n": false,
		" gpio-2   (                    |wps                 ) in  lo IRQ ACTIVE LOW\n": false,
		"": false,
	} {
		f := filepath.Join(t.TempDir(), "gpio")
		header := "gpiochip0: GPIOs 0-31, parent: platform/10000600.gpio, 10000600.gpio:\n"
		if err := os.WriteFile(f, []byte(header+table), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("sh", script)
		cmd.Env = append(os.Environ(), "CAPSTAN_GPIO_TABLE="+f)
		err := cmd.Run()
		if got := err == nil; got != pressed {
			t.Errorf("table %q: pressed=%v (%v), want %v", table, got, err, pressed)
		}
	}
}
