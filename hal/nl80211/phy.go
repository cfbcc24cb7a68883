package nl80211

import (
	"context"
	"encoding/binary"
	"fmt"
	"sort"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/capstan-wifi/capstan/hal"
)

var noDeadline time.Time

// PHY is one radio as nl80211 describes it.
type PHY struct {
	Index int
	Name  string
	Bands []hal.BandInfo
	// SupportedTypes are the nl80211 interface types (NL80211_IFTYPE_*).
	SupportedTypes []int
	Combinations   []Combination
	AntennaTx      uint32
	AntennaRx      uint32
}

// Combination is one interface combination the radio supports.
type Combination struct {
	MaxInterfaces int
	NumChannels   int
	Limits        []Limit
}

// Limit allows up to Max interfaces of the given types at once.
type Limit struct {
	Max   int
	Types []int
}

// MaxAP is the most AP interfaces any of the radio's combinations allows; a
// radio without combinations runs one.
func (p PHY) MaxAP() int {
	best := 0
	for _, c := range p.Combinations {
		for _, l := range c.Limits {
			for _, t := range l.Types {
				if t == unix.NL80211_IFTYPE_AP {
					best = max(best, min(l.Max, c.MaxInterfaces))
				}
			}
		}
	}
	if best == 0 && p.supports(unix.NL80211_IFTYPE_AP) {
		best = 1
	}
	return best
}

func (p PHY) supports(t int) bool {
	for _, s := range p.SupportedTypes {
		if s == t {
			return true
		}
	}
	return false
}

// PHYs lists the radios, each merged from the kernel's split dump.
func (c *Conn) PHYs(ctx context.Context) ([]PHY, error) {
	msgs, err := c.execute(ctx, unix.NL80211_CMD_GET_WIPHY, netlink.Dump, func(ae *netlink.AttributeEncoder) {
		ae.Flag(unix.NL80211_ATTR_SPLIT_WIPHY_DUMP, true)
	})
	if err != nil {
		return nil, err
	}
	byIndex := map[int]*phyBuilder{}
	var order []int
	for _, m := range msgs {
		if err := parseWiphy(m.Data, byIndex, &order); err != nil {
			return nil, err
		}
	}
	out := make([]PHY, 0, len(order))
	for _, i := range order {
		out = append(out, byIndex[i].build())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out, nil
}

// phyBuilder gathers one phy from several split-dump messages.
type phyBuilder struct {
	PHY
	bands map[int]*hal.BandInfo
}

func (b *phyBuilder) build() PHY {
	p := b.PHY
	idx := make([]int, 0, len(b.bands))
	for i := range b.bands {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	for _, i := range idx {
		bi := *b.bands[i]
		sort.Slice(bi.Channels, func(x, y int) bool { return bi.Channels[x].FrequencyMHz < bi.Channels[y].FrequencyMHz })
		p.Bands = append(p.Bands, bi)
	}
	return p
}

func parseWiphy(data []byte, byIndex map[int]*phyBuilder, order *[]int) error {
	attrs, err := netlink.UnmarshalAttributes(data)
	if err != nil {
		return fmt.Errorf("nl80211: parse wiphy: %w", err)
	}
	idx := -1
	for _, a := range attrs {
		if a.Type == unix.NL80211_ATTR_WIPHY && len(a.Data) == 4 {
			idx = int(binary.NativeEndian.Uint32(a.Data))
		}
	}
	if idx < 0 {
		return fmt.Errorf("nl80211: wiphy message without a wiphy index")
	}
	b := byIndex[idx]
	if b == nil {
		b = &phyBuilder{PHY: PHY{Index: idx}, bands: map[int]*hal.BandInfo{}}
		byIndex[idx] = b
		*order = append(*order, idx)
	}
	ad, err := netlink.NewAttributeDecoder(data)
	if err != nil {
		return err
	}
	for ad.Next() {
		switch ad.Type() {
		case unix.NL80211_ATTR_WIPHY_NAME:
			b.Name = ad.String()
		case unix.NL80211_ATTR_WIPHY_BANDS:
			ad.Nested(func(nad *netlink.AttributeDecoder) error { return parseBands(nad, b.bands) })
		case unix.NL80211_ATTR_SUPPORTED_IFTYPES:
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				for nad.Next() {
					b.SupportedTypes = append(b.SupportedTypes, int(nad.Type()))
				}
				return nil
			})
		case unix.NL80211_ATTR_INTERFACE_COMBINATIONS:
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				for nad.Next() {
					var comb Combination
					nad.Nested(func(cad *netlink.AttributeDecoder) error { return parseCombination(cad, &comb) })
					b.Combinations = append(b.Combinations, comb)
				}
				return nil
			})
		case unix.NL80211_ATTR_WIPHY_ANTENNA_AVAIL_TX:
			b.AntennaTx = ad.Uint32()
		case unix.NL80211_ATTR_WIPHY_ANTENNA_AVAIL_RX:
			b.AntennaRx = ad.Uint32()
		}
	}
	if err := ad.Err(); err != nil {
		return fmt.Errorf("nl80211: parse wiphy %d: %w", idx, err)
	}
	return nil
}

// nl80211 band indices (enum nl80211_band).
var bandByIndex = map[int]hal.Band{
	unix.NL80211_BAND_2GHZ: hal.Band2GHz,
	unix.NL80211_BAND_5GHZ: hal.Band5GHz,
	unix.NL80211_BAND_6GHZ: hal.Band6GHz,
}

func parseBands(ad *netlink.AttributeDecoder, bands map[int]*hal.BandInfo) error {
	for ad.Next() {
		idx := int(ad.Type())
		band, ok := bandByIndex[idx]
		if !ok {
			continue // 60 GHz, S1G, LC: not APs capstan runs
		}
		bi := bands[idx]
		if bi == nil {
			bi = &hal.BandInfo{Band: band}
			bands[idx] = bi
		}
		ad.Nested(func(bad *netlink.AttributeDecoder) error {
			for bad.Next() {
				switch bad.Type() {
				case unix.NL80211_BAND_ATTR_HT_CAPA:
					capa := binary.LittleEndian.Uint16(pad(bad.Bytes(), 2))
					bi.HT = true
					bi.HT40 = capa&(1<<1) != 0 // SUP_WIDTH_20_40
				case unix.NL80211_BAND_ATTR_VHT_CAPA:
					capa := binary.LittleEndian.Uint32(pad(bad.Bytes(), 4))
					bi.VHT = true
					bi.VHT160 = (capa>>2)&3 != 0 // supported channel width set
				case unix.NL80211_BAND_ATTR_IFTYPE_DATA:
					bi.HE = true
				case unix.NL80211_BAND_ATTR_FREQS:
					bad.Nested(func(fad *netlink.AttributeDecoder) error {
						for fad.Next() {
							var ch hal.Channel
							fad.Nested(func(cad *netlink.AttributeDecoder) error { return parseFreq(cad, &ch) })
							if ch.FrequencyMHz != 0 {
								bi.Channels = append(bi.Channels, ch)
							}
						}
						return nil
					})
				}
			}
			return nil
		})
	}
	return nil
}

func parseFreq(ad *netlink.AttributeDecoder, ch *hal.Channel) error {
	for ad.Next() {
		switch ad.Type() {
		case unix.NL80211_FREQUENCY_ATTR_FREQ:
			ch.FrequencyMHz = int(ad.Uint32())
			ch.Number = ChannelNumber(ch.FrequencyMHz)
		case unix.NL80211_FREQUENCY_ATTR_DISABLED:
			ch.Disabled = true
		case unix.NL80211_FREQUENCY_ATTR_NO_IR:
			ch.NoIR = true
		case unix.NL80211_FREQUENCY_ATTR_RADAR:
			ch.Radar = true
		case unix.NL80211_FREQUENCY_ATTR_INDOOR_ONLY:
			ch.Indoor = true
		case unix.NL80211_FREQUENCY_ATTR_DFS_STATE:
			ch.DFS = hal.DFSState(ad.Uint32())
		case unix.NL80211_FREQUENCY_ATTR_MAX_TX_POWER:
			ch.MaxPowerDBm = float64(ad.Uint32()) / 100 // mBm
		}
	}
	return nil
}

func parseCombination(ad *netlink.AttributeDecoder, comb *Combination) error {
	for ad.Next() {
		switch ad.Type() {
		case unix.NL80211_IFACE_COMB_MAXNUM:
			comb.MaxInterfaces = int(ad.Uint32())
		case unix.NL80211_IFACE_COMB_NUM_CHANNELS:
			comb.NumChannels = int(ad.Uint32())
		case unix.NL80211_IFACE_COMB_LIMITS:
			ad.Nested(func(lad *netlink.AttributeDecoder) error {
				for lad.Next() {
					var l Limit
					lad.Nested(func(xad *netlink.AttributeDecoder) error {
						for xad.Next() {
							switch xad.Type() {
							case unix.NL80211_IFACE_LIMIT_MAX:
								l.Max = int(xad.Uint32())
							case unix.NL80211_IFACE_LIMIT_TYPES:
								xad.Nested(func(tad *netlink.AttributeDecoder) error {
									for tad.Next() {
										l.Types = append(l.Types, int(tad.Type()))
									}
									return nil
								})
							}
						}
						return nil
					})
					comb.Limits = append(comb.Limits, l)
				}
				return nil
			})
		}
	}
	return nil
}

// ChannelNumber is the IEEE channel number of a centre frequency in MHz
// (IEEE 802.11-2020 §E.1), 0 when the frequency is in no known band.
func ChannelNumber(mhz int) int {
	switch {
	case mhz == 2484:
		return 14
	case mhz >= 2412 && mhz < 2484:
		return (mhz - 2407) / 5
	case mhz == 5935:
		return 2
	case mhz > 5950 && mhz <= 7115:
		return (mhz - 5950) / 5
	case mhz >= 4910 && mhz <= 5895:
		return (mhz - 5000) / 5
	}
	return 0
}

// pad returns b extended with zeros to n bytes, so that a short attribute
// from an unusual kernel does not panic the decoder.
func pad(b []byte, n int) []byte {
	if len(b) >= n {
		return b
	}
	return append(append([]byte(nil), b...), make([]byte, n-len(b))...)
}
