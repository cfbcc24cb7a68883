package main

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/capstan-wifi/capstan/agent"
	"github.com/capstan-wifi/capstan/hal/sim"
)

func TestRun(t *testing.T) {
	tests := []struct {
		args      []string
		code      int
		stdout    string
		stderrHas string
	}{
		{args: []string{"--version"}, code: 0, stdout: program + " dev ("},
		{args: []string{"version"}, code: 0, stdout: program + " dev ("},
		{args: nil, code: 2, stderrHas: "usage: " + program},
		{args: []string{"frobnicate"}, code: 2, stderrHas: `unknown command "frobnicate"`},
		{args: []string{"--bogus"}, code: 2, stderrHas: "flag provided but not defined"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := run(tt.args, &out, &errOut)
		if code != tt.code {
			t.Errorf("run(%q) = %d, want %d (stderr %q)", tt.args, code, tt.code, errOut.String())
		}
		if !strings.HasPrefix(out.String(), tt.stdout) {
			t.Errorf("run(%q) stdout = %q, want prefix %q", tt.args, out.String(), tt.stdout)
		}
		if !strings.Contains(errOut.String(), tt.stderrHas) {
			t.Errorf("run(%q) stderr = %q, want it to contain %q", tt.args, errOut.String(), tt.stderrHas)
		}
	}
}

// TestOpenWrtBackendWithSimulatedRadios: --radios sim gives the OpenWrt
// backend radios without nl80211, so that it runs on OpenWrt's userspace
// on a machine with no Wi-Fi; wifi-devices find them by `option phy`.
func TestOpenWrtBackendWithSimulatedRadios(t *testing.T) {
	dir := t.TempDir()
	wireless := "\nconfig wifi-device 'radio0'\n\toption type 'mac80211'\n\toption phy 'sim1'\n\toption band '5g'\n\toption channel '36'\n\n"
	if err := os.WriteFile(filepath.Join(dir, "wireless"), []byte(wireless), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := sim.New(net.HardwareAddr{2, 0xca, 0x57, 0, 0, 1}, 2)
	if err != nil {
		t.Fatal(err)
	}
	h, err := realHAL("openwrt", agent.Config{}, simObserver{s}, filepath.Join(dir, "wireless"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	radios, err := h.Radios(context.Background())
	if err != nil || len(radios) != 1 || radios[0].Name != "radio0" || radios[0].MAC.String() != "02:ca:57:00:00:02" {
		t.Fatalf("Radios = %+v, %v; want radio0 on sim1", radios, err)
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"run", "--hal", "hostapd", "--radios", "sim"}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "for the openwrt backend") {
		t.Errorf("--hal hostapd --radios sim: %d %q", code, errOut.String())
	}
}

// TestCAPModeCommand: enable, status and disable through the command, on
// a root without OpenWrt's reload_config.
func TestCAPModeCommand(t *testing.T) {
	root := t.TempDir()
	net := "\nconfig device\n\toption name 'br-lan'\n\toption type 'bridge'\n\tlist ports 'eth0'\n\nconfig interface 'lan'\n\toption device 'br-lan'\n\toption proto 'static'\n\toption ipaddr '192.168.1.1'\n\n"
	if err := os.MkdirAll(filepath.Join(root, "etc/config"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/config/network"), []byte(net), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"cap-mode", "enable", "--root", root, "--reload=false"}, &out, &errOut); code != 0 {
		t.Fatalf("enable: %d %s", code, errOut.String())
	}
	out.Reset()
	if run([]string{"cap-mode", "status", "--root", root}, &out, &errOut); !strings.HasPrefix(out.String(), "enabled") {
		t.Errorf("status after enable: %q", out.String())
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/config/network")); !strings.Contains(string(b), "option proto 'dhcp'") {
		t.Errorf("network after enable:\n%s", b)
	}
	if code := run([]string{"cap-mode", "disable", "--root", root, "--reload=false"}, &out, &errOut); code != 0 {
		t.Fatalf("disable: %d %s", code, errOut.String())
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/config/network")); string(b) != net {
		t.Errorf("network after disable:\n%s", b)
	}
	if code := run([]string{"cap-mode", "frob"}, &out, &errOut); code != 2 {
		t.Errorf("cap-mode frob: %d", code)
	}
}
