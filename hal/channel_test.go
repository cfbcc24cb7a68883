package hal

import (
	"slices"
	"testing"
)

func TestChannelGroup(t *testing.T) {
	for _, c := range []struct {
		band      Band
		ch, width int
		want      []int
	}{
		{Band2GHz, 6, 20, []int{6}},
		{Band2GHz, 1, 40, []int{1, 5}},
		{Band2GHz, 7, 40, []int{7, 11}},
		{Band2GHz, 11, 40, []int{7, 11}},
		{Band5GHz, 36, 40, []int{36, 40}},
		{Band5GHz, 40, 40, []int{36, 40}},
		{Band5GHz, 153, 40, []int{149, 153}},
		{Band5GHz, 48, 80, []int{36, 40, 44, 48}},
		{Band5GHz, 52, 80, []int{52, 56, 60, 64}},
		{Band5GHz, 161, 80, []int{149, 153, 157, 161}},
		{Band5GHz, 128, 160, []int{100, 104, 108, 112, 116, 120, 124, 128}},
		{Band6GHz, 5, 40, []int{1, 5}},
		{Band6GHz, 37, 80, []int{33, 37, 41, 45}},
	} {
		if got := ChannelGroup(c.band, c.ch, c.width); !slices.Equal(got, c.want) {
			t.Errorf("ChannelGroup(%s, %d, %d) = %v, want %v", c.band, c.ch, c.width, got, c.want)
		}
	}
}

func TestOnlyChannelDiffers(t *testing.T) {
	base := RadioState{RadioID: 1, Band: Band5GHz, Channel: 36, WidthMHz: 40, WLANs: []WLAN{{ID: 1, SSID: "main"}}}
	moved := base
	moved.Channel = 44
	wider := moved
	wider.WidthMHz = 80
	renamed := moved
	renamed.WLANs = []WLAN{{ID: 1, SSID: "other"}}
	for _, c := range []struct {
		name string
		next RadioState
		want bool
	}{
		{"same channel", base, false},
		{"another channel", moved, true},
		{"another channel and width", wider, false},
		{"another channel and SSID", renamed, false},
	} {
		if got := base.OnlyChannelDiffers(c.next); got != c.want {
			t.Errorf("%s: OnlyChannelDiffers = %v, want %v", c.name, got, c.want)
		}
	}
}
