package uci

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type libuciCase struct{ in, want string }

// libuciCases reads testdata/libuci.txt: pairs of Go-quoted lines, an
// input and what real libuci exported of it (or ERROR).
func libuciCases(t testing.TB) []libuciCase {
	f, err := os.Open("testdata/libuci.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			s, err := strconv.Unquote(l)
			if err != nil {
				t.Fatalf("testdata: %q: %v", l, err)
			}
			lines = append(lines, s)
		}
	}
	if len(lines)%2 != 0 || len(lines) == 0 {
		t.Fatalf("testdata: %d lines, want pairs", len(lines))
	}
	var cs []libuciCase
	for i := 0; i < len(lines); i += 2 {
		cs = append(cs, libuciCase{lines[i], lines[i+1]})
	}
	return cs
}

// TestLikeLibuci checks Parse and Format against what libuci itself read
// and wrote for the same inputs.
func TestLikeLibuci(t *testing.T) {
	for _, c := range libuciCases(t) {
		secs, err := Parse(strings.NewReader(c.in))
		if c.want == "ERROR" {
			if err == nil {
				t.Errorf("Parse(%q) = %+v, want an error (libuci refuses it)", c.in, secs)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v; libuci read it", c.in, err)
			continue
		}
		got, err := Format(secs)
		if err != nil {
			t.Errorf("Format(Parse(%q)): %v", c.in, err)
			continue
		}
		if string(got) != c.want {
			t.Errorf("Format(Parse(%q))\n = %q\nlibuci %q", c.in, got, c.want)
		}
	}
}

func TestParse(t *testing.T) {
	in := "# comment\nconfig wifi-device 'radio0'\n\toption type 'mac80211'\n\toption channel '1'   # trailing\n" +
		"\tlist ht_capab \"SHORT-GI-20\"\n\tlist ht_capab 'SHORT-GI-40'\n\nconfig wifi-iface\n\toption ssid 'it'\\''s here'\n\toption device radio0\n"
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
}

func TestParseErrors(t *testing.T) {
	for in, want := range map[string]string{
		"option a 'b'\n":             "line 1: option/list command found before the first section",
		"config a\noption ''\n":      "line 2: insufficient arguments",
		"config a\nfoo bar 'b'\n":    "line 2: invalid command",
		"config a 'b\n":              "line 1: EOF with unterminated '",
		"config a b\noption x y z\n": "line 2: too many arguments",
		"config 'a b'\n":             "line 1: invalid character in type field",
		"config a b\x00\n":           "uci: NUL byte at offset 10",
	} {
		if _, err := Parse(strings.NewReader(in)); err == nil || err.Error() != want {
			t.Errorf("Parse(%q) = %v, want %s", in, err, want)
		}
	}
	if _, err := Parse(bytes.NewReader(make([]byte, MaxFileSize+1))); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("Parse(%d bytes) = %v, want too large", MaxFileSize+1, err)
	}
}

func TestFormatRefuses(t *testing.T) {
	for _, secs := range [][]Section{
		{{Type: "a b"}},
		{{Type: "a'b"}},
		{{Type: "a#b"}},
		{{Type: "a", Name: "b c"}},
		{{Type: "a", Name: "b"}, {Type: "a", Name: "b"}},
		{{Type: "a", Options: []Option{{Name: "x y", Values: []string{"1"}}}}},
		{{Type: "a", Options: []Option{{Name: "x", Values: []string{"1"}}, {Name: "x", Values: []string{"2"}}}}},
		{{Type: "a", Options: []Option{{Name: "x", Values: []string{""}}}}},
		{{Type: "a", Options: []Option{{Name: "x", Values: []string{"1", "2"}}}}},
		{{Type: "a", Options: []Option{{Name: "x", Values: []string{"a\x00b"}, List: true}}}},
	} {
		if b, err := Format(secs); err == nil {
			t.Errorf("Format(%+v) = %q, want an error", secs, b)
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
	got, err := Format([]Section{s})
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "\nconfig x\n\toption a '3'\n\tlist l 'p'\n\tlist l 'q'\n\n" {
		t.Errorf("got %q", got)
	}
}

// FuzzRoundTrip: whatever Parse takes, Format writes so that Parse reads
// the same sections back and Format writes the same bytes again.
func FuzzRoundTrip(f *testing.F) {
	for _, c := range libuciCases(f) {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		secs, err := Parse(strings.NewReader(in))
		if err != nil {
			return
		}
		out, err := Format(secs)
		if err != nil {
			// Only types libuci reads but cannot write back.
			for _, s := range secs {
				if strings.ContainsAny(s.Type, `'"\#;`) {
					return
				}
			}
			t.Fatalf("Format(Parse(%q)): %v", in, err)
		}
		again, err := Parse(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("Parse(Format(Parse(%q))) = %v on %q", in, err, out)
		}
		if diff := cmp.Diff(secs, again); diff != "" {
			t.Fatalf("round trip of %q via %q (-first +again):\n%s", in, out, diff)
		}
		out2, err := Format(again)
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("Format not stable: %q then %q (%v)", out, out2, err)
		}
	})
}
