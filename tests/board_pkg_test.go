package tests

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/u-root/u-root/pkg/cpio"
)

// ipkRecords turns an .ipk's data.tar.gz into cpio records, in its order
// (directories before what they hold) and with its modes: the package as
// opkg would install it, for the board's initramfs.
func ipkRecords(t testing.TB, ipk string) []cpio.Record {
	t.Helper()
	var recs []cpio.Record
	for _, e := range tarEntries(t, member(t, ipk, "./data.tar.gz")) {
		switch {
		case e.name == "":
		case e.typ == tar.TypeDir:
			recs = append(recs, cpio.Directory(e.name, uint64(e.mode)))
		case e.typ == tar.TypeReg:
			recs = append(recs, cpio.StaticRecord(e.data, cpio.Info{Name: e.name, Mode: cpio.S_IFREG | uint64(e.mode)}))
		default:
			t.Fatalf("%s: %s: unexpected entry type %c", ipk, e.name, e.typ)
		}
	}
	return recs
}

// writeCPIO writes records as a newc archive, owned by root and timeless.
func writeCPIO(t testing.TB, path string, recs []cpio.Record) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cpio.MakeAllReproducible(recs)
	w := cpio.NewDedupWriter(cpio.Newc.Writer(f))
	if err := cpio.WriteRecords(w, recs); err != nil {
		t.Fatal(err)
	}
	if err := cpio.WriteTrailer(w); err != nil {
		t.Fatal(err)
	}
}

// member returns one member of an .ipk's outer tar.gz.
func member(t testing.TB, ipk, name string) []byte {
	t.Helper()
	f, err := os.Open(ipk)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s: no %s: %v", ipk, name, err)
		}
		if h.Name == name {
			b, _ := io.ReadAll(tr)
			return b
		}
	}
}

// testCAPMode plays OpenWrt's button hotplug on the board: a short press
// and a long one change nothing; a 3 s hold runs the packaged hook, which
// turns the router configuration into CAP mode exactly as the golden
// files say (busybox sh, the real agent binary on MIPS or ARM); cap-mode
// disable puts the router configuration back.
func (b *board) testCAPMode() {
	t := b.t
	press := func(seen string) {
		b.con.must("BUTTON=reset ACTION=released SEEN="+seen+" CAPSTAN_SYNC=1 sh /etc/hotplug.d/button/50-capstan-cap-mode", 60*time.Second)
	}
	press("1")
	press("7")
	if out := b.con.must("capstan-agent cap-mode status", 30*time.Second); out != "disabled" {
		t.Fatalf("after 1 s and 7 s presses: cap-mode status %q", out)
	}
	start := time.Now()
	press("3")
	if out := b.con.must("capstan-agent cap-mode status", 30*time.Second); !strings.HasPrefix(out, "enabled") {
		t.Fatalf("after a 3 s press: cap-mode status %q", out)
	}
	t.Logf("%s: reset held 3 s → CAP mode configuration written in %.1f s", b.spec.name, time.Since(start).Seconds())
	for _, f := range []string{"network", "dhcp", "capstan"} {
		want, err := os.ReadFile(filepath.Join("..", "board", "testdata", "golden", "dsa", f))
		if err != nil {
			t.Fatal(err)
		}
		got := b.con.must("cat /etc/config/"+f, 30*time.Second)
		if strings.TrimSpace(got) != strings.TrimSpace(string(want)) {
			t.Errorf("%s: /etc/config/%s in CAP mode:\n%s\nwant (board/testdata/golden/dsa/%s):\n%s", b.spec.name, f, got, f, want)
		}
	}
	b.con.must("capstan-agent cap-mode disable --reload=false", 30*time.Second)
	orig, _ := os.ReadFile(filepath.Join("..", "board", "testdata", "dsa", "etc", "config", "network"))
	if got := b.con.must("cat /etc/config/network", 30*time.Second); strings.TrimSpace(got) != strings.TrimSpace(string(orig)) {
		t.Errorf("%s: /etc/config/network after cap-mode disable:\n%s", b.spec.name, got)
	}
}

// opkgUnpack installs an .ipk into root as opkg does before it runs the
// postinst: data.tar.gz unpacked into root, the control members as
// usr/lib/opkg/info/NAME.MEMBER, and NAME.list naming the package's files.
func opkgUnpack(t testing.TB, ipk, root string) {
	t.Helper()
	info := filepath.Join(root, "usr/lib/opkg/info")
	if err := os.MkdirAll(info, 0o755); err != nil {
		t.Fatal(err)
	}
	name := ""
	for _, e := range tarEntries(t, member(t, ipk, "./control.tar.gz")) {
		if e.name == "control" {
			for _, l := range strings.Split(string(e.data), "\n") {
				if v, ok := strings.CutPrefix(l, "Package: "); ok {
					name = v
				}
			}
		}
	}
	if name == "" {
		t.Fatalf("%s: no Package in control", ipk)
	}
	for _, e := range tarEntries(t, member(t, ipk, "./control.tar.gz")) {
		if e.name != "" && e.typ == tar.TypeReg {
			writeFileMode(t, filepath.Join(info, name+"."+e.name), e.data, e.mode)
		}
	}
	var list []string
	for _, e := range tarEntries(t, member(t, ipk, "./data.tar.gz")) {
		p := filepath.Join(root, e.name)
		if e.typ == tar.TypeDir {
			if err := os.MkdirAll(p, e.mode); err != nil {
				t.Fatal(err)
			}
			continue
		}
		writeFileMode(t, p, e.data, e.mode)
		list = append(list, "/"+e.name)
	}
	writeFileMode(t, filepath.Join(info, name+".list"), []byte(strings.Join(list, "\n")+"\n"), 0o644)
}

type tarEntry struct {
	name string
	typ  byte // tar.TypeReg, tar.TypeDir, …
	mode os.FileMode
	data []byte
}

// tarEntries reads a tar.gz, names without the leading "./".
func tarEntries(t testing.TB, tgz []byte) []tarEntry {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var out []tarEntry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		out = append(out, tarEntry{name: strings.Trim(h.Name, "./"), typ: h.Typeflag, mode: os.FileMode(h.Mode).Perm(), data: b})
	}
}

func writeFileMode(t testing.TB, path string, b []byte, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}
