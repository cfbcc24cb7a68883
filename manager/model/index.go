package model

// configIndex finds items by name and interfaces by radio and master in
// constant time: a fleet of 20,000 static interfaces would otherwise cost a
// scan of all of them for every lookup while a CAP is provisioned.
type configIndex struct {
	named    map[string]map[string]int // resource → name → position
	radioMAC map[string]int            // interface radio-mac → position
	slaves   map[string][]int          // master-interface → positions, in order
}

// index returns c's index, built at first use. Every change of c drops it
// (a Config changes only before a Store publishes it).
func (c *Config) index() *configIndex {
	if ix := c.idx.Load(); ix != nil {
		return ix
	}
	ix := &configIndex{named: map[string]map[string]int{}, radioMAC: map[string]int{}, slaves: map[string][]int{}}
	for res, list := range c.items {
		m := make(map[string]int, len(list))
		for i, it := range list {
			if n := it.Name(); n != "" {
				if _, dup := m[n]; !dup {
					m[n] = i
				}
			}
		}
		ix.named[res] = m
	}
	for i, it := range c.items["interface"] {
		if mac := it.String("radio-mac"); mac != "" {
			if _, dup := ix.radioMAC[mac]; !dup {
				ix.radioMAC[mac] = i
			}
		}
		if m := it.String("master-interface"); m != "" {
			ix.slaves[m] = append(ix.slaves[m], i)
		}
	}
	c.idx.Store(ix)
	return ix
}

func (c *Config) changed() { c.idx.Store(nil) }

// InterfaceByRadioMAC returns the first interface bound to radio mac.
func (c *Config) InterfaceByRadioMAC(mac string) (Item, bool) {
	i, ok := c.index().radioMAC[mac]
	if !ok {
		return Item{}, false
	}
	return c.items["interface"][i], true
}

// Slaves returns the interfaces whose master-interface is master, in order.
func (c *Config) Slaves(master string) []Item {
	pos := c.index().slaves[master]
	out := make([]Item, len(pos))
	for j, i := range pos {
		out[j] = c.items["interface"][i]
	}
	return out
}
