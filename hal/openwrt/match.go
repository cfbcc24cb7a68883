package openwrt

import (
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/capstan-wifi/capstan/hal"
	"github.com/capstan-wifi/capstan/internal/uci"
)

// phyPaths returns each phy's OpenWrt device path: its device under
// /sys/devices (platform/soc/18000000.wifi, pci0000:00/0000:00:01.0,
// virtual/mac80211_hwsim/hwsim0), with +N for the N-th further phy of the
// same device in phy index order, as OpenWrt's wifi scripts write
// `option path`. A phy whose device cannot be read has no path.
func phyPaths(sysfs string, phys []hal.Radio) map[string]string {
	type entry struct {
		name string
		idx  int
	}
	byDev := map[string][]entry{}
	for _, p := range phys {
		link, err := filepath.EvalSymlinks(filepath.Join(sysfs, "class/ieee80211", p.Name, "device"))
		if err != nil {
			continue
		}
		rel, err := filepath.Rel(filepath.Join(sysfs, "devices"), link)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		idx, _ := strconv.Atoi(strings.TrimPrefix(p.Name, "phy"))
		byDev[rel] = append(byDev[rel], entry{p.Name, idx})
	}
	out := map[string]string{}
	for dev, es := range byDev {
		// sort.Slice: slices.SortFunc would add about 12 KB of code for
		// entry to the AP's agent package.
		sort.Slice(es, func(i, j int) bool { return es[i].idx < es[j].idx })
		for i, e := range es {
			out[e.name] = dev
			if i > 0 {
				out[e.name] = dev + "+" + strconv.Itoa(i)
			}
		}
	}
	return out
}

// matchPhy finds the phy a wifi-device drives the way OpenWrt does: by
// `option path`, else by `option macaddr`, else by `option phy`. A phy
// already taken by an earlier wifi-device is not matched again.
func matchPhy(s uci.Section, phys []hal.Radio, paths map[string]string, taken map[string]bool) (hal.Radio, bool) {
	find := func(ok func(hal.Radio) bool) (hal.Radio, bool) {
		for _, p := range phys {
			if !taken[p.Name] && ok(p) {
				return p, true
			}
		}
		return hal.Radio{}, false
	}
	if path := s.Get("path"); path != "" {
		return find(func(p hal.Radio) bool { return paths[p.Name] == path })
	}
	if mac := s.Get("macaddr"); mac != "" {
		return find(func(p hal.Radio) bool { return strings.EqualFold(p.MAC.String(), mac) })
	}
	if phy := s.Get("phy"); phy != "" {
		return find(func(p hal.Radio) bool { return p.Name == phy })
	}
	return hal.Radio{}, false
}

// apMode reports whether a wifi-iface is an access point (mode ap, the
// default). Stations, mesh points, ad-hoc and monitor interfaces on a
// managed radio are the AP's uplink or backhaul and are left alone.
func apMode(s uci.Section) bool {
	m := s.Get("mode")
	return m == "" || m == "ap"
}

// ownNetwork is the network of the AP's own access-point wifi-iface on a
// device, "" if it has none.
func ownNetwork(secs []uci.Section, device string) string {
	for _, s := range secs {
		if s.Type == "wifi-iface" && !strings.HasPrefix(s.Name, "capstan_") && s.Get("device") == device && apMode(s) {
			if n := s.Get("network"); n != "" {
				return strings.Fields(n)[0]
			}
		}
	}
	return ""
}
