package wire

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/capstan-wifi/capstan/internal/testtool"
)

// writePcap turns packets into a pcap of UDP datagrams between loopback
// addresses on the given port, through text2pcap's hexdump input. Nothing
// is sent anywhere: the file is only read back by tshark.
func writePcap(t *testing.T, text2pcap string, port int, pkts [][]byte) string {
	t.Helper()
	dir := t.TempDir()
	var sb strings.Builder
	for _, p := range pkts {
		for off := 0; off < len(p); off += 16 {
			fmt.Fprintf(&sb, "%06x", off)
			for _, c := range p[off:min(off+16, len(p))] {
				fmt.Fprintf(&sb, " %02x", c)
			}
			sb.WriteByte('\n')
		}
	}
	txt, pcap := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out.pcap")
	if err := os.WriteFile(txt, []byte(sb.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	ports := strconv.Itoa(port) + "," + strconv.Itoa(port)
	if out, err := exec.Command(text2pcap, "-q", "-4", "127.0.0.1,127.0.0.1", "-u", ports, txt, pcap).CombinedOutput(); err != nil {
		t.Fatalf("text2pcap: %v\n%s", err, out)
	}
	return pcap
}

var (
	elementLine = regexp.MustCompile(`^\s+Type: \(t=(\d+),l=(\d+)\) (.*)$`)
	msgTypeLine = regexp.MustCompile(`^\s+Message Type \(Enterprise Specific\): (.*) \((\d+)\)$`)
	frameLine   = regexp.MustCompile(`^Frame (\d+):`)
)

// TestTsharkDecodesEveryMessage has Wireshark's CAPWAP dissector decode one
// message of every type: no malformed or error expert info, the message type
// and every element known to it. The dissector does not check the Message
// Element Length, so checkMessageElementLength does that on the same bytes.
func TestTsharkDecodesEveryMessage(t *testing.T) {
	tshark := testtool.Find(t, "tshark", "tshark")
	text2pcap := testtool.Find(t, "text2pcap", "tshark")
	msgs := sampleMessages()
	var pkts [][]byte
	for _, m := range msgs {
		b, err := m.AppendBinary(nil)
		if err != nil {
			t.Fatalf("%s: %v", m.Type, err)
		}
		checkMessageElementLength(t, b)
		pkts = append(pkts, b)
	}
	pcap := writePcap(t, text2pcap, 5246, pkts)
	out, err := exec.Command(tshark, "-n", "-r", pcap, "-V", "-o", "capwap.swap_fc:FALSE").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}

	type decoded struct {
		msgName  string
		elements []string // "type:name"
		problems []string
	}
	frames := map[int]*decoded{}
	undecoded := 0
	var cur *decoded
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := frameLine.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			cur = &decoded{}
			frames[n] = cur
			continue
		}
		if cur == nil {
			continue
		}
		if m := msgTypeLine.FindStringSubmatch(line); m != nil {
			cur.msgName = m[1]
		}
		if m := elementLine.FindStringSubmatch(line); m != nil {
			cur.elements = append(cur.elements, m[1]+":"+m[3])
		}
		for _, bad := range []string{"Malformed", "Expert Info (Error", "Expert Info (Warn"} {
			if strings.Contains(line, bad) {
				cur.problems = append(cur.problems, strings.TrimSpace(line))
			}
		}
		// Wireshark 4.0 names every RFC element but parses the values of only
		// some; the rest get a Note "type not implemented". Named is what
		// "recognized" means here; the notes are counted, not failed.
		if strings.Contains(line, "Expert Info (Note/Undecoded)") {
			undecoded++
		}
	}
	if len(frames) != len(msgs) {
		t.Fatalf("tshark decoded %d frames, want %d", len(frames), len(msgs))
	}
	t.Logf("tshark decoded %d messages; %d element values it names but does not parse", len(msgs), undecoded)
	for i, m := range msgs {
		d := frames[i+1]
		if len(d.problems) > 0 {
			t.Errorf("%s: tshark reports:\n  %s", m.Type, strings.Join(d.problems, "\n  "))
		}
		wantName := m.Type.String()
		wantName = strings.Replace(wantName, "Change State Event", "Change State", 1) // Wireshark's name
		if d.msgName != wantName {
			t.Errorf("%s: tshark names the message type %q", m.Type, d.msgName)
		}
		if len(d.elements) != len(m.Elements) {
			t.Errorf("%s: tshark saw %d elements, want %d: %v", m.Type, len(d.elements), len(m.Elements), d.elements)
			continue
		}
		for j, e := range m.Elements {
			if want := strconv.Itoa(int(e.Type())) + ":"; !strings.HasPrefix(d.elements[j], want) || strings.Contains(d.elements[j], "Unknown") {
				t.Errorf("%s element %d: tshark saw %q, want type %d named", m.Type, j, d.elements[j], e.Type())
			}
		}
	}
}
