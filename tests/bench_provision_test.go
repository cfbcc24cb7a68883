package tests

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/agent"
	"github.com/capstan-wifi/capstan/hal/sim"
	"github.com/capstan-wifi/capstan/manager/controlplane"
	"github.com/capstan-wifi/capstan/manager/model"
	"github.com/capstan-wifi/capstan/manager/provision"
	"github.com/capstan-wifi/capstan/pki"
)

const fleet = 1000

// fleetConfig: ten sites, each a rule matching its CAPs by identity with
// its own configuration and a shared guest slave, plus a catch-all.
func fleetConfig(b *testing.B, store *model.Store) {
	lines := []string{
		"security add name=staff authentication-types=wpa2-psk passphrase=staff-passphrase",
		"channel add name=ch5 band=5ghz width=80 skip-dfs-channels=yes",
		"configuration add name=guest ssid=Guest",
	}
	for site := range 10 {
		lines = append(lines,
			fmt.Sprintf("configuration add name=site%d ssid=Site%d security=staff country=PL", site, site),
			fmt.Sprintf("provisioning add identity-regexp=^site%d- action=create-dynamic-enabled master-configuration=site%d slave-configurations=guest name-format=%%I", site, site))
	}
	lines = append(lines, "provisioning add action=create-dynamic-enabled master-configuration=guest")
	for _, line := range lines {
		if err := configureLine(store, line); err != nil {
			b.Fatalf("%s: %v", line, err)
		}
	}
}

// BenchmarkProvisioning1000: the rules engine alone, for 1,000 CAPs with
// two radios each: matching, naming, layering and the CAPWAP elements.
func BenchmarkProvisioning1000(b *testing.B) {
	store := model.Memory(nil)
	fleetConfig(b, store)
	cfg := store.Config()
	caps := make([]provision.CAP, fleet)
	for i := range caps {
		caps[i] = provision.CAP{Identity: fmt.Sprintf("site%d-ap%d", i%10, i), CommonName: fmt.Sprintf("CAP-%012X", i),
			Address: netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}),
			Radios: []provision.Radio{{ID: 1, MAC: fmt.Sprintf("02:00:00:00:%02x:%02x", i>>8, i&0xff), Bands: []string{"2ghz"}},
				{ID: 2, MAC: fmt.Sprintf("02:00:01:00:%02x:%02x", i>>8, i&0xff), Bands: []string{"2ghz", "5ghz"}}}}
	}
	var runs []time.Duration
	for range 5 {
		taken := map[string]bool{}
		start := time.Now()
		elements := 0
		for _, c := range caps {
			res := provision.Provision(cfg, c, provision.TakenFunc(func(n string) bool { return taken[n] }))
			for id, ifs := range res.Interfaces {
				for _, it := range ifs {
					taken[it.Name] = true
				}
				els, _ := provision.RadioElements(cfg, id, ifs, nil)
				elements += len(els)
			}
		}
		runs = append(runs, time.Since(start))
		if elements < fleet*2*4 {
			b.Fatalf("only %d elements for %d CAPs", elements, fleet)
		}
	}
	m := median(runs)
	b.ReportMetric(float64(m.Microseconds())/1000, "ms-per-1000-caps")
	fmt.Printf("provisioning: %d CAPs × 2 radios (11 rules, master + slave): median %v for all (%.1f µs per CAP), 5 runs\n",
		fleet, m.Round(10*time.Microsecond), float64(m.Microseconds())/fleet)
}

// BenchmarkConfigPush1000: 1,000 in-process CAPs on simulated radios join
// one manager over loopback (DTLS); then a profile edit is saved and
// pushed, and the time until every CAP runs it is measured.
func BenchmarkConfigPush1000(b *testing.B) {
	cert, err := pki.SelfSigned("capstan-bench", time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	store := model.Memory(nil)
	fleetConfig(b, store)
	srv, err := controlplane.New(controlplane.Config{Name: "bench", ListenAddress: "127.0.0.1:0", Certificate: cert, Store: store})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.Serve(ctx)
	<-srv.Ready()
	addr := srv.ControlAddr().String()

	agents := make([]*agent.Agent, fleet)
	start := time.Now()
	for i := range agents {
		h, err := sim.New(net.HardwareAddr{0x02, 0xbe, 0, byte(i >> 6), byte(i << 2), 0}, 2)
		if err != nil {
			b.Fatal(err)
		}
		cfg := agent.DefaultConfig()
		cfg.Identity = fmt.Sprintf("site%d-ap%d", i%10, i)
		cfg.StateDir = b.TempDir()
		cfg.HAL = h
		cfg.ManagerAddresses = []string{addr}
		cfg.Discovery = nil
		agents[i], _ = runAgent(b, cfg)
		if i%50 == 49 {
			time.Sleep(10 * time.Millisecond) // a fleet powers up over a moment, not in one instant
		}
	}
	serving := func(a *agent.Agent, ssid string) bool {
		st := a.Status()
		return st.State == "run" && len(st.Radios) == 2 && slices.Contains(st.Radios[0].SSIDs, ssid) && slices.Contains(st.Radios[1].SSIDs, ssid)
	}
	var each []time.Duration // per CAP, of the last wait
	wait := func(what string, ok func(int) bool, limit time.Duration) time.Duration {
		began := time.Now()
		each = each[:0]
		ok0 := ok
		ok = func(i int) bool {
			if ok0(i) {
				each = append(each, time.Since(began))
				return true
			}
			return false
		}
		pending := make([]int, fleet)
		for i := range pending {
			pending[i] = i
		}
		for len(pending) > 0 {
			if time.Since(began) > limit {
				b.Fatalf("%s: %d of %d CAPs not there after %v", what, len(pending), fleet, limit)
			}
			pending = slices.DeleteFunc(pending, ok)
			time.Sleep(2 * time.Millisecond)
		}
		return time.Since(began)
	}
	wait("all provisioned", func(i int) bool { return serving(agents[i], fmt.Sprintf("Site%d", i%10)) }, 120*time.Second)
	up := time.Since(start)

	var pushes []time.Duration
	for round := range 3 {
		ssid := fmt.Sprintf("Guest-%d", round)
		edited := time.Now()
		if err := configureLine(store, "configuration set guest ssid="+ssid); err != nil {
			b.Fatal(err)
		}
		wait("the edit applied", func(i int) bool { return serving(agents[i], ssid) }, 60*time.Second)
		pushes = append(pushes, time.Since(edited))
		fmt.Printf("  edit %d: per CAP median %v, p90 %v, max %v\n", round, median(each).Round(time.Millisecond), pct(each, 90).Round(time.Millisecond), slices.Max(each).Round(time.Millisecond))
	}
	m := median(pushes)
	b.ReportMetric(float64(m.Microseconds())/1000, "ms-push-1000-caps")
	fmt.Printf("configuration push: %d CAPs (2 radios each) joined and provisioned in %v; a shared profile edit ran on all of them after median %v (%s; %d WLAN Configuration Requests in all)\n",
		fleet, up.Round(time.Millisecond), m.Round(time.Millisecond), durations(pushes), 2*fleet)
}

func durations(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.Round(time.Millisecond).String()
	}
	return strings.Join(parts, ", ")
}
