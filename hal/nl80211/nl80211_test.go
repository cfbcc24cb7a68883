package nl80211

import (
	"context"
	"encoding/binary"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/genetlink/genltest"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/capstan-wifi/capstan/hal"
)

var family = genetlink.Family{ID: 28, Version: 1, Name: unix.NL80211_GENL_NAME,
	Groups: []genetlink.MulticastGroup{{ID: 5, Name: "mlme"}, {ID: 6, Name: "scan"}}}

// fake answers nl80211 commands from a table of replies and records the
// requests it saw.
type fake struct {
	t        *testing.T
	replies  map[uint8][]genetlink.Message
	requests []genetlink.Message
}

func (f *fake) dial() *Conn {
	c, err := New(genltest.Dial(genltest.ServeFamily(family, func(greq genetlink.Message, nreq netlink.Message) ([]genetlink.Message, error) {
		f.requests = append(f.requests, greq)
		return f.replies[greq.Header.Command], nil
	})))
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { c.Close() })
	return c
}

func encode(t *testing.T, cmd uint8, fn func(ae *netlink.AttributeEncoder)) genetlink.Message {
	t.Helper()
	ae := netlink.NewAttributeEncoder()
	fn(ae)
	b, err := ae.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return genetlink.Message{Header: genetlink.Header{Command: cmd, Version: family.Version}, Data: b}
}

func freq(ae *netlink.AttributeEncoder, mhz uint32, flags ...uint16) {
	ae.Uint32(unix.NL80211_FREQUENCY_ATTR_FREQ, mhz)
	ae.Uint32(unix.NL80211_FREQUENCY_ATTR_MAX_TX_POWER, 2000)
	for _, f := range flags {
		if f == unix.NL80211_FREQUENCY_ATTR_DFS_STATE {
			ae.Uint32(f, uint32(hal.DFSUnavailable))
			continue
		}
		ae.Flag(f, true)
	}
}

// wiphyMessages is a split dump of two phys: phy0 spread over three
// messages (name and iftypes; 2.4 GHz; 5 GHz with DFS), phy1 in one.
func wiphyMessages(t *testing.T) []genetlink.Message {
	return []genetlink.Message{
		encode(t, unix.NL80211_CMD_NEW_WIPHY, func(ae *netlink.AttributeEncoder) {
			ae.Uint32(unix.NL80211_ATTR_WIPHY, 0)
			ae.String(unix.NL80211_ATTR_WIPHY_NAME, "phy0")
			ae.Nested(unix.NL80211_ATTR_SUPPORTED_IFTYPES, func(nae *netlink.AttributeEncoder) error {
				nae.Flag(unix.NL80211_IFTYPE_STATION, true)
				nae.Flag(unix.NL80211_IFTYPE_AP, true)
				return nil
			})
			ae.Nested(unix.NL80211_ATTR_INTERFACE_COMBINATIONS, func(nae *netlink.AttributeEncoder) error {
				nae.Nested(1, func(cae *netlink.AttributeEncoder) error {
					cae.Nested(unix.NL80211_IFACE_COMB_LIMITS, func(lae *netlink.AttributeEncoder) error {
						lae.Nested(1, func(xae *netlink.AttributeEncoder) error {
							xae.Uint32(unix.NL80211_IFACE_LIMIT_MAX, 8)
							xae.Nested(unix.NL80211_IFACE_LIMIT_TYPES, func(tae *netlink.AttributeEncoder) error {
								tae.Flag(unix.NL80211_IFTYPE_AP, true)
								return nil
							})
							return nil
						})
						return nil
					})
					cae.Uint32(unix.NL80211_IFACE_COMB_MAXNUM, 4)
					cae.Uint32(unix.NL80211_IFACE_COMB_NUM_CHANNELS, 1)
					return nil
				})
				return nil
			})
		}),
		encode(t, unix.NL80211_CMD_NEW_WIPHY, func(ae *netlink.AttributeEncoder) {
			ae.Uint32(unix.NL80211_ATTR_WIPHY, 0)
			ae.Nested(unix.NL80211_ATTR_WIPHY_BANDS, func(bae *netlink.AttributeEncoder) error {
				bae.Nested(unix.NL80211_BAND_2GHZ, func(b *netlink.AttributeEncoder) error {
					b.Bytes(unix.NL80211_BAND_ATTR_HT_CAPA, []byte{0x02, 0x00}) // 20/40
					b.Nested(unix.NL80211_BAND_ATTR_FREQS, func(f *netlink.AttributeEncoder) error {
						f.Nested(0, func(c *netlink.AttributeEncoder) error { freq(c, 2412); return nil })
						f.Nested(1, func(c *netlink.AttributeEncoder) error {
							freq(c, 2484, unix.NL80211_FREQUENCY_ATTR_DISABLED)
							return nil
						})
						return nil
					})
					return nil
				})
				return nil
			})
		}),
		encode(t, unix.NL80211_CMD_NEW_WIPHY, func(ae *netlink.AttributeEncoder) {
			ae.Uint32(unix.NL80211_ATTR_WIPHY, 0)
			ae.Nested(unix.NL80211_ATTR_WIPHY_BANDS, func(bae *netlink.AttributeEncoder) error {
				bae.Nested(unix.NL80211_BAND_5GHZ, func(b *netlink.AttributeEncoder) error {
					b.Bytes(unix.NL80211_BAND_ATTR_VHT_CAPA, []byte{0x04, 0, 0, 0}) // 160 MHz
					b.Nested(unix.NL80211_BAND_ATTR_FREQS, func(f *netlink.AttributeEncoder) error {
						f.Nested(0, func(c *netlink.AttributeEncoder) error {
							freq(c, 5260, unix.NL80211_FREQUENCY_ATTR_RADAR, unix.NL80211_FREQUENCY_ATTR_DFS_STATE)
							return nil
						})
						f.Nested(1, func(c *netlink.AttributeEncoder) error {
							freq(c, 5180, unix.NL80211_FREQUENCY_ATTR_NO_IR, unix.NL80211_FREQUENCY_ATTR_INDOOR_ONLY)
							return nil
						})
						return nil
					})
					return nil
				})
				bae.Nested(unix.NL80211_BAND_60GHZ, func(b *netlink.AttributeEncoder) error { return nil })
				return nil
			})
		}),
		encode(t, unix.NL80211_CMD_NEW_WIPHY, func(ae *netlink.AttributeEncoder) {
			ae.Uint32(unix.NL80211_ATTR_WIPHY, 1)
			ae.String(unix.NL80211_ATTR_WIPHY_NAME, "phy1")
			ae.Nested(unix.NL80211_ATTR_SUPPORTED_IFTYPES, func(nae *netlink.AttributeEncoder) error {
				nae.Flag(unix.NL80211_IFTYPE_AP, true)
				return nil
			})
		}),
	}
}

func TestPHYsMergesTheSplitDump(t *testing.T) {
	f := &fake{t: t, replies: map[uint8][]genetlink.Message{unix.NL80211_CMD_GET_WIPHY: wiphyMessages(t)}}
	phys, err := f.dial().PHYs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []PHY{
		{Index: 0, Name: "phy0", SupportedTypes: []int{unix.NL80211_IFTYPE_STATION, unix.NL80211_IFTYPE_AP},
			Combinations: []Combination{{MaxInterfaces: 4, NumChannels: 1, Limits: []Limit{{Max: 8, Types: []int{unix.NL80211_IFTYPE_AP}}}}},
			Bands: []hal.BandInfo{
				{Band: hal.Band2GHz, HT: true, HT40: true, Channels: []hal.Channel{
					{Number: 1, FrequencyMHz: 2412, MaxPowerDBm: 20},
					{Number: 14, FrequencyMHz: 2484, Disabled: true, MaxPowerDBm: 20}}},
				{Band: hal.Band5GHz, VHT: true, VHT160: true, Channels: []hal.Channel{
					{Number: 36, FrequencyMHz: 5180, NoIR: true, Indoor: true, MaxPowerDBm: 20},
					{Number: 52, FrequencyMHz: 5260, Radar: true, DFS: hal.DFSUnavailable, MaxPowerDBm: 20}}},
			}},
		{Index: 1, Name: "phy1", SupportedTypes: []int{unix.NL80211_IFTYPE_AP}},
	}
	if diff := cmp.Diff(want, phys); diff != "" {
		t.Errorf("PHYs (-want +got):\n%s", diff)
	}
	if got := phys[0].MaxAP(); got != 4 {
		t.Errorf("phy0 MaxAP = %d, want 4 (8 APs allowed, 4 interfaces at most)", got)
	}
	if got := phys[1].MaxAP(); got != 1 {
		t.Errorf("phy1 MaxAP = %d, want 1 (AP supported, no combinations)", got)
	}
	req := f.requests[0]
	attrs, _ := netlink.UnmarshalAttributes(req.Data)
	if len(attrs) != 1 || attrs[0].Type != unix.NL80211_ATTR_SPLIT_WIPHY_DUMP {
		t.Errorf("GET_WIPHY request attributes = %+v, want only SPLIT_WIPHY_DUMP", attrs)
	}
}

func TestPHYsRefusesAMessageWithoutIndex(t *testing.T) {
	f := &fake{t: t, replies: map[uint8][]genetlink.Message{unix.NL80211_CMD_GET_WIPHY: {
		encode(t, unix.NL80211_CMD_NEW_WIPHY, func(ae *netlink.AttributeEncoder) { ae.String(unix.NL80211_ATTR_WIPHY_NAME, "phy0") }),
	}}}
	if _, err := f.dial().PHYs(context.Background()); err == nil {
		t.Fatal("PHYs accepted a wiphy message without NL80211_ATTR_WIPHY")
	}
}

func iface(t *testing.T, index, phy uint32, name string, typ uint32, mac net.HardwareAddr) genetlink.Message {
	return encode(t, unix.NL80211_CMD_NEW_INTERFACE, func(ae *netlink.AttributeEncoder) {
		ae.Uint32(unix.NL80211_ATTR_IFINDEX, index)
		if name != "" {
			ae.String(unix.NL80211_ATTR_IFNAME, name)
		}
		ae.Uint32(unix.NL80211_ATTR_WIPHY, phy)
		ae.Uint32(unix.NL80211_ATTR_IFTYPE, typ)
		ae.Bytes(unix.NL80211_ATTR_MAC, mac)
	})
}

func TestRadiosJoinsPHYsAndInterfaces(t *testing.T) {
	f := &fake{t: t, replies: map[uint8][]genetlink.Message{
		unix.NL80211_CMD_GET_WIPHY: wiphyMessages(t),
		unix.NL80211_CMD_GET_INTERFACE: {
			iface(t, 3, 1, "wlan1", unix.NL80211_IFTYPE_STATION, net.HardwareAddr{2, 0, 0, 0, 1, 0}),
			// wpa_supplicant's P2P device: no name, must be skipped.
			iface(t, 0, 1, "", unix.NL80211_IFTYPE_P2P_DEVICE, net.HardwareAddr{0x42, 0, 0, 0, 1, 0}),
			iface(t, 2, 0, "wlan0", unix.NL80211_IFTYPE_STATION, net.HardwareAddr{2, 0, 0, 0, 0, 0}),
		},
	}}
	radios, err := f.dial().Radios(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		ID              uint8
		Name, Interface string
		MAC             string
		MaxAP           int
		Bands           int
	}
	var got []row
	for _, r := range radios {
		got = append(got, row{r.ID, r.Name, r.Interface, r.MAC.String(), r.MaxAP, len(r.Bands)})
	}
	want := []row{{1, "phy0", "wlan0", "02:00:00:00:00:00", 4, 2}, {2, "phy1", "wlan1", "02:00:00:00:01:00", 1, 0}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Radios (-want +got):\n%s", diff)
	}
}

func TestStations(t *testing.T) {
	sta := encode(t, unix.NL80211_CMD_NEW_STATION, func(ae *netlink.AttributeEncoder) {
		ae.Uint32(unix.NL80211_ATTR_IFINDEX, 2)
		ae.Bytes(unix.NL80211_ATTR_MAC, net.HardwareAddr{2, 0, 0, 0, 1, 0})
		ae.Nested(unix.NL80211_ATTR_STA_INFO, func(s *netlink.AttributeEncoder) error {
			s.Uint32(unix.NL80211_STA_INFO_CONNECTED_TIME, 42)
			s.Uint32(unix.NL80211_STA_INFO_INACTIVE_TIME, 1288)
			s.Uint64(unix.NL80211_STA_INFO_RX_BYTES64, 1113)
			s.Uint64(unix.NL80211_STA_INFO_TX_BYTES64, 409)
			s.Uint32(unix.NL80211_STA_INFO_RX_PACKETS, 10)
			s.Uint32(unix.NL80211_STA_INFO_TX_PACKETS, 4)
			s.Uint8(unix.NL80211_STA_INFO_SIGNAL, uint8(0xe2)) // -30 dBm
			s.Uint8(unix.NL80211_STA_INFO_SIGNAL_AVG, uint8(0xe1))
			s.Nested(unix.NL80211_STA_INFO_TX_BITRATE, func(r *netlink.AttributeEncoder) error {
				r.Uint32(unix.NL80211_RATE_INFO_BITRATE32, 10) // 100 kbit/s units
				return nil
			})
			s.Nested(unix.NL80211_STA_INFO_RX_BITRATE, func(r *netlink.AttributeEncoder) error {
				r.Uint32(unix.NL80211_RATE_INFO_BITRATE32, 360)
				return nil
			})
			return nil
		})
	})
	f := &fake{t: t, replies: map[uint8][]genetlink.Message{unix.NL80211_CMD_GET_STATION: {sta}}}
	got, err := f.dial().stationsOf(context.Background(), 2, "wlan0")
	if err != nil {
		t.Fatal(err)
	}
	want := []hal.Station{{Interface: "wlan0", MAC: net.HardwareAddr{2, 0, 0, 0, 1, 0}, Signal: -30, SignalAvg: -31,
		TxRateKbps: 1000, RxRateKbps: 36000, TxBytes: 409, RxBytes: 1113, TxPackets: 4, RxPackets: 10,
		Connected: 42 * time.Second, Inactive: 1288 * time.Millisecond}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stations (-want +got):\n%s", diff)
	}
	attrs, _ := netlink.UnmarshalAttributes(f.requests[0].Data)
	if len(attrs) != 1 || attrs[0].Type != unix.NL80211_ATTR_IFINDEX || binary.NativeEndian.Uint32(attrs[0].Data) != 2 {
		t.Errorf("GET_STATION request attributes = %+v, want IFINDEX 2", attrs)
	}
}

func TestSetTxPower(t *testing.T) {
	for _, c := range []struct {
		dBm       int
		wantAttrs map[uint16]uint32
	}{
		{17, map[uint16]uint32{unix.NL80211_ATTR_WIPHY: 1, unix.NL80211_ATTR_WIPHY_TX_POWER_SETTING: unix.NL80211_TX_POWER_LIMITED, unix.NL80211_ATTR_WIPHY_TX_POWER_LEVEL: 1700}},
		{0, map[uint16]uint32{unix.NL80211_ATTR_WIPHY: 1, unix.NL80211_ATTR_WIPHY_TX_POWER_SETTING: unix.NL80211_TX_POWER_AUTOMATIC}},
	} {
		f := &fake{t: t, replies: map[uint8][]genetlink.Message{}}
		if err := f.dial().SetTxPower(context.Background(), 1, c.dBm); err != nil {
			t.Fatal(err)
		}
		req := f.requests[0]
		if req.Header.Command != unix.NL80211_CMD_SET_WIPHY {
			t.Fatalf("command %d, want SET_WIPHY", req.Header.Command)
		}
		attrs, _ := netlink.UnmarshalAttributes(req.Data)
		got := map[uint16]uint32{}
		for _, a := range attrs {
			got[a.Type] = binary.NativeEndian.Uint32(a.Data)
		}
		if diff := cmp.Diff(c.wantAttrs, got); diff != "" {
			t.Errorf("SetTxPower(%d) attributes (-want +got):\n%s", c.dBm, diff)
		}
	}
}

func TestSurvey(t *testing.T) {
	entry := func(mhz uint32, inUse bool) genetlink.Message {
		return encode(t, unix.NL80211_CMD_NEW_SURVEY_RESULTS, func(ae *netlink.AttributeEncoder) {
			ae.Uint32(unix.NL80211_ATTR_IFINDEX, 2)
			ae.Nested(unix.NL80211_ATTR_SURVEY_INFO, func(s *netlink.AttributeEncoder) error {
				s.Uint32(unix.NL80211_SURVEY_INFO_FREQUENCY, mhz)
				s.Uint8(unix.NL80211_SURVEY_INFO_NOISE, uint8(0xa4)) // -92
				s.Flag(unix.NL80211_SURVEY_INFO_IN_USE, inUse)
				s.Uint64(unix.NL80211_SURVEY_INFO_TIME, 1000)
				s.Uint64(unix.NL80211_SURVEY_INFO_TIME_BUSY, 120)
				return nil
			})
		})
	}
	f := &fake{t: t, replies: map[uint8][]genetlink.Message{unix.NL80211_CMD_GET_SURVEY: {entry(2412, true), entry(2437, false)}}}
	got, err := f.dial().Survey(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []hal.SurveyEntry{
		{FrequencyMHz: 2412, NoiseDBm: -92, InUse: true, Active: time.Second, Busy: 120 * time.Millisecond},
		{FrequencyMHz: 2437, NoiseDBm: -92, Active: time.Second, Busy: 120 * time.Millisecond},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Survey (-want +got):\n%s", diff)
	}
}

// TestTriggerScan: the scan request carries the interface, a wildcard
// SSID and the frequencies; the wait ends with the results (or the abort)
// for that interface, not another's.
func TestTriggerScan(t *testing.T) {
	note := func(cmd uint8, index uint32) genetlink.Message {
		return encode(t, cmd, func(ae *netlink.AttributeEncoder) { ae.Uint32(unix.NL80211_ATTR_IFINDEX, index) })
	}
	for _, c := range []struct {
		name    string
		freqs   []int
		replies []genetlink.Message
		err     string
	}{
		{name: "results", freqs: []int{2412, 2437},
			replies: []genetlink.Message{note(unix.NL80211_CMD_TRIGGER_SCAN, 2), note(unix.NL80211_CMD_SCAN_ABORTED, 3),
				note(unix.NL80211_CMD_NEW_SCAN_RESULTS, 2)}},
		{name: "every channel", replies: []genetlink.Message{note(unix.NL80211_CMD_NEW_SCAN_RESULTS, 2)}},
		{name: "aborted", freqs: []int{5180}, replies: []genetlink.Message{note(unix.NL80211_CMD_SCAN_ABORTED, 2)},
			err: "the kernel aborted the scan"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := &fake{t: t, replies: map[uint8][]genetlink.Message{unix.NL80211_CMD_TRIGGER_SCAN: c.replies}}
			err := triggerScan(context.Background(), f.dial(), 2, c.freqs)
			if c.err == "" && err != nil || c.err != "" && (err == nil || err.Error() != c.err) {
				t.Fatalf("triggerScan = %v, want %q", err, c.err)
			}
			if len(f.requests) != 1 {
				t.Fatalf("%d requests, want 1", len(f.requests))
			}
			attrs, err := netlink.UnmarshalAttributes(f.requests[0].Data)
			if err != nil {
				t.Fatal(err)
			}
			var index uint32
			var ssids, freqs []netlink.Attribute
			for _, a := range attrs {
				switch a.Type &^ netlink.Nested {
				case unix.NL80211_ATTR_IFINDEX:
					index = binary.NativeEndian.Uint32(a.Data)
				case unix.NL80211_ATTR_SCAN_SSIDS:
					ssids, _ = netlink.UnmarshalAttributes(a.Data)
				case unix.NL80211_ATTR_SCAN_FREQUENCIES:
					freqs, _ = netlink.UnmarshalAttributes(a.Data)
				}
			}
			var got []int
			for _, a := range freqs {
				got = append(got, int(binary.NativeEndian.Uint32(a.Data)))
			}
			if index != 2 || len(ssids) != 1 || len(ssids[0].Data) != 0 || !slices.Equal(got, c.freqs) {
				t.Errorf("request: ifindex %d, ssids %v, frequencies %v; want 2, one wildcard, %v", index, ssids, got, c.freqs)
			}
		})
	}
}

func TestParseEvent(t *testing.T) {
	mac := net.HardwareAddr{2, 0, 0, 0, 1, 0}
	cases := []struct {
		name string
		msg  genetlink.Message
		want hal.Event
		ok   bool
	}{
		{"new station", encode(t, unix.NL80211_CMD_NEW_STATION, func(ae *netlink.AttributeEncoder) {
			ae.Bytes(unix.NL80211_ATTR_MAC, mac)
		}), hal.Event{Kind: hal.StationAssociated, MAC: mac}, true},
		{"deleted station", encode(t, unix.NL80211_CMD_DEL_STATION, func(ae *netlink.AttributeEncoder) {
			ae.Bytes(unix.NL80211_ATTR_MAC, mac)
		}), hal.Event{Kind: hal.StationDisassociated, MAC: mac}, true},
		{"radar", encode(t, unix.NL80211_CMD_RADAR_DETECT, func(ae *netlink.AttributeEncoder) {
			ae.Uint32(unix.NL80211_ATTR_RADAR_EVENT, unix.NL80211_RADAR_DETECTED)
			ae.Uint32(unix.NL80211_ATTR_WIPHY_FREQ, 5260)
		}), hal.Event{Kind: hal.RadarDetected, FrequencyMHz: 5260}, true},
		{"CAC finished is not radar", encode(t, unix.NL80211_CMD_RADAR_DETECT, func(ae *netlink.AttributeEncoder) {
			ae.Uint32(unix.NL80211_ATTR_RADAR_EVENT, unix.NL80211_RADAR_CAC_FINISHED)
			ae.Uint32(unix.NL80211_ATTR_WIPHY_FREQ, 5260)
		}), hal.Event{}, false},
		{"other command", encode(t, unix.NL80211_CMD_AUTHENTICATE, func(ae *netlink.AttributeEncoder) {
			ae.Bytes(unix.NL80211_ATTR_MAC, mac)
		}), hal.Event{}, false},
	}
	for _, c := range cases {
		got, ok := parseEvent(c.msg)
		if ok != c.ok {
			t.Errorf("%s: ok = %v, want %v", c.name, ok, c.ok)
			continue
		}
		if ok {
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", c.name, diff)
			}
		}
	}
}

func TestChannelNumber(t *testing.T) {
	for mhz, want := range map[int]int{2412: 1, 2472: 13, 2484: 14, 5180: 36, 5825: 165, 5955: 1, 5935: 2, 6115: 33, 60480: 0} {
		if got := ChannelNumber(mhz); got != want {
			t.Errorf("ChannelNumber(%d) = %d, want %d", mhz, got, want)
		}
	}
}
