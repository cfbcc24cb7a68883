package nl80211

import (
	"context"
	"fmt"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// SurveyEntry is the channel survey of one frequency.
type SurveyEntry struct {
	FrequencyMHz int
	NoiseDBm     int
	InUse        bool
	Active, Busy time.Duration
}

// Survey returns the channel survey of interface index: how busy each
// channel the radio has visited was.
func (c *Conn) Survey(ctx context.Context, index int) ([]SurveyEntry, error) {
	msgs, err := c.execute(ctx, unix.NL80211_CMD_GET_SURVEY, netlink.Dump, func(ae *netlink.AttributeEncoder) {
		ae.Uint32(unix.NL80211_ATTR_IFINDEX, uint32(index))
	})
	if err != nil {
		return nil, err
	}
	var out []SurveyEntry
	for _, m := range msgs {
		ad, err := netlink.NewAttributeDecoder(m.Data)
		if err != nil {
			return nil, err
		}
		for ad.Next() {
			if ad.Type() != unix.NL80211_ATTR_SURVEY_INFO {
				continue
			}
			var e SurveyEntry
			ad.Nested(func(sad *netlink.AttributeDecoder) error {
				for sad.Next() {
					switch sad.Type() {
					case unix.NL80211_SURVEY_INFO_FREQUENCY:
						e.FrequencyMHz = int(sad.Uint32())
					case unix.NL80211_SURVEY_INFO_NOISE:
						e.NoiseDBm = int(int8(sad.Uint8()))
					case unix.NL80211_SURVEY_INFO_IN_USE:
						e.InUse = true
					case unix.NL80211_SURVEY_INFO_TIME:
						e.Active = time.Duration(sad.Uint64()) * time.Millisecond
					case unix.NL80211_SURVEY_INFO_TIME_BUSY:
						e.Busy = time.Duration(sad.Uint64()) * time.Millisecond
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
