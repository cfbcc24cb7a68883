package nl80211

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/capstan-wifi/capstan/hal"
)

// Monitor joins nl80211's "mlme" multicast group on c, which must be a
// connection of its own, and delivers station and radar events until ctx
// ends; then it closes c. The channel is buffered; events that find it full
// are dropped rather than block the socket.
func Monitor(ctx context.Context, c *Conn) (<-chan hal.Event, error) {
	var group uint32
	for _, g := range c.family.Groups {
		if g.Name == unix.NL80211_MULTICAST_GROUP_MLME {
			group = g.ID
		}
	}
	if group == 0 {
		return nil, fmt.Errorf("nl80211: no %q multicast group", unix.NL80211_MULTICAST_GROUP_MLME)
	}
	if err := c.c.JoinGroup(group); err != nil {
		return nil, fmt.Errorf("nl80211: join mlme group: %w", err)
	}
	out := make(chan hal.Event, 64)
	go func() {
		<-ctx.Done()
		c.Close() // unblocks Receive
	}()
	go func() {
		defer close(out)
		for {
			msgs, _, err := c.c.Receive()
			if err != nil {
				return
			}
			for _, m := range msgs {
				if ev, ok := parseEvent(m); ok {
					select {
					case out <- ev:
					default:
					}
				}
			}
		}
	}()
	return out, nil
}

// parseEvent turns an mlme group message into an Event: new and deleted
// stations, and radar detections.
func parseEvent(m genetlink.Message) (hal.Event, bool) {
	var ev hal.Event
	switch m.Header.Command {
	case unix.NL80211_CMD_NEW_STATION:
		ev.Kind = hal.StationAssociated
	case unix.NL80211_CMD_DEL_STATION:
		ev.Kind = hal.StationDisassociated
	case unix.NL80211_CMD_RADAR_DETECT:
		ev.Kind = hal.RadarDetected
	default:
		return ev, false
	}
	attrs, err := netlink.UnmarshalAttributes(m.Data)
	if err != nil {
		return ev, false
	}
	radar := ev.Kind != hal.RadarDetected
	for _, a := range attrs {
		switch a.Type {
		case unix.NL80211_ATTR_IFINDEX:
			if len(a.Data) == 4 {
				if ifi, err := net.InterfaceByIndex(int(binary.NativeEndian.Uint32(a.Data))); err == nil {
					ev.Interface = ifi.Name
				}
			}
		case unix.NL80211_ATTR_MAC:
			if len(a.Data) == 6 {
				ev.MAC = append(net.HardwareAddr(nil), a.Data...)
			}
		case unix.NL80211_ATTR_WIPHY_FREQ:
			if len(a.Data) == 4 {
				ev.FrequencyMHz = int(binary.NativeEndian.Uint32(a.Data))
			}
		case unix.NL80211_ATTR_RADAR_EVENT:
			// NL80211_RADAR_DETECTED is 0; CAC results share the command.
			radar = radar || (len(a.Data) == 4 && binary.NativeEndian.Uint32(a.Data) == unix.NL80211_RADAR_DETECTED)
		}
	}
	if ev.Kind != hal.RadarDetected && ev.MAC == nil {
		return ev, false // a station event without a station
	}
	return ev, radar
}
