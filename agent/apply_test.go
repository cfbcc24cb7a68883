package agent

import (
	"context"
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/hal/sim"
)

func newApplyAgent(t *testing.T) *Agent {
	t.Helper()
	h, err := sim.New(net.HardwareAddr{2, 0, 0, 0, 0, 1}, 2)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.HAL = h
	cfg.ManagerAddresses = []string{"192.0.2.1"}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a.radios, _ = h.Radios(context.Background())
	for _, r := range a.radios {
		a.status.Radios = append(a.status.Radios, RadioInfo{ID: r.ID, Name: r.Name})
	}
	return a
}

func wlanReq(es ...wire.Element) *wire.ControlMessage {
	return &wire.ControlMessage{Type: wire.IEEE80211WLANConfigurationRequest, Elements: es}
}

func add(radio, id uint8, ssid string) *wire.IEEE80211AddWLAN {
	return &wire.IEEE80211AddWLAN{RadioID: radio, WLANID: id, AdvertiseSSID: true, SSID: []byte(ssid)}
}

type radioView struct {
	SSIDs    []string
	Restarts int
}

func view(a *Agent) []radioView {
	var out []radioView
	for _, r := range a.Status().Radios {
		out = append(out, radioView{r.SSIDs, r.Restarts})
	}
	return out
}

func TestApplyWLANs(t *testing.T) {
	a := newApplyAgent(t)
	ctx := context.Background()
	steps := []struct {
		name string
		req  *wire.ControlMessage
		code wire.ResultCode
		want []radioView
	}{
		{"first WLAN on both radios", wlanReq(add(1, 1, "office"), add(2, 1, "office")), wire.ResultSuccess,
			[]radioView{{[]string{"office"}, 1}, {[]string{"office"}, 1}}},
		{"the same again restarts nothing", wlanReq(add(1, 1, "office"), add(2, 1, "office")), wire.ResultSuccess,
			[]radioView{{[]string{"office"}, 1}, {[]string{"office"}, 1}}},
		{"a second WLAN restarts radio 1 only", wlanReq(add(1, 2, "guest")), wire.ResultSuccess,
			[]radioView{{[]string{"office", "guest"}, 2}, {[]string{"office"}, 1}}},
		{"a bad SSID changes nothing", wlanReq(add(2, 1, "renamed"), add(1, 3, "")), wire.ResultConfigurationFailureServiceNotProvided,
			[]radioView{{[]string{"office", "guest"}, 2}, {[]string{"office"}, 1}}},
		{"an unknown radio changes nothing", wlanReq(add(2, 1, "renamed"), add(9, 1, "x")), wire.ResultConfigurationFailureServiceNotProvided,
			[]radioView{{[]string{"office", "guest"}, 2}, {[]string{"office"}, 1}}},
		{"delete", wlanReq(&wire.IEEE80211DeleteWLAN{RadioID: 1, WLANID: 2}), wire.ResultSuccess,
			[]radioView{{[]string{"office"}, 3}, {[]string{"office"}, 1}}},
	}
	for _, s := range steps {
		code, err := a.applyWLANs(ctx, s.req)
		if code != s.code || (err == nil) != (code == wire.ResultSuccess) {
			t.Errorf("%s: result %v (%v), want %v", s.name, code, err, s.code)
		}
		if diff := cmp.Diff(s.want, view(a)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", s.name, diff)
		}
	}
}
