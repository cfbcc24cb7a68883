package ipk

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// entry is a file or (name ending in /) a directory of a tar.
type entry struct {
	name string
	mode fs.FileMode
	data []byte
}

// withDirs adds "./" and every parent directory (mode 0755) and sorts the
// entries as GNU tar --sort=name walks a tree: each directory's entries by
// name, a directory followed by what it holds.
func withDirs(es []entry) []entry {
	seen := map[string]bool{}
	out := []entry{{name: "./", mode: 0o755}}
	seen["./"] = true
	for _, e := range es {
		for d := path.Dir(strings.TrimPrefix(e.name, "./")); d != "." && d != "/"; d = path.Dir(d) {
			if name := "./" + d + "/"; !seen[name] {
				seen[name] = true
				out = append(out, entry{name: name, mode: 0o755})
			}
		}
		out = append(out, e)
	}
	sortTree(out)
	return out
}

// sortTree orders paths component by component (strcmp per component).
func sortTree(es []entry) {
	key := func(e entry) []string {
		return strings.Split(strings.TrimSuffix(strings.TrimPrefix(e.name, "./"), "/"), "/")
	}
	slices.SortFunc(es, func(a, b entry) int {
		ka, kb := key(a), key(b)
		if a.name == "./" {
			return -1
		}
		if b.name == "./" {
			return 1
		}
		for i := 0; i < len(ka) && i < len(kb); i++ {
			if c := strings.Compare(ka[i], kb[i]); c != 0 {
				return c
			}
		}
		return len(ka) - len(kb)
	})
}

// tarGz writes es in their order as a GNU tar, root-owned by number,
// gzip'd by gz, or without it by compress/gzip without a name or time
// (gzip -n).
func tarGz(es []entry, mtime time.Time, gz func([]byte) ([]byte, error)) ([]byte, error) {
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	for _, e := range es {
		h := &tar.Header{Name: e.name, Mode: int64(e.mode), ModTime: mtime, Format: tar.FormatGNU}
		if strings.HasSuffix(e.name, "/") {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if gz != nil {
		return gz(tb.Bytes())
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	zw.OS = 3 // Unix, as gzip writes
	if _, err := zw.Write(tb.Bytes()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func gunzippedLen(b []byte) (int64, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	return io.Copy(io.Discard, zr)
}
