package agent

import (
	"bufio"
	"context"
	"crypto/md5" //nolint:gosec // RFC 5415 Image Information carries MD5
	"errors"
	"fmt"
	"hash"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/capstan-wifi/capstan/capwap/transport"
	"github.com/capstan-wifi/capstan/capwap/wire"
)

// ErrUpgraded ends Run after the agent installed the package its manager
// delivered: the service manager (procd) starts the new binary.
var ErrUpgraded = errors.New("agent: upgraded; restart to run the new version")

// installTimeout bounds the package manager.
const installTimeout = 5 * time.Minute

// detectPackageManager resolves "auto" to the package manager the AP has.
func detectPackageManager(pm string) string {
	if pm != "auto" {
		return pm
	}
	for _, name := range []string{"opkg", "apk"} {
		if _, err := exec.LookPath(name); err == nil {
			return name
		}
	}
	return "none"
}

// packageArch is DISTRIB_ARCH of OpenWrt's release file, else the Go
// architecture.
func packageArch(releaseFile string) string {
	if f, err := os.Open(releaseFile); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "DISTRIB_ARCH="); ok {
				return strings.Trim(v, `'"`)
			}
		}
	}
	return runtime.GOARCH
}

func (a *Agent) platform() *wire.Platform {
	pm := a.cfg.PackageManager
	if pm == "none" {
		pm = ""
	}
	return &wire.Platform{Arch: a.cfg.PackageArch, PackageManager: pm}
}

func (a *Agent) installCommand(file string) []string {
	cmd := a.cfg.InstallCommand
	if cmd == nil {
		switch a.cfg.PackageManager {
		case "opkg":
			cmd = []string{"opkg", "install", "--force-reinstall", "--force-downgrade"}
		case "apk":
			cmd = []string{"apk", "add", "--allow-untrusted"}
		}
	}
	return append(append([]string(nil), cmd...), file)
}

// upgrade runs the Image Data state (RFC 5415 §9.1): the manager answered
// the Join with an Image Identifier, so the agent asks for the image,
// receives it block by block, checks its size and MD5, and installs it
// with the package manager. It returns ErrUpgraded when the package is
// installed.
func (a *Agent) upgrade(ctx context.Context, cc *transport.ControlConn, id *wire.ImageIdentifier,
	step func(*wire.ControlMessage) (*wire.ControlMessage, error)) error {
	name := id.Data
	if filepath.Base(name) != name || strings.HasPrefix(name, ".") || !(strings.HasSuffix(name, ".ipk") || strings.HasSuffix(name, ".apk")) {
		return fmt.Errorf("image data: refusing image %q: not a package file name", name)
	}
	if a.cfg.PackageManager == "none" && a.cfg.InstallCommand == nil {
		return fmt.Errorf("image data: the manager offers %s, but this AP has no package manager", name)
	}
	a.setState("image-data", nil)
	resp, err := step(&wire.ControlMessage{Type: wire.ImageDataRequest, Elements: []wire.Element{id, &wire.InitiateDownload{}}})
	if err != nil {
		return err
	}
	info, ok := resp.Element(wire.TypeImageInformation).(*wire.ImageInformation)
	if !ok {
		return errors.New("image data: the response has no Image Information")
	}
	dir := filepath.Join(a.cfg.RunDir, "upgrade")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("image data: %w", err)
	}
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("image data: %w", err)
	}
	defer os.Remove(path)
	began := time.Now()
	err = a.receiveImage(ctx, cc, f, info)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	a.cfg.Logger.Info("image received", "image", name, "bytes", info.FileSize, "took", time.Since(began).Round(time.Millisecond))
	ictx, cancel := context.WithTimeout(ctx, installTimeout)
	defer cancel()
	argv := a.installCommand(path)
	out, err := exec.CommandContext(ictx, argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("install %s: %s: %v: %s", name, strings.Join(argv, " "), err, strings.TrimSpace(string(out)))
	}
	a.cfg.Logger.Info("package installed", "image", name, "command", strings.Join(argv, " "))
	return ErrUpgraded
}

// receiveImage writes the manager's Image Data blocks to f, answering
// each, until the last block; it checks the length as it goes and the MD5
// at the end.
func (a *Agent) receiveImage(ctx context.Context, cc *transport.ControlConn, f *os.File, info *wire.ImageInformation) error {
	var h hash.Hash = md5.New() //nolint:gosec // see import
	var got uint32
	for {
		var m *wire.ControlMessage
		select {
		case m = <-cc.Requests():
		case <-cc.Done():
			return fmt.Errorf("image data: %w", cc.Err())
		case <-time.After(stepTimeout):
			return fmt.Errorf("image data: no block for %v after %d of %d bytes", stepTimeout, got, info.FileSize)
		case <-ctx.Done():
			return ctx.Err()
		}
		block, ok := m.Element(wire.TypeImageData).(*wire.ImageData)
		if m.Type != wire.ImageDataRequest || !ok {
			_ = cc.Respond(m, resultOnly(wire.ResultMessageUnexpectedInvalidState))
			continue
		}
		if block.DataType == wire.DataError {
			_ = cc.Respond(m, resultOnly(wire.ResultSuccess))
			return fmt.Errorf("image data: the manager aborted after %d of %d bytes", got, info.FileSize)
		}
		if uint64(got)+uint64(len(block.Data)) > uint64(info.FileSize) {
			_ = cc.Respond(m, resultOnly(wire.ResultImageDataInvalidLength))
			return fmt.Errorf("image data: more than the announced %d bytes", info.FileSize)
		}
		if _, err := f.Write(block.Data); err != nil {
			_ = cc.Respond(m, resultOnly(wire.ResultImageDataOtherError))
			return fmt.Errorf("image data: %w", err)
		}
		h.Write(block.Data)
		got += uint32(len(block.Data))
		if block.DataType != wire.DataEOF {
			_ = cc.Respond(m, resultOnly(wire.ResultSuccess))
			continue
		}
		var sum [16]byte
		copy(sum[:], h.Sum(nil))
		switch {
		case got != info.FileSize:
			_ = cc.Respond(m, resultOnly(wire.ResultImageDataInvalidLength))
			return fmt.Errorf("image data: %d bytes, announced %d", got, info.FileSize)
		case sum != info.Hash:
			_ = cc.Respond(m, resultOnly(wire.ResultImageDataInvalidChecksum))
			return fmt.Errorf("image data: MD5 %x, announced %x", sum, info.Hash)
		}
		_ = cc.Respond(m, resultOnly(wire.ResultSuccess))
		return nil
	}
}

func resultOnly(code wire.ResultCode) *wire.ControlMessage {
	return &wire.ControlMessage{Elements: []wire.Element{&wire.ResultCodeElement{Code: code}}}
}
