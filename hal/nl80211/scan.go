package nl80211

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// joinScanGroup joins nl80211's "scan" multicast group on c, which must
// be a connection of its own; leave undoes it.
func joinScanGroup(c *Conn) (leave func(), err error) {
	var group uint32
	for _, g := range c.family.Groups {
		if g.Name == unix.NL80211_MULTICAST_GROUP_SCAN {
			group = g.ID
		}
	}
	if group == 0 {
		return nil, fmt.Errorf("no %q multicast group", unix.NL80211_MULTICAST_GROUP_SCAN)
	}
	if err := c.c.JoinGroup(group); err != nil {
		return nil, fmt.Errorf("join scan group: %w", err)
	}
	return func() { _ = c.c.LeaveGroup(group) }, nil
}

// triggerScan has the kernel scan interface index, on the frequencies
// freqs (MHz; all the radio's channels when empty) with a wildcard probe,
// and waits until the scan group (c joined it) reports the results or the
// abort of that scan.
func triggerScan(ctx context.Context, c *Conn, index int, freqs []int) error {
	ae := netlink.NewAttributeEncoder()
	ae.Uint32(unix.NL80211_ATTR_IFINDEX, uint32(index))
	ae.Nested(unix.NL80211_ATTR_SCAN_SSIDS, func(ae *netlink.AttributeEncoder) error {
		ae.Bytes(1, nil) // the wildcard SSID
		return nil
	})
	if len(freqs) > 0 {
		ae.Nested(unix.NL80211_ATTR_SCAN_FREQUENCIES, func(ae *netlink.AttributeEncoder) error {
			for i, f := range freqs {
				ae.Uint32(uint16(i+1), uint32(f))
			}
			return nil
		})
	}
	b, err := ae.Encode()
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { _ = c.c.SetReadDeadline(time.Now()) })
	defer stop()
	if d, ok := ctx.Deadline(); ok {
		_ = c.c.SetReadDeadline(d)
	}
	// Without an acknowledgement: the kernel answers a refused scan with an
	// error, a started one with TRIGGER_SCAN on the scan group.
	if _, err := c.c.Send(genetlink.Message{Header: genetlink.Header{Command: unix.NL80211_CMD_TRIGGER_SCAN, Version: c.family.Version}, Data: b},
		c.family.ID, netlink.Request); err != nil {
		return err
	}
	for {
		msgs, _, err := c.c.Receive()
		switch {
		case err != nil && ctx.Err() != nil:
			return fmt.Errorf("scan did not finish: %w", ctx.Err())
		case errors.Is(err, os.ErrDeadlineExceeded):
			return fmt.Errorf("scan did not finish: %w", context.DeadlineExceeded)
		case err != nil:
			return err
		}
		for _, m := range msgs {
			if scanIndex(m) != index {
				continue
			}
			switch m.Header.Command {
			case unix.NL80211_CMD_NEW_SCAN_RESULTS:
				return nil
			case unix.NL80211_CMD_SCAN_ABORTED:
				return errors.New("the kernel aborted the scan")
			}
		}
	}
}

// scanIndex is the interface index a scan group message is about, -1
// when it names none.
func scanIndex(m genetlink.Message) int {
	attrs, err := netlink.UnmarshalAttributes(m.Data)
	if err != nil {
		return -1
	}
	for _, a := range attrs {
		if a.Type == unix.NL80211_ATTR_IFINDEX && len(a.Data) == 4 {
			return int(binary.NativeEndian.Uint32(a.Data))
		}
	}
	return -1
}
