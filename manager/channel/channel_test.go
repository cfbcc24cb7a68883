package channel

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/hal"
)

// radio: 2.4 GHz 1, 6, 11; 5 GHz 36–48 free, 52–64 radar (60 with radar
// seen), 100 passive only (no-IR without radar), 144 disabled.
func radio() []hal.Channel {
	ch := func(n, mhz int) hal.Channel { return hal.Channel{Number: n, FrequencyMHz: mhz} }
	radar := func(n, mhz int, st hal.DFSState) hal.Channel {
		c := ch(n, mhz)
		c.Radar, c.NoIR, c.DFS = true, true, st
		return c
	}
	passive := ch(100, 5500)
	passive.NoIR = true
	off := ch(144, 5720)
	off.Disabled = true
	return []hal.Channel{ch(1, 2412), ch(6, 2437), ch(11, 2462),
		ch(36, 5180), ch(40, 5200), ch(44, 5220), ch(48, 5240),
		radar(52, 5260, hal.DFSAvailable), radar(56, 5280, hal.DFSUsable), radar(60, 5300, hal.DFSUnavailable), radar(64, 5320, hal.DFSUsable),
		passive, off}
}

// busy is a survey entry: pct percent of 1 s busy.
func busy(mhz, pct int) hal.SurveyEntry {
	return hal.SurveyEntry{FrequencyMHz: mhz, Active: time.Second, Busy: time.Duration(pct) * 10 * time.Millisecond}
}

func TestSelect(t *testing.T) {
	survey := []hal.SurveyEntry{busy(2412, 70), busy(2437, 20), busy(2462, 45),
		busy(5180, 60), busy(5200, 10), busy(5220, 30), busy(5240, 80), busy(5260, 5), busy(5280, 50),
		{FrequencyMHz: 5320}} // visited for 0 ms: not a measurement
	for _, c := range []struct {
		name   string
		survey []hal.SurveyEntry
		want   Want
		got    int // MHz
		order  []int
		err    string
	}{
		{name: "least busy of the band", survey: survey, want: Want{Band: "2ghz"}, got: 2437, order: []int{2437, 2462, 2412}},
		{name: "radar channels when allowed, not after radar was seen", survey: survey, want: Want{Band: "5ghz"}, got: 5260,
			order: []int{5260, 5200, 5220, 5280, 5180, 5240, 5320}},
		{name: "skip-dfs", survey: survey, want: Want{Band: "5ghz", SkipDFS: true}, got: 5200, order: []int{5200, 5220, 5180, 5240}},
		{name: "frequency list", survey: survey, want: Want{Frequencies: []int{5180, 5240}}, got: 5180, order: []int{5180, 5240}},
		{name: "40 MHz counts the busier half", survey: survey, want: Want{Band: "5ghz", WidthMHz: 40, SkipDFS: true}, got: 5180,
			order: []int{5180, 5200, 5220, 5240}}, // 36+40 at 60%, 44+48 at 80%
		{name: "40 MHz pairs with a radar-seen channel are out", survey: survey, want: Want{Band: "5ghz", WidthMHz: 40}, got: 5260,
			order: []int{5260, 5280, 5180, 5200, 5220, 5240}},
		{name: "80 MHz block", survey: survey, want: Want{Band: "5ghz", WidthMHz: 80}, got: 5180, order: []int{5180, 5200, 5220, 5240}},
		{name: "2.4 GHz 40 MHz needs the secondary", survey: survey, want: Want{Band: "2ghz", WidthMHz: 40}, err: "no allowed channel"},
		{name: "surveyed before unsurveyed", survey: []hal.SurveyEntry{busy(5240, 90)}, want: Want{Band: "5ghz", SkipDFS: true}, got: 5240,
			order: []int{5240, 5180, 5200, 5220}},
		{name: "no survey: lowest frequency", want: Want{Band: "5ghz", SkipDFS: true}, got: 5180},
		{name: "band from the radio's first channel", survey: survey, want: Want{}, got: 2437},
		{name: "band from the frequencies", survey: survey, want: Want{Frequencies: []int{5500, 5720, 5200}}, got: 5200, order: []int{5200}},
		{name: "nothing allowed", want: Want{Band: "6ghz", WidthMHz: 80}, err: "no allowed channel: the radio reports 13 channels; band 6ghz; 80 MHz wide"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Select(radio(), c.survey, c.want)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("Select = %v, %v; want error %q", got, err, c.err)
				}
				return
			}
			if err != nil || got.FrequencyMHz != c.got {
				t.Fatalf("Select = %v, %v; want %d MHz", got, err, c.got)
			}
			if c.order == nil {
				return
			}
			var order []int
			for _, x := range Candidates(radio(), c.survey, c.want) {
				order = append(order, x.FrequencyMHz)
			}
			if !slices.Equal(order, c.order) {
				t.Errorf("candidates %v, want %v", order, c.order)
			}
		})
	}
}

// band24 is a 2.4 GHz radio with channels 1–13.
func band24() []hal.Channel {
	var out []hal.Channel
	for n := 1; n <= 13; n++ {
		out = append(out, hal.Channel{Number: n, FrequencyMHz: 2407 + 5*n})
	}
	return out
}

// TestOverlap: in 2.4 GHz a busy channel weighs on the channels it
// overlaps; a busy channel 3 makes 1 and 6 worse than their own load.
func TestOverlap(t *testing.T) {
	survey := []hal.SurveyEntry{busy(2412, 10), busy(2422, 80), busy(2437, 30), busy(2462, 40)}
	cands := Candidates(band24(), survey, Want{Frequencies: []int{2412, 2437, 2462}})
	var got []string
	for _, c := range cands {
		got = append(got, c.String())
	}
	want := []string{"2437 MHz (channel 6, 30% busy)", "2412 MHz (channel 1, 40% busy)", "2462 MHz (channel 11, 40% busy)"}
	if !slices.Equal(got, want) {
		t.Errorf("candidates %q, want %q (channel 3 at 80%% weighs 40%% on 1 and 20%% on 6)", got, want)
	}
	// An unmeasured channel next to a measured one counts as measured.
	c, ok := Find(Candidates(band24(), []hal.SurveyEntry{busy(2437, 60)}, Want{Band: "2ghz"}), 2442)
	if !ok || !c.Measured || c.Load != 0.45 {
		t.Errorf("channel 7 next to channel 6 at 60%%: %+v, want measured at 45%%", c)
	}
	if got, want := ScanList(band24(), Want{Frequencies: []int{2412, 2437}}), []int{2412, 2417, 2422, 2427, 2432, 2437, 2442, 2447, 2452}; !slices.Equal(got, want) {
		t.Errorf("ScanList = %v, want channels 1–9 (1 and 6 with their overlapping neighbours)", got)
	}
}

func TestChoiceLoadAndFind(t *testing.T) {
	cands := Candidates(radio(), []hal.SurveyEntry{busy(5180, 25), busy(5200, 75)}, Want{Band: "5ghz", WidthMHz: 40, SkipDFS: true})
	c, ok := Find(cands, 5180)
	if !ok || !c.Measured || c.Load != 0.75 || c.Channel != 36 {
		t.Errorf("Find 5180 = %+v, %v; want channel 36 at 0.75 (its busier secondary)", c, ok)
	}
	if _, ok := Find(cands, 5260); ok {
		t.Error("Find found a skipped DFS channel")
	}
	if s := c.String(); s != "5180 MHz (channel 36, 75% busy)" {
		t.Errorf("String = %q", s)
	}
}

func TestSaved(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenSaved(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set("02:00:00:00:01:00", 5200); err != nil {
		t.Fatal(err)
	}
	if err := s.Set("02:00:00:00:02:00", 2437); err != nil {
		t.Fatal(err)
	}
	if err := s.Set("02:00:00:00:02:00", 0); err != nil {
		t.Fatal(err)
	}
	again, err := OpenSaved(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := again.Get("02:00:00:00:01:00"); got != 5200 {
		t.Errorf("reopened: %d, want 5200", got)
	}
	if got := again.Get("02:00:00:00:02:00"); got != 0 {
		t.Errorf("forgotten selection came back: %d", got)
	}
	os.WriteFile(filepath.Join(dir, SavedFile), []byte("{"), 0o600)
	if _, err := OpenSaved(dir); err == nil || !strings.Contains(err.Error(), SavedFile) {
		t.Errorf("corrupt file: %v, want an error naming it", err)
	}
	mem, _ := OpenSaved("")
	if mem.Set("x", 1) != nil || mem.Get("x") != 1 {
		t.Error("in-memory selections do not work")
	}
}

func TestScanList(t *testing.T) {
	for _, c := range []struct {
		name string
		want Want
		scan []int
	}{
		{name: "a band: its allowed channels", want: Want{Band: "2ghz"}, scan: []int{2412, 2437, 2462}},
		{name: "a frequency list", want: Want{Frequencies: []int{2462, 2412}}, scan: []int{2412, 2462}},
		{name: "skip-dfs leaves radar channels out", want: Want{Band: "5ghz", SkipDFS: true}, scan: []int{5180, 5200, 5220, 5240}},
		{name: "radar channels in, not where radar was seen", want: Want{Band: "5ghz"},
			scan: []int{5180, 5200, 5220, 5240, 5260, 5280, 5320}},
		{name: "40 MHz: both halves of each allowed pair", want: Want{Frequencies: []int{5180}, WidthMHz: 40}, scan: []int{5180, 5200}},
		{name: "80 MHz: the whole block", want: Want{Frequencies: []int{5200}, WidthMHz: 80}, scan: []int{5180, 5200, 5220, 5240}},
		{name: "nothing allowed: nothing to scan", want: Want{Band: "6ghz"}, scan: nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := ScanList(radio(), c.want); !slices.Equal(got, c.scan) {
				t.Errorf("ScanList = %v, want %v", got, c.scan)
			}
		})
	}
}
