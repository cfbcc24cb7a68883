package agent

import (
	"context"
	"crypto/md5" //nolint:gosec // the hash Image Information carries
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/capwap/capwaptest"
	"github.com/capstan-wifi/capstan/capwap/transport"
	"github.com/capstan-wifi/capstan/capwap/wire"
)

// TestReceiveImage: the agent's side of Image Data takes the blocks,
// answers each, and checks the announced length and MD5 before anything
// is installed; a manager's abort ends it.
func TestReceiveImage(t *testing.T) {
	image := []byte(strings.Repeat("capstan-agent package ", 100))                     // 2,200 bytes: 3 blocks
	good := &wire.ImageInformation{FileSize: uint32(len(image)), Hash: md5.Sum(image)} //nolint:gosec
	for _, c := range []struct {
		name   string
		info   *wire.ImageInformation
		blocks []*wire.ImageData
		last   wire.ResultCode // the answer to the last block
		err    string
	}{
		{name: "whole", info: good, blocks: blocks(image), last: wire.ResultSuccess},
		{name: "wrong MD5", info: &wire.ImageInformation{FileSize: good.FileSize}, blocks: blocks(image),
			last: wire.ResultImageDataInvalidChecksum, err: "MD5"},
		{name: "more than announced", info: &wire.ImageInformation{FileSize: 2000, Hash: good.Hash}, blocks: blocks(image),
			last: wire.ResultImageDataInvalidLength, err: "more than the announced 2000 bytes"},
		{name: "less than announced", info: &wire.ImageInformation{FileSize: 3000, Hash: good.Hash}, blocks: blocks(image),
			last: wire.ResultImageDataInvalidLength, err: "2200 bytes, announced 3000"},
		{name: "aborted", info: good, blocks: append(blocks(image)[:1], &wire.ImageData{DataType: wire.DataError}),
			last: wire.ResultSuccess, err: "aborted after 1024 of 2200 bytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, _ := newApplyAgent(t)
			mc, ac := capwaptest.Pair()
			mgr := transport.NewControlConn(mc, transport.ControlConfig{})
			capConn := transport.NewControlConn(ac, transport.ControlConfig{})
			defer mgr.Close()
			defer capConn.Close()
			path := filepath.Join(t.TempDir(), "image.ipk")
			f, _ := os.Create(path)
			done := make(chan error, 1)
			go func() { done <- a.receiveImage(context.Background(), capConn, f, c.info) }()
			var last wire.ResultCode
			for _, b := range c.blocks {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				resp, err := mgr.Request(ctx, &wire.ControlMessage{Type: wire.ImageDataRequest, Elements: []wire.Element{b}})
				cancel()
				if err != nil {
					t.Fatal(err)
				}
				last = resp.Element(wire.TypeResultCode).(*wire.ResultCodeElement).Code
				if last != wire.ResultSuccess {
					break
				}
			}
			err := <-done
			f.Close()
			if last != c.last {
				t.Errorf("last answer %v, want %v", last, c.last)
			}
			if c.err == "" {
				got, _ := os.ReadFile(path)
				if err != nil || string(got) != string(image) {
					t.Errorf("receiveImage: %v, %d bytes written", err, len(got))
				}
			} else if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("receiveImage: %v, want %q", err, c.err)
			}
		})
	}
}

// blocks cuts b into Image Data blocks of 1024 bytes, the last one EOF.
func blocks(b []byte) []*wire.ImageData {
	var out []*wire.ImageData
	for len(b) > 0 {
		n := min(len(b), 1024)
		out = append(out, &wire.ImageData{DataType: wire.DataIncluded, Data: b[:n]})
		b = b[n:]
	}
	out[len(out)-1].DataType = wire.DataEOF
	return out
}

func TestPackageArch(t *testing.T) {
	release := filepath.Join(t.TempDir(), "openwrt_release")
	os.WriteFile(release, []byte("DISTRIB_ID='OpenWrt'\nDISTRIB_ARCH='mipsel_24kc'\n"), 0o644)
	if got := packageArch(release); got != "mipsel_24kc" {
		t.Errorf("packageArch = %q", got)
	}
	if got := packageArch(filepath.Join(t.TempDir(), "none")); got == "" {
		t.Error("no fallback architecture")
	}
	if got := detectPackageManager("apk"); got != "apk" {
		t.Errorf("explicit package manager changed to %q", got)
	}
}
