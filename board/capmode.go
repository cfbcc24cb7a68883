package board

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/capstan-wifi/capstan/internal/uci"
	"github.com/capstan-wifi/capstan/pki"
)

// Paths under the root that CAP mode uses.
const (
	BackupDir = "etc/capstan/cap-mode-backup"
	boardJSON = "etc/board.json"
	absent    = "ABSENT" // in BackupDir: the backed-up files that did not exist
)

// Backed lists the configuration files CAP mode backs up and restores:
// those it changes and the wireless configuration the agent then rewrites.
var Backed = []string{"etc/config/network", "etc/config/dhcp", "etc/config/wireless", "etc/config/capstan"}

// CAPMode switches the AP under Root ("/" on an AP) into and out of CAP
// mode.
type CAPMode struct {
	Root string
}

func (m CAPMode) path(rel string) string { return filepath.Join(m.Root, rel) }

// Active reports whether the AP is in CAP mode (a backup exists).
func (m CAPMode) Active() bool {
	_, err := os.Stat(m.path(BackupDir))
	return err == nil
}

// Enable backs up the configuration (once: enabling again keeps the first
// backup) and rewrites it for CAP mode. It returns the files it changed.
func (m CAPMode) Enable() ([]string, error) {
	var ports []string
	if bd, err := ReadBoard(m.path(boardJSON)); err == nil {
		ports = bd.EthernetPorts()
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if !m.Active() {
		if err := m.backup(); err != nil {
			return nil, fmt.Errorf("cap mode: backup: %w", err)
		}
	}
	var changed []string
	for _, e := range []struct {
		file string
		edit func([]uci.Section) ([]uci.Section, error)
	}{
		{"etc/config/network", func(s []uci.Section) ([]uci.Section, error) { return capNetwork(s, ports) }},
		{"etc/config/dhcp", capDHCP},
		{"etc/config/capstan", capAgent},
	} {
		ok, err := m.edit(e.file, e.edit)
		if err != nil {
			return changed, fmt.Errorf("cap mode: %s: %w", e.file, err)
		}
		if ok {
			changed = append(changed, "/"+e.file)
		}
	}
	return changed, nil
}

// Disable restores the backup and removes it.
func (m CAPMode) Disable() error {
	if !m.Active() {
		return errors.New("cap mode: not enabled (no backup in /" + BackupDir + ")")
	}
	gone := map[string]bool{}
	if b, err := os.ReadFile(m.path(filepath.Join(BackupDir, absent))); err == nil {
		for _, f := range strings.Fields(string(b)) {
			gone[f] = true
		}
	}
	for _, f := range Backed {
		if gone[f] {
			if err := os.Remove(m.path(f)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			continue
		}
		saved := m.path(filepath.Join(BackupDir, f))
		b, err := os.ReadFile(saved)
		if err != nil {
			return fmt.Errorf("cap mode: restore %s: %w", f, err)
		}
		fi, err := os.Stat(saved)
		if err != nil {
			return err
		}
		if err := pki.WriteFileAtomic(m.path(f), b, fi.Mode().Perm()); err != nil {
			return fmt.Errorf("cap mode: restore %s: %w", f, err)
		}
	}
	return os.RemoveAll(m.path(BackupDir))
}

// backup copies the files to BackupDir (written whole before it is
// renamed into place, so that a half-made backup is never taken for one).
func (m CAPMode) backup() error {
	tmp := m.path(BackupDir) + ".new"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	var missing []string
	for _, f := range Backed {
		fi, err := os.Stat(m.path(f))
		if errors.Is(err, os.ErrNotExist) {
			missing = append(missing, f)
			continue
		}
		if err != nil {
			return err
		}
		b, err := os.ReadFile(m.path(f))
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(tmp, filepath.Dir(f)), 0o700); err != nil {
			return err
		}
		if err := pki.WriteFileAtomic(filepath.Join(tmp, f), b, fi.Mode().Perm()); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return err
	}
	if err := pki.WriteFileAtomic(filepath.Join(tmp, absent), []byte(strings.Join(missing, "\n")+"\n"), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, m.path(BackupDir))
}

// edit rewrites one UCI file (an absent one is empty) and reports whether
// it changed.
func (m CAPMode) edit(file string, f func([]uci.Section) ([]uci.Section, error)) (bool, error) {
	path := m.path(file)
	old, err := os.ReadFile(path)
	mode := os.FileMode(0o644)
	switch {
	case err == nil:
		if fi, err := os.Stat(path); err == nil {
			mode = fi.Mode().Perm()
		}
	case errors.Is(err, os.ErrNotExist):
		old, mode = nil, 0o600
	default:
		return false, err
	}
	secs, err := uci.Parse(bytes.NewReader(old))
	if err != nil {
		return false, err
	}
	secs, err = f(secs)
	if err != nil {
		return false, err
	}
	if old == nil && len(secs) == 0 {
		return false, nil // nothing to say in a file that does not exist
	}
	next, err := uci.Format(secs)
	if err != nil {
		return false, err
	}
	if bytes.Equal(next, old) {
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, err
	}
	return true, pki.WriteFileAtomic(path, next, mode)
}

// capNetwork puts every Ethernet port into br-lan with a DHCP client on
// lan that asks for option 138 (the manager's addresses), and removes the
// wan interfaces whose ports went into the bridge. Other interfaces and
// devices are kept.
func capNetwork(secs []uci.Section, ports []string) ([]uci.Section, error) {
	br := slices.IndexFunc(secs, func(s uci.Section) bool { return s.Type == "device" && s.Get("name") == "br-lan" })
	lan := slices.IndexFunc(secs, func(s uci.Section) bool { return s.Type == "interface" && s.Name == "lan" })
	wanDevs := map[string]bool{}
	for _, s := range secs {
		if s.Type == "interface" && (s.Name == "wan" || s.Name == "wan6") {
			for _, d := range strings.Fields(s.Get("device") + " " + s.Get("ifname")) {
				wanDevs[d] = true
			}
		}
	}
	var bridged []string
	if br >= 0 {
		bridged = slices.Clone(secs[br].GetList("ports"))
	} else if lan >= 0 {
		// Before OpenWrt 21.02: the bridge was the interface's, its ports ifname.
		bridged = strings.Fields(secs[lan].Get("ifname"))
	}
	for _, p := range append(ports, sortedKeys(wanDevs)...) {
		if !slices.Contains(bridged, p) && !strings.HasPrefix(p, "br-") {
			bridged = append(bridged, p)
		}
	}
	if len(bridged) == 0 {
		return nil, errors.New("no Ethernet port found (neither /etc/board.json nor br-lan lists one)")
	}
	var out []uci.Section
	for _, s := range secs {
		if s.Type == "interface" && (s.Name == "wan" || s.Name == "wan6") {
			continue
		}
		out = append(out, s)
	}
	br = slices.IndexFunc(out, func(s uci.Section) bool { return s.Type == "device" && s.Get("name") == "br-lan" })
	if br < 0 {
		out = append(out, uci.Section{Type: "device", Options: []uci.Option{{Name: "name", Values: []string{"br-lan"}}, {Name: "type", Values: []string{"bridge"}}}})
		br = len(out) - 1
	}
	out[br].SetList("ports", bridged)
	lan = slices.IndexFunc(out, func(s uci.Section) bool { return s.Type == "interface" && s.Name == "lan" })
	if lan < 0 {
		out = append(out, uci.Section{Type: "interface", Name: "lan"})
		lan = len(out) - 1
	}
	s := &out[lan]
	for _, o := range []string{"ipaddr", "netmask", "gateway", "broadcast", "ip6assign", "ip6addr", "ifname", "type", "dns"} {
		s.Set(o, "") // removes an option or a list
	}
	s.Set("device", "br-lan")
	s.Set("proto", "dhcp")
	s.Set("reqopts", "138")
	return out, nil
}

// capDHCP stops serving DHCP and router advertisements on lan: a CAP is a
// client of the network it joins.
func capDHCP(secs []uci.Section) ([]uci.Section, error) {
	for i := range secs {
		if secs[i].Type == "dhcp" && (secs[i].Name == "lan" || secs[i].Get("interface") == "lan") {
			secs[i].Set("ignore", "1")
			secs[i].Set("dhcpv4", "disabled")
			secs[i].Set("dhcpv6", "disabled")
			secs[i].Set("ra", "disabled")
		}
	}
	return secs, nil
}

// capAgent enables the agent with every discovery method on br-lan and
// br-lan as the WLANs' bridge.
func capAgent(secs []uci.Section) ([]uci.Section, error) {
	i := slices.IndexFunc(secs, func(s uci.Section) bool { return s.Type == "agent" })
	if i < 0 {
		secs = append(secs, uci.Section{Type: "agent", Name: "agent"})
		i = len(secs) - 1
	}
	s := &secs[i]
	s.Set("enabled", "1")
	s.SetList("discovery", []string{"dhcp", "broadcast", "layer2"})
	s.SetList("discovery_interfaces", []string{"br-lan"})
	s.Set("bridge", "br-lan")
	return secs, nil
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
