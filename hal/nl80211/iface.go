package nl80211

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/mdlayher/netlink"
	"github.com/mdlayher/wifi"
	"golang.org/x/sys/unix"

	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/hal"
)

// Interfaces lists the wireless interfaces. wpa_supplicant's P2P device has
// no name and no netdev; it is left out.
func (c *Conn) Interfaces(ctx context.Context) ([]*wifi.Interface, error) {
	msgs, err := c.execute(ctx, unix.NL80211_CMD_GET_INTERFACE, netlink.Dump, nil)
	if err != nil {
		return nil, err
	}
	all, err := wifi.ParseInterfaces(msgs)
	if err != nil {
		return nil, fmt.Errorf("nl80211: parse interfaces: %w", err)
	}
	out := all[:0]
	for _, ifi := range all {
		if ifi.Name != "" && ifi.Type != wifi.InterfaceTypeP2PDevice {
			out = append(out, ifi)
		}
	}
	return out, nil
}

// Radios is the inventory: every phy with its first interface and address.
// Radio IDs follow the phy order, from 1.
func (c *Conn) Radios(ctx context.Context) ([]hal.Radio, error) {
	phys, err := c.PHYs(ctx)
	if err != nil {
		return nil, err
	}
	ifaces, err := c.Interfaces(ctx)
	if err != nil {
		return nil, err
	}
	var out []hal.Radio
	for i, p := range phys {
		r := hal.Radio{ID: uint8(i + 1), Name: p.Name, Bands: p.Bands, MaxAP: p.MaxAP(), Types: radioTypes(p.Bands)}
		for _, ifi := range ifaces {
			if ifi.PHY == p.Index {
				r.Interface, r.MAC = ifi.Name, append(net.HardwareAddr(nil), ifi.HardwareAddr...)
				break
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// radioTypes is the RFC 5416 §6.25 Radio Type bit set of the bands.
func radioTypes(bands []hal.BandInfo) uint32 {
	var t uint32
	for _, b := range bands {
		switch b.Band {
		case hal.Band2GHz:
			t |= wire.RadioType80211b | wire.RadioType80211g
		case hal.Band5GHz, hal.Band6GHz:
			t |= wire.RadioType80211a
		}
		if b.HT {
			t |= wire.RadioType80211n
		}
	}
	return t
}

// Stations lists the stations of interface ifname with their statistics.
func (c *Conn) Stations(ctx context.Context, ifname string) ([]hal.Station, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("nl80211: stations of %s: %w", ifname, err)
	}
	return c.stationsOf(ctx, ifi.Index, ifname)
}

func (c *Conn) stationsOf(ctx context.Context, index int, ifname string) ([]hal.Station, error) {
	msgs, err := c.execute(ctx, unix.NL80211_CMD_GET_STATION, netlink.Dump, func(ae *netlink.AttributeEncoder) {
		ae.Uint32(unix.NL80211_ATTR_IFINDEX, uint32(index))
	})
	if err != nil {
		return nil, err
	}
	out := make([]hal.Station, 0, len(msgs))
	for _, m := range msgs {
		si, err := wifi.ParseStationInfo(m.Data)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("nl80211: parse station: %w", err)
		}
		out = append(out, hal.Station{
			Interface: ifname, MAC: si.HardwareAddr,
			Signal: si.Signal, SignalAvg: si.SignalAverage,
			TxRateKbps: si.TransmitBitrate / 1000, RxRateKbps: si.ReceiveBitrate / 1000,
			TxBytes: uint64(si.TransmittedBytes), RxBytes: uint64(si.ReceivedBytes),
			TxPackets: uint64(si.TransmittedPackets), RxPackets: uint64(si.ReceivedPackets),
			Connected: si.Connected, Inactive: si.Inactive,
		})
	}
	return out, nil
}

// SetTxPower caps the transmit power of phy index to dBm, or returns it to
// the regulatory maximum with dBm 0 (NL80211_TX_POWER_AUTOMATIC).
func (c *Conn) SetTxPower(ctx context.Context, phy int, dBm int) error {
	_, err := c.execute(ctx, unix.NL80211_CMD_SET_WIPHY, netlink.Acknowledge, func(ae *netlink.AttributeEncoder) {
		ae.Uint32(unix.NL80211_ATTR_WIPHY, uint32(phy))
		if dBm == 0 {
			ae.Uint32(unix.NL80211_ATTR_WIPHY_TX_POWER_SETTING, unix.NL80211_TX_POWER_AUTOMATIC)
			return
		}
		ae.Uint32(unix.NL80211_ATTR_WIPHY_TX_POWER_SETTING, unix.NL80211_TX_POWER_LIMITED)
		ae.Uint32(unix.NL80211_ATTR_WIPHY_TX_POWER_LEVEL, uint32(dBm*100))
	})
	if err != nil {
		return fmt.Errorf("nl80211: set tx power of phy %d to %d dBm: %w", phy, dBm, err)
	}
	return nil
}

// SetTxPowerOf is SetTxPower for the phy named name (phy0).
func (c *Conn) SetTxPowerOf(ctx context.Context, name string, dBm int) error {
	phys, err := c.PHYs(ctx)
	if err != nil {
		return err
	}
	for _, p := range phys {
		if p.Name == name {
			return c.SetTxPower(ctx, p.Index, dBm)
		}
	}
	return fmt.Errorf("nl80211: no phy %s", name)
}
