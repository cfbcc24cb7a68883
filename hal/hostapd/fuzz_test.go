package hostapd

import (
	"strings"
	"testing"
)

// FuzzParseEvent and parseKV: hostapd's control socket lines, which carry
// what stations and the air put in them (MACs, frequencies).
func FuzzParseEvent(f *testing.F) {
	f.Add("AP-STA-CONNECTED 02:00:00:00:01:00 keyid=x")
	f.Add("AP-STA-DISCONNECTED 02:00:00:00:01:00")
	f.Add("DFS-RADAR-DETECTED freq=5260 ht_enabled=1 chan_offset=0 chan_width=1 cf1=5270 cf2=0")
	f.Add("AP-STA-CONNECTED 00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01")
	f.Fuzz(func(t *testing.T, line string) {
		if ev, ok := parseEvent(line); ok && ev.MAC != nil && len(ev.MAC) != 6 {
			t.Fatalf("event with a %d-byte MAC from %q", len(ev.MAC), line)
		}
		for k := range parseKV(line) {
			if strings.Contains(k, "\n") {
				t.Fatalf("key %q spans lines", k)
			}
		}
	})
}
