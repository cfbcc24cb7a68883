package ipk

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// member is one tar entry as read back.
type member struct {
	Name     string
	Mode     int64
	UID, GID int
	Data     string
	Format   tar.Format
}

func untar(t *testing.T, b []byte) []member {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "" || !zr.ModTime.IsZero() || zr.OS != 3 {
		t.Errorf("gzip header name=%q mtime=%v os=%d, want gzip -n on Unix", zr.Name, zr.ModTime, zr.OS)
	}
	tr := tar.NewReader(zr)
	var out []member
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		d, _ := io.ReadAll(tr)
		if h.ModTime.Unix() != 1700000000 {
			t.Errorf("%s: mtime %v", h.Name, h.ModTime)
		}
		if h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: owner names %q/%q, want numeric only", h.Name, h.Uname, h.Gname)
		}
		out = append(out, member{h.Name, h.Mode, h.Uid, h.Gid, string(d), h.Format})
	}
}

func testPackage() *Package {
	return &Package{
		Name: "capstan-agent", Version: "1.2.3", Arch: "mipsel_24kc", Depends: []string{"libc"},
		Source: "feeds/capstan/capstan", SourceName: "capstan", Section: "net", URL: "https://example.org/capstan",
		Maintainer: "m", Description: "first line\n  second line", SourceDateEpoch: 1700000000,
		Conffiles: []string{"/etc/config/capstan"},
		Files: []File{
			{Path: "/usr/sbin/capstan-agent", Mode: 0o755, Data: []byte("ELF")},
			{Path: "/etc/init.d/capstan", Mode: 0o755, Data: []byte("#!/bin/sh /etc/rc.common\n")},
			{Path: "/etc/config/capstan", Mode: 0o600, Data: []byte("\nconfig agent 'agent'\n\n")},
		},
		PostinstPkg: "#!/bin/sh\necho hello\n",
	}
}

func TestBuildLikeIpkgBuild(t *testing.T) {
	p := testPackage()
	b, err := p.Build()
	if err != nil {
		t.Fatal(err)
	}
	if p.FileName() != "capstan-agent_1.2.3_mipsel_24kc.ipk" {
		t.Errorf("FileName = %s", p.FileName())
	}
	outer := untar(t, b)
	var names []string
	for _, m := range outer {
		names = append(names, m.Name)
		if m.Format != tar.FormatGNU {
			t.Errorf("%s: format %v, want GNU", m.Name, m.Format)
		}
	}
	if diff := cmp.Diff([]string{"./debian-binary", "./data.tar.gz", "./control.tar.gz"}, names); diff != "" {
		t.Fatalf("outer members (-want +got):\n%s", diff)
	}
	if outer[0].Data != "2.0\n" {
		t.Errorf("debian-binary %q", outer[0].Data)
	}
	data := untar(t, []byte(outer[1].Data))
	want := []member{
		{"./", 0o755, 0, 0, "", tar.FormatGNU},
		{"./etc/", 0o755, 0, 0, "", tar.FormatGNU},
		{"./etc/config/", 0o755, 0, 0, "", tar.FormatGNU},
		{"./etc/config/capstan", 0o600, 0, 0, "\nconfig agent 'agent'\n\n", tar.FormatGNU},
		{"./etc/init.d/", 0o755, 0, 0, "", tar.FormatGNU},
		{"./etc/init.d/capstan", 0o755, 0, 0, "#!/bin/sh /etc/rc.common\n", tar.FormatGNU},
		{"./usr/", 0o755, 0, 0, "", tar.FormatGNU},
		{"./usr/sbin/", 0o755, 0, 0, "", tar.FormatGNU},
		{"./usr/sbin/capstan-agent", 0o755, 0, 0, "ELF", tar.FormatGNU},
	}
	if diff := cmp.Diff(want, data); diff != "" {
		t.Errorf("data.tar.gz (-want +got):\n%s", diff)
	}
	zr, _ := gzip.NewReader(strings.NewReader(outer[1].Data))
	raw, _ := io.ReadAll(zr)
	control := map[string]member{}
	for _, m := range untar(t, []byte(outer[2].Data)) {
		control[m.Name] = m
	}
	wantControl := "Package: capstan-agent\nVersion: 1.2.3\nDepends: libc\nSource: feeds/capstan/capstan\nSourceName: capstan\n" +
		"Section: net\nSourceDateEpoch: 1700000000\nURL: https://example.org/capstan\nMaintainer: m\nArchitecture: mipsel_24kc\n" +
		"Installed-Size: " + strconv.Itoa(len(raw)) + "\nDescription:  first line\n second line\n"
	if diff := cmp.Diff(wantControl, control["./control"].Data); diff != "" {
		t.Errorf("control (-want +got):\n%s", diff)
	}
	if c := control["./conffiles"]; c.Data != "/etc/config/capstan\n" || c.Mode != 0o644 {
		t.Errorf("conffiles %+v", c)
	}
	for name, has := range map[string]string{"./postinst": "default_postinst $0 $@", "./prerm": "default_prerm $0 $@", "./postinst-pkg": "echo hello"} {
		if m := control[name]; m.Mode != 0o755 || !strings.Contains(m.Data, has) {
			t.Errorf("%s: mode %o, %q", name, m.Mode, m.Data)
		}
	}
	if !strings.Contains(control["./postinst"].Data, `[ "${IPKG_NO_SCRIPT}" = "1" ] && exit 0`) {
		t.Errorf("postinst does not honour IPKG_NO_SCRIPT:\n%s", control["./postinst"].Data)
	}
}

func TestBuildIsReproducible(t *testing.T) {
	a, err := testPackage().Build()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := testPackage().Build()
	if !bytes.Equal(a, b) {
		t.Error("two builds of the same package differ")
	}
	p := testPackage()
	p.SourceDateEpoch++
	c, _ := p.Build()
	if bytes.Equal(a, c) {
		t.Error("another SOURCE_DATE_EPOCH gave the same bytes")
	}
}

func TestBuildRefuses(t *testing.T) {
	for name, mutate := range map[string]func(*Package){
		"bad name":         func(p *Package) { p.Name = "capstan agent" },
		"version with _":   func(p *Package) { p.Version = "1_2" },
		"no arch":          func(p *Package) { p.Arch = "" },
		"relative path":    func(p *Package) { p.Files[0].Path = "usr/sbin/x" },
		"unclean path":     func(p *Package) { p.Files[0].Path = "/usr/../etc/x" },
		"missing conffile": func(p *Package) { p.Conffiles = []string{"/etc/config/other"} },
	} {
		p := testPackage()
		mutate(p)
		if _, err := p.Build(); err == nil {
			t.Errorf("%s: built", name)
		}
	}
}

// TestDataLikeGNUTar: GNU tar reads the data archive, and lists the same
// entries in the same order as its own --sort=name archive of that tree
// (what ipkg-build makes), with the same owners and modes.
func TestDataLikeGNUTar(t *testing.T) {
	gnutar, err := exec.LookPath("tar")
	if err != nil {
		t.Fatal("no tar: Debian's tar package is required")
	}
	p := testPackage()
	p.Files = append(p.Files, File{Path: "/etc/config-b/x", Mode: 0o644, Data: []byte("x")},
		File{Path: "/etc/configz", Mode: 0o644, Data: []byte("z")}, File{Path: "/etc/Config", Mode: 0o644})
	b, err := p.Build()
	if err != nil {
		t.Fatal(err)
	}
	var data string
	for _, m := range untar(t, b) {
		if m.Name == "./data.tar.gz" {
			data = m.Data
		}
	}
	ours, err := runTar(gnutar, []string{"-tvzf", "-"}, strings.NewReader(data), "")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	for _, f := range p.Files {
		path := filepath.Join(root, f.Path)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, f.Data, f.Mode); err != nil {
			t.Fatal(err)
		}
		_ = os.Chmod(path, f.Mode)
	}
	_ = filepath.Walk(root, func(path string, fi os.FileInfo, err error) error {
		if err == nil && fi.IsDir() {
			_ = os.Chmod(path, 0o755)
		}
		return err
	})
	archive, err := runTar(gnutar, []string{"--format=gnu", "--numeric-owner", "--owner=0", "--group=0", "--sort=name",
		"--mtime=@1700000000", "-cpf", "-", "."}, nil, root)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := runTar(gnutar, []string{"-tvf", "-"}, strings.NewReader(archive), "")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(theirs, ours); diff != "" {
		t.Errorf("tar -tv of GNU tar's archive (-) and of ours (+):\n%s", diff)
	}
}

func runTar(tarPath string, args []string, stdin io.Reader, dir string) (string, error) {
	cmd := exec.Command(tarPath, args...)
	cmd.Stdin, cmd.Dir = stdin, dir
	cmd.Env = append(os.Environ(), "TZ=UTC", "LC_ALL=C")
	out, err := cmd.Output()
	return string(out), err
}

// libdeflate-gzip's stream is gzip as compress/gzip reads it, the same
// bytes twice, and smaller than compress/gzip's on a binary.
func TestLibdeflate(t *testing.T) {
	if _, err := exec.LookPath("libdeflate-gzip"); err != nil {
		t.Skip("libdeflate-gzip not installed (make deps installs libdeflate-tools)")
	}
	exe, err := os.ReadFile(os.Args[0]) // this test binary
	if err != nil {
		t.Fatal(err)
	}
	a, err := Libdeflate(exe)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Libdeflate(exe)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("two runs gave different bytes")
	}
	zr, err := gzip.NewReader(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	back, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(back, exe) {
		t.Fatalf("round trip: %d of %d bytes, %v", len(back), len(exe), err)
	}
	if !zr.ModTime.IsZero() || zr.Name != "" {
		t.Errorf("header carries time %v, name %q", zr.ModTime, zr.Name)
	}
	std, err := tarGz([]entry{{name: "./x", mode: 0o644, data: exe}}, time.Unix(0, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d bytes: libdeflate -12 %d, compress/gzip %d (tar)", len(exe), len(a), len(std))
	if len(a) >= len(std) {
		t.Errorf("libdeflate %d bytes, compress/gzip %d", len(a), len(std))
	}
}
