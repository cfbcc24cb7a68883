package nl80211

import (
	"testing"

	"github.com/mdlayher/genetlink"
	"golang.org/x/sys/unix"
)

// FuzzParseWiphy and FuzzParseEvent: attributes come from the kernel, but
// a driver or a future kernel may send what capstan has not met; nothing
// in them may crash the agent. Seeded with the messages the tests use.
func FuzzParseWiphy(f *testing.F) {
	for _, m := range wiphyMessages(&testing.T{}) {
		f.Add(m.Data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		byIndex := map[int]*phyBuilder{}
		var order []int
		if err := parseWiphy(data, byIndex, &order); err != nil {
			return
		}
		for _, i := range order {
			if byIndex[i] == nil {
				t.Fatalf("phy %d in the order but not built", i)
			}
		}
	})
}

func FuzzParseEvent(f *testing.F) {
	f.Add(uint8(unix.NL80211_CMD_NEW_STATION), []byte{10, 0, unix.NL80211_ATTR_MAC, 0, 2, 0, 0, 0, 1, 0, 0, 0})
	f.Add(uint8(unix.NL80211_CMD_RADAR_DETECT), []byte{8, 0, unix.NL80211_ATTR_RADAR_EVENT, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, cmd uint8, data []byte) {
		ev, ok := parseEvent(genetlink.Message{Header: genetlink.Header{Command: cmd}, Data: data})
		if ok && ev.MAC != nil && len(ev.MAC) != 6 {
			t.Fatalf("event with a %d-byte MAC", len(ev.MAC))
		}
	})
}
