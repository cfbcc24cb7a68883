package uci

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseFormatRoundTrip(t *testing.T) {
	in := `# comment
config wifi-device 'radio0'
	option type 'mac80211'
	option channel '1'   # trailing comment
	list ht_capab "SHORT-GI-20"
	list ht_capab 'SHORT-GI-40'

config wifi-iface
	option ssid 'it'"'"'s here'
	option device radio0
`
	secs, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Section{
		{Type: "wifi-device", Name: "radio0", Options: []Option{
			{Name: "type", Values: []string{"mac80211"}}, {Name: "channel", Values: []string{"1"}},
			{Name: "ht_capab", Values: []string{"SHORT-GI-20", "SHORT-GI-40"}, List: true}}},
		{Type: "wifi-iface", Options: []Option{{Name: "ssid", Values: []string{"it's here"}}, {Name: "device", Values: []string{"radio0"}}}},
	}
	if diff := cmp.Diff(want, secs); diff != "" {
		t.Fatalf("Parse (-want +got):\n%s", diff)
	}
	again, err := Parse(strings.NewReader(string(Format(secs))))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(secs, again); diff != "" {
		t.Errorf("Parse(Format(x)) (-want +got):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	for in, want := range map[string]string{
		"option a 'b'\n":          "line 1: option before any config section",
		"config a\noption x\n":    "line 2: want option KEY 'VALUE'",
		"config a\nfoo bar 'b'\n": `line 2: unknown keyword "foo"`,
		"config a 'b\n":           "line 1: unterminated quote",
	} {
		if _, err := Parse(strings.NewReader(in)); err == nil || err.Error() != want {
			t.Errorf("Parse(%q) = %v, want %s", in, err, want)
		}
	}
}

func TestSet(t *testing.T) {
	s := Section{Type: "x"}
	s.Set("a", "1")
	s.Set("b", "2")
	s.Set("a", "3")
	s.Set("b", "")
	s.SetList("l", []string{"p", "q"})
	if got := string(Format([]Section{s})); got != "config x\n\toption a '3'\n\tlist l 'p'\n\tlist l 'q'\n" {
		t.Errorf("got %q", got)
	}
}
