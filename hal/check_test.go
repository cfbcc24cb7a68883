package hal

import (
	"strings"
	"testing"
)

func TestResolveRefuses(t *testing.T) {
	r := Radio{ID: 1, Name: "phy0", Bands: []BandInfo{
		{Band: Band2GHz, HT: true, HT40: true, Channels: []Channel{{Number: 1, FrequencyMHz: 2412}, {Number: 6, FrequencyMHz: 2437}}},
		{Band: Band5GHz, HT: true, HT40: true, VHT: true, Channels: []Channel{{Number: 36, FrequencyMHz: 5180}, {Number: 40, FrequencyMHz: 5200}, {Number: 44, FrequencyMHz: 5220}, {Number: 48, FrequencyMHz: 5240}}},
	}}
	ofdm := []int{60, 90, 120, 180, 240, 360, 480, 540}
	tests := []struct {
		st          RadioState
		field, text string
	}{
		{RadioState{RadioID: 1, Band: Band2GHz, Channel: 6, WidthMHz: 80}, "width", "not possible in 2.4 GHz"},
		{RadioState{RadioID: 1, Band: Band5GHz, Channel: 36, BasicRates: []int{10}}, "rates", "802.11b rate"},
		{RadioState{RadioID: 1, Band: Band2GHz, Channel: 1, BasicRates: []int{10}, SupportedRates: ofdm}, "rates", "basic rate 1 Mb/s is not supported"},
		{RadioState{RadioID: 1, Country: "POL"}, "country", "ISO 3166-1"},
	}
	for _, tt := range tests {
		_, err := Resolve(r, tt.st)
		ce, ok := err.(*ConfigError)
		if !ok || ce.Field != tt.field || !strings.Contains(ce.Reason, tt.text) {
			t.Errorf("%+v: %v, want %s: …%s…", tt.st, err, tt.field, tt.text)
		}
	}
	if _, err := Resolve(r, RadioState{RadioID: 1, Band: Band2GHz, Channel: 1, BasicRates: []int{10, 20}, SupportedRates: append([]int{10, 20, 55, 110}, ofdm...)}); err != nil {
		t.Errorf("802.11b rates in 2.4 GHz: %v", err)
	}
}
