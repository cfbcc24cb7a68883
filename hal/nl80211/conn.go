// Package nl80211 is the observe plane straight from the kernel: radios
// (phys) with their bands, channels, DFS state and power limits, interface
// combinations, wireless interfaces, stations, scans (of a frequency list
// or every channel) and the channel survey, transmit power, and the
// station and radar events of nl80211's "mlme" multicast group. It parses
// interfaces and stations with github.com/mdlayher/wifi and speaks generic
// netlink itself (github.com/mdlayher/genetlink) for what that package
// does not cover; tests drive it with genltest fakes.
package nl80211

import (
	"context"
	"fmt"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Conn is a generic netlink connection to the nl80211 family.
type Conn struct {
	c      *genetlink.Conn
	family genetlink.Family
}

// Dial opens a connection to the kernel's nl80211.
func Dial() (*Conn, error) {
	c, err := genetlink.Dial(nil)
	if err != nil {
		return nil, fmt.Errorf("nl80211: %w", err)
	}
	return New(c)
}

// New uses c, which genltest.Dial can fake, for nl80211 requests. It closes
// c when the nl80211 family does not exist (no cfg80211 in the kernel).
func New(c *genetlink.Conn) (*Conn, error) {
	f, err := c.GetFamily(unix.NL80211_GENL_NAME)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("nl80211: family not found (is cfg80211 loaded?): %w", err)
	}
	return &Conn{c: c, family: f}, nil
}

// Close closes the connection.
func (c *Conn) Close() error { return c.c.Close() }

// execute sends one request built by attrs and returns the replies.
func (c *Conn) execute(ctx context.Context, cmd uint8, flags netlink.HeaderFlags, attrs func(*netlink.AttributeEncoder)) ([]genetlink.Message, error) {
	ae := netlink.NewAttributeEncoder()
	if attrs != nil {
		attrs(ae)
	}
	b, err := ae.Encode()
	if err != nil {
		return nil, err
	}
	if d, ok := ctx.Deadline(); ok {
		_ = c.c.SetDeadline(d)
		defer c.c.SetDeadline(noDeadline)
	}
	msgs, err := c.c.Execute(genetlink.Message{
		Header: genetlink.Header{Command: cmd, Version: c.family.Version},
		Data:   b,
	}, c.family.ID, netlink.Request|flags)
	if err != nil {
		return nil, fmt.Errorf("nl80211 command %d: %w", cmd, err)
	}
	return msgs, nil
}
