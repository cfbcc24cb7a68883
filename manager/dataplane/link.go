package dataplane

import (
	"fmt"
	"net"

	"github.com/jsimonetti/rtnetlink/v2"
	"golang.org/x/sys/unix"
)

// linkUp brings name up and makes it a port of bridge, or of no bridge
// when bridge is "".
func linkUp(name, bridge string) error {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return err
	}
	c, err := rtnetlink.Dial(nil)
	if err != nil {
		return fmt.Errorf("rtnetlink: %w", err)
	}
	defer c.Close()
	var master uint32
	if bridge != "" {
		br, err := net.InterfaceByName(bridge)
		if err != nil {
			return fmt.Errorf("bridge %s: %w", bridge, err)
		}
		master = uint32(br.Index)
	}
	if err := c.Link.SetMaster(uint32(ifi.Index), master, nil); err != nil {
		return fmt.Errorf("%s into bridge %q: %w", name, bridge, err)
	}
	if err := c.Link.Set(&rtnetlink.LinkMessage{Family: unix.AF_UNSPEC, Index: uint32(ifi.Index), Flags: unix.IFF_UP, Change: unix.IFF_UP}); err != nil {
		return fmt.Errorf("%s up: %w", name, err)
	}
	return nil
}
