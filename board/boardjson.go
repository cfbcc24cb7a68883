package board

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Board is what capstan reads of /etc/board.json.
type Board struct {
	Network map[string]Role `json:"network"`
	LED     map[string]LED  `json:"led"`
}

// Role is a network role (lan, wan) and its ports: a bridge's "ports"
// (DSA), one "device", or the swconfig era's "ifname".
type Role struct {
	Ports    []string `json:"ports"`
	Device   string   `json:"device"`
	Ifname   string   `json:"ifname"`
	Protocol string   `json:"protocol"`
}

// LED is one LED: its name under /sys/class/leds.
type LED struct {
	Name  string `json:"name"`
	Sysfs string `json:"sysfs"`
}

// maxBoardJSON bounds what ReadBoard reads.
const maxBoardJSON = 1 << 20

// ReadBoard reads a board.json.
func ReadBoard(path string) (*Board, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxBoardJSON+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxBoardJSON {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxBoardJSON)
	}
	var bd Board
	if err := json.Unmarshal(b, &bd); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &bd, nil
}

// EthernetPorts lists the ports of every network role, lan first, then
// wan, then the others by name, each once.
func (b *Board) EthernetPorts() []string {
	var roles []string
	for r := range b.Network {
		roles = append(roles, r)
	}
	slices.SortFunc(roles, func(x, y string) int {
		rank := func(r string) int {
			switch r {
			case "lan":
				return 0
			case "wan":
				return 1
			}
			return 2
		}
		if d := rank(x) - rank(y); d != 0 {
			return d
		}
		return strings.Compare(x, y)
	})
	var out []string
	for _, r := range roles {
		role := b.Network[r]
		ports := slices.Clone(role.Ports)
		for _, d := range []string{role.Device, role.Ifname} {
			ports = append(ports, strings.Fields(d)...)
		}
		for _, p := range ports {
			if p != "" && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// StatusLED is the LED that shows CAP mode: one named for the system's
// state (status, power, system, sys), else the first by key; "" if none.
func (b *Board) StatusLED() string {
	var keys []string
	for k := range b.LED {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, want := range []string{"status", "power", "system", "sys"} {
		for _, k := range keys {
			if l := b.LED[k]; strings.Contains(strings.ToLower(k+" "+l.Name+" "+l.Sysfs), want) && l.Sysfs != "" {
				return l.Sysfs
			}
		}
	}
	for _, k := range keys {
		if s := b.LED[k].Sysfs; s != "" {
			return s
		}
	}
	return ""
}
