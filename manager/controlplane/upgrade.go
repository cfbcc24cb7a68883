package controlplane

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/manager/upgrade"
)

// UpgradeRetry is how long after offering a CAP a package the manager
// takes the CAP's return on its old version as a failed upgrade, and does
// not offer the package again.
const UpgradeRetry = 10 * time.Minute

// Offers remembers the packages offered to CAPs, by the CAP's identity
// key, so that a CAP back on its old version is not offered the same
// package again within UpgradeRetry, whichever manager of a fleet it comes
// back to.
type Offers interface {
	Offered(cap string) (version string, at time.Time, ok bool)
	Offer(cap, version string, at time.Time)
}

// memOffers keeps offers in memory: a manager alone.
type memOffers struct {
	mu sync.Mutex
	m  map[string]offer
}

type offer struct {
	version string
	at      time.Time
}

func (o *memOffers) Offered(cap string) (string, time.Time, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	x, ok := o.m[cap]
	return x.version, x.at, ok
}

func (o *memOffers) Offer(cap, version string, at time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = map[string]offer{}
	}
	o.m[cap] = offer{version: version, at: at}
}

// upgradeDecision applies the manager's upgrade-policy to a joining CAP.
func (c *session) upgradeDecision(req *wire.ControlMessage) upgrade.Decision {
	m := c.srv.cfg.Store.Config().Items("manager")[0]
	info := upgrade.CAP{Version: c.version}
	for _, e := range req.ElementsOf(wire.TypeVendorSpecificPayload) {
		if p, ok := e.(*wire.Platform); ok {
			info.Arch, info.PackageManager = p.Arch, p.PackageManager
		}
	}
	want := c.srv.cfg.Version
	version, at, offered := c.srv.cfg.Offers.Offered(c.key)
	failed := offered && version == want && time.Since(at) < UpgradeRetry
	d := upgrade.Decide(m.String("upgrade-policy"), m.String("package-path"), want, info, failed)
	if d.Offer != nil {
		c.srv.cfg.Offers.Offer(c.key, want, time.Now())
	}
	return d
}

// sendImage runs the manager's side of the Image Data state (RFC 5415
// §9.1) after a Join Response that named p: the CAP asks for the image,
// the answer carries its size and MD5, and the manager sends it in blocks
// of 1024 bytes, each acknowledged. The session ends afterwards: the CAP
// installs the package and joins again with its new version.
func (c *session) sendImage(ctx context.Context, p *upgrade.Package) error {
	c.setState("image-data")
	req, err := c.expect(ctx, wire.ImageDataRequest)
	if err != nil {
		return err
	}
	id, _ := req.Element(wire.TypeImageIdentifier).(*wire.ImageIdentifier)
	if id == nil || id.Data != p.Name || req.Element(wire.TypeInitiateDownload) == nil {
		_ = c.cc.Respond(req, resultOnly(wire.ResultImageDataOtherError))
		return fmt.Errorf("image data request is not for %s with Initiate Download", p.Name)
	}
	f, err := os.Open(p.Path)
	if err != nil {
		_ = c.cc.Respond(req, resultOnly(wire.ResultImageDataOtherError))
		return err
	}
	defer f.Close()
	if err := c.cc.Respond(req, &wire.ControlMessage{Elements: []wire.Element{&wire.ResultCodeElement{Code: wire.ResultSuccess},
		&wire.ImageInformation{FileSize: uint32(p.Size), Hash: p.MD5}}}); err != nil {
		return err
	}
	began := time.Now()
	buf := make([]byte, 1024)
	for sent := int64(0); sent < p.Size; {
		n, err := io.ReadFull(f, buf[:min(int64(len(buf)), p.Size-sent)])
		block := &wire.ImageData{DataType: wire.DataIncluded, Data: buf[:n]}
		if sent+int64(n) == p.Size {
			block.DataType = wire.DataEOF
		}
		if err != nil { // the file shrank since it was hashed
			block = &wire.ImageData{DataType: wire.DataError}
		}
		rctx, cancel := context.WithTimeout(ctx, c.srv.cfg.JoinTimeout)
		resp, rerr := c.cc.Request(rctx, &wire.ControlMessage{Type: wire.ImageDataRequest, Elements: []wire.Element{block}})
		cancel()
		switch {
		case err != nil:
			return fmt.Errorf("read %s: %w", p.Path, err)
		case rerr != nil:
			return fmt.Errorf("image data at byte %d: %w", sent, rerr)
		}
		if why := refusalText(resp); why != "" {
			return fmt.Errorf("CAP refused image data at byte %d: %s", sent, why)
		}
		sent += int64(n)
	}
	c.srv.metrics.upgrades.Inc()
	c.log.Info("image delivered", "image", p.Name, "bytes", p.Size, "took", time.Since(began).Round(time.Millisecond))
	return errImageSent
}

var errImageSent = errors.New("image delivered: the CAP installs it and joins again")
