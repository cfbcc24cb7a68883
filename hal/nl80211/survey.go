package nl80211

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/capstan-wifi/capstan/hal"
)

// Survey returns the channel survey of interface index: how busy each
// channel the radio has visited was.
func (c *Conn) Survey(ctx context.Context, index int) ([]hal.SurveyEntry, error) {
	msgs, err := c.execute(ctx, unix.NL80211_CMD_GET_SURVEY, netlink.Dump, func(ae *netlink.AttributeEncoder) {
		ae.Uint32(unix.NL80211_ATTR_IFINDEX, uint32(index))
	})
	if err != nil {
		return nil, err
	}
	var out []hal.SurveyEntry
	for _, m := range msgs {
		ad, err := netlink.NewAttributeDecoder(m.Data)
		if err != nil {
			return nil, err
		}
		for ad.Next() {
			if ad.Type() != unix.NL80211_ATTR_SURVEY_INFO {
				continue
			}
			var e hal.SurveyEntry
			ad.Nested(func(sad *netlink.AttributeDecoder) error {
				ms := func() time.Duration { return time.Duration(sad.Uint64()) * time.Millisecond }
				for sad.Next() {
					switch sad.Type() {
					case unix.NL80211_SURVEY_INFO_FREQUENCY:
						e.FrequencyMHz = int(sad.Uint32())
					case unix.NL80211_SURVEY_INFO_NOISE:
						e.NoiseDBm = int(int8(sad.Uint8()))
					case unix.NL80211_SURVEY_INFO_IN_USE:
						e.InUse = true
					case unix.NL80211_SURVEY_INFO_TIME:
						e.Active = ms()
					case unix.NL80211_SURVEY_INFO_TIME_BUSY:
						e.Busy = ms()
					case unix.NL80211_SURVEY_INFO_TIME_RX:
						e.Rx = ms()
					case unix.NL80211_SURVEY_INFO_TIME_TX:
						e.Tx = ms()
					}
				}
				return nil
			})
			if e.FrequencyMHz != 0 {
				out = append(out, e)
			}
		}
		if err := ad.Err(); err != nil {
			return nil, fmt.Errorf("nl80211: parse survey: %w", err)
		}
	}
	return out, nil
}

// SurveyOf returns the channel survey of the wireless interface ifname.
// With scan it first has the kernel scan (the channels scan lists, or all)
// and waits for the results, bringing a down interface up for the scan and
// down again after it. When the scan fails but the kernel has a survey
// (drivers that cannot scan in AP mode still count their operating
// channel), it returns the survey with a *ScanError.
func (c *Conn) SurveyOf(ctx context.Context, ifname string, scan *hal.Scan) ([]hal.SurveyEntry, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("nl80211: survey: %w", err)
	}
	var scanErr error
	if scan != nil {
		scanErr = scanOnce(ctx, ifi, scan.FrequenciesMHz)
	}
	entries, err := c.Survey(ctx, ifi.Index)
	if err != nil {
		return nil, fmt.Errorf("nl80211: survey of %s: %w", ifname, err)
	}
	if scanErr != nil {
		if len(entries) == 0 {
			return nil, fmt.Errorf("nl80211: scan on %s: %w", ifname, scanErr)
		}
		return entries, &ScanError{Interface: ifname, Err: scanErr}
	}
	return entries, nil
}

// ScanError is SurveyOf's error when the scan failed but the kernel still
// had a survey, which SurveyOf returns with it: the survey covers only the
// channels the radio visited before.
type ScanError struct {
	Interface string
	Err       error
}

func (e *ScanError) Error() string { return fmt.Sprintf("nl80211: scan on %s: %v", e.Interface, e.Err) }
func (e *ScanError) Unwrap() error { return e.Err }

func scanOnce(ctx context.Context, ifi *net.Interface, freqs []int) error {
	if ifi.Flags&net.FlagUp == 0 {
		if err := setUp(ifi.Name, true); err != nil {
			return err
		}
		defer setUp(ifi.Name, false)
	}
	c, err := Dial() // a connection of its own: it joins the scan group
	if err != nil {
		return err
	}
	defer c.Close()
	leave, err := joinScanGroup(c)
	if err != nil {
		return err
	}
	defer leave()
	return triggerScan(ctx, c, ifi.Index, freqs)
}

// setUp sets or clears IFF_UP on interface name.
func setUp(name string, up bool) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	flags := ifr.Uint16()
	if up {
		flags |= unix.IFF_UP
	} else {
		flags &^= unix.IFF_UP
	}
	ifr.SetUint16(flags)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}
