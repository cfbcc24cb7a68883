package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/manager/api"
	"github.com/capstan-wifi/capstan/manager/model"
)

// TestConfigCLI drives the configuration model through the real CLI
// against a real manager: add, set, print --json, move, disable, remove,
// and one-line errors that name the bad value.
func TestConfigCLI(t *testing.T) {
	m := startManagerProc(t)
	m.cli(t, "security", "add", "name=psk", "authentication-types=wpa2-psk", "passphrase=office-passphrase")
	m.cli(t, "configuration", "add", "name=office", "ssid=Office", "security=psk", "channel.frequency=5180,5200")
	m.cli(t, "configuration", "set", "office", "country=pl")
	m.cli(t, "provisioning", "add", "identity-regexp=^lab", "action=create-dynamic-enabled", "master-configuration=office")
	m.cli(t, "provisioning", "add", "action=none", "place-before=0")
	m.cli(t, "provisioning", "disable", "0")

	var confs []map[string]any
	if err := json.Unmarshal([]byte(m.cli(t, "configuration", "print", "--json")), &confs); err != nil {
		t.Fatal(err)
	}
	if len(confs) != 1 || confs[0]["country"] != "PL" || confs[0]["ssid"] != "Office" || fmt.Sprint(confs[0]["channel.frequency"]) != "[5180 5200]" {
		t.Errorf("configuration print --json = %v", confs)
	}
	out := m.cli(t, "provisioning", "print")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], " 0 X   action=none") || !strings.Contains(lines[2], "identity-regexp=^lab") {
		t.Errorf("provisioning print:\n%s", out)
	}
	if out := m.cli(t, "security", "print"); strings.Contains(out, "office-passphrase") || !strings.Contains(out, `passphrase=********`) {
		t.Errorf("security print shows the passphrase:\n%s", out)
	}
	m.cli(t, "provisioning", "move", "0")
	if out := m.cli(t, "provisioning", "print"); !strings.Contains(strings.Split(out, "\n")[2], "action=none") {
		t.Errorf("after move to the end:\n%s", out)
	}

	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"configuration", "set", "office", "ssid=" + strings.Repeat("x", 33)}, 1, `configuration ssid="` + strings.Repeat("x", 33) + `": want 1 to 32 bytes, have 33`},
		{[]string{"configuration", "set", "office", "channel.width=60"}, 1, `channel.width="60": want one of 20, 40, 80, 160`},
		{[]string{"configuration", "set", "office", "colour=blue"}, 2, `unknown parameter "colour"`},
		{[]string{"configuration", "set", "nope", "ssid=x"}, 1, `configuration "nope": no such item`},
		{[]string{"security", "remove", "psk"}, 1, `security "psk" is in use by configuration "office"`},
		{[]string{"configuration", "frobnicate"}, 2, `unknown verb "frobnicate"`},
	} {
		out, err := m.try(tt.args...)
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		first := strings.SplitN(out, "\n", 2)[0]
		if code != tt.code || !strings.Contains(first, tt.want) {
			t.Errorf("%v: exit %d, first line %q; want exit %d and %q", tt.args, code, first, tt.code, tt.want)
		}
	}
	m.cli(t, "provisioning", "remove", "0")
	m.cli(t, "provisioning", "remove", "0")
	m.cli(t, "configuration", "remove", "office")
	m.cli(t, "security", "remove", "psk")
	if out := m.cli(t, "configuration", "print", "--json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("after removal: %s", out)
	}
}

// TestConfigSurvivesKill9 kills the manager with SIGKILL at random moments
// while a client writes changes as fast as the API takes them, restarts
// it, and checks every time that the configuration file reads back whole
// and holds every acknowledged write.
func TestConfigSurvivesKill9(t *testing.T) {
	bin := binaries(t)
	state := t.TempDir()
	const rounds = 12
	var acked, attempted int64
	writes := 0
	for round := range rounds {
		cmd := exec.Command(filepath.Join(bin, "capstan-manager"), "serve", "--state-dir", state,
			"--listen", "127.0.0.1:0", "--http", "")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var c *api.Client
		waitFor(t, 10*time.Second, "the API", func() bool {
			os.Remove(filepath.Join(state, api.AddressFile+".stale"))
			cl, err := api.NewClient(state)
			if err != nil {
				return false
			}
			var mgr map[string]any
			if cl.Get(context.Background(), "/api/v1/manager", &mgr) != nil {
				return false
			}
			c = cl
			return true
		})
		stop := make(chan struct{})
		done := make(chan int)
		go func() {
			n := 0
			for {
				select {
				case <-stop:
					done <- n
					return
				default:
				}
				gen := atomic.AddInt64(&attempted, 1)
				// Each write changes the configuration, adds a rule and
				// prunes old ones, so the file grows and shrinks.
				body := map[string]any{"name": "office", "ssid": fmt.Sprintf("gen-%d", gen), "comment": strings.Repeat("c", int(gen%200))}
				method, path := "PATCH", "/api/v1/configuration/office"
				if gen == 1 {
					method, path = "POST", "/api/v1/configuration"
				}
				if err := c.Do(context.Background(), method, path, body, nil); err != nil {
					continue // the manager died mid-request
				}
				atomic.StoreInt64(&acked, gen)
				n++
				_ = c.Do(context.Background(), "POST", "/api/v1/provisioning", map[string]any{"action": "none", "comment": fmt.Sprint(gen)}, nil)
				var rules []map[string]any
				if c.Get(context.Background(), "/api/v1/provisioning", &rules) == nil && len(rules) > 20 {
					_ = c.Do(context.Background(), "DELETE", "/api/v1/provisioning/0", nil, nil)
				}
			}
		}()
		time.Sleep(time.Duration(30+rand.IntN(250)) * time.Millisecond)
		cmd.Process.Kill() // SIGKILL
		cmd.Wait()
		close(stop)
		writes += <-done

		store, err := model.Open(state)
		if err != nil {
			t.Fatalf("round %d: configuration unreadable after SIGKILL: %v", round, err)
		}
		office, ok := store.Config().Named("configuration", "office")
		if a := atomic.LoadInt64(&acked); a > 0 {
			var gen int64
			fmt.Sscanf(office.String("ssid"), "gen-%d", &gen)
			if !ok || gen < a || gen > atomic.LoadInt64(&attempted) {
				t.Fatalf("round %d: file has ssid %q, acknowledged gen-%d (attempted up to %d)", round, office.String("ssid"), a, attempted)
			}
		}
	}
	if writes < rounds {
		t.Fatalf("only %d acknowledged writes in %d rounds: the test did not exercise the store", writes, rounds)
	}
	t.Logf("%d rounds, %d acknowledged configuration writes, file intact and current after every SIGKILL", rounds, writes)
}
