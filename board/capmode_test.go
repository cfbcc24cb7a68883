package board

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// copyTree copies testdata/<name> into a fresh root.
func copyTree(t *testing.T, name string) string {
	t.Helper()
	root := t.TempDir()
	src := filepath.Join("testdata", name)
	err := filepath.Walk(src, func(path string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dst := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// snapshot reads the backed-up files of a root ("" for an absent one).
func snapshot(t *testing.T, root string) map[string]string {
	out := map[string]string{}
	for _, f := range Backed {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		out[f] = string(b)
	}
	return out
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		_ = os.WriteFile(path, got, 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

// TestCAPModeRoundTrip: enabling CAP mode on a DSA router bridges every
// Ethernet port (board.json's lan ports and wan) into br-lan with a DHCP
// client asking for option 138, stops the DHCP server and enables the
// agent, as the golden files show; enabling again changes nothing and
// keeps the first backup; disabling restores every file byte for byte.
func TestCAPModeRoundTrip(t *testing.T) {
	for _, tree := range []string{"dsa", "swconfig"} {
		t.Run(tree, func(t *testing.T) {
			root := copyTree(t, tree)
			before := snapshot(t, root)
			m := CAPMode{Root: root}
			if m.Active() {
				t.Fatal("active before enable")
			}
			changed, err := m.Enable()
			if err != nil {
				t.Fatal(err)
			}
			if !m.Active() {
				t.Fatal("not active after enable")
			}
			t.Logf("changed: %v", changed)
			for _, f := range []string{"etc/config/network", "etc/config/dhcp", "etc/config/capstan"} {
				b, _ := os.ReadFile(filepath.Join(root, f))
				golden(t, filepath.Join("testdata", "golden", tree, filepath.Base(f)), b)
			}
			if fi, err := os.Stat(filepath.Join(root, "etc/config/capstan")); err != nil || (tree == "swconfig" && fi.Mode().Perm() != 0o600) {
				t.Errorf("capstan config: %v %v", fi, err)
			}
			after := snapshot(t, root)
			if again, err := m.Enable(); err != nil || len(again) != 0 {
				t.Errorf("second enable changed %v (%v)", again, err)
			}
			if diff := cmp.Diff(after, snapshot(t, root)); diff != "" {
				t.Errorf("second enable (-first +second):\n%s", diff)
			}
			if err := m.Disable(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(before, snapshot(t, root)); diff != "" {
				t.Errorf("after disable (-before +after):\n%s", diff)
			}
			if _, err := os.Stat(filepath.Join(root, "etc/config/capstan")); tree == "swconfig" && !os.IsNotExist(err) {
				t.Errorf("the capstan config CAP mode created outlived disable: %v", err)
			}
			if m.Active() {
				t.Error("still active after disable")
			}
			if err := m.Disable(); err == nil {
				t.Error("disable without a backup succeeded")
			}
		})
	}
}

// TestCAPModeRefusesWhatItCannotRead: a configuration libuci would refuse
// is not rewritten, and the backup taken stays for disable.
func TestCAPModeRefusesWhatItCannotRead(t *testing.T) {
	root := copyTree(t, "dsa")
	bad := []byte("config interface 'lan\n")
	if err := os.WriteFile(filepath.Join(root, "etc/config/network"), bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := (CAPMode{Root: root}).Enable(); err == nil {
		t.Fatal("enabled on an unreadable network configuration")
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/config/network")); !bytes.Equal(b, bad) {
		t.Error("the unreadable file was changed")
	}
}

func TestBoardJSON(t *testing.T) {
	bd, err := ReadBoard("testdata/dsa/etc/board.json")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"lan1", "lan2", "lan3", "lan4", "wan"}, bd.EthernetPorts()); diff != "" {
		t.Errorf("ports (-want +got):\n%s", diff)
	}
	if got := bd.StatusLED(); got != "green:power" {
		t.Errorf("status LED %q", got)
	}
	root := t.TempDir()
	dir := filepath.Join(root, "sys/class/leds/green:power")
	_ = os.MkdirAll(dir, 0o755)
	if err := Blink(root, bd.StatusLED(), 100e6, 100e6); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "trigger")); string(b) != "timer" {
		t.Errorf("trigger %q", b)
	}
}
