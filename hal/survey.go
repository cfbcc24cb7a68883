package hal

import (
	"context"
	"fmt"
)

// InterfaceSurveyor surveys the channels of a wireless interface;
// *nl80211.Conn is one. Backends whose observer is one implement Surveyor.
type InterfaceSurveyor interface {
	SurveyOf(ctx context.Context, ifname string, scan *Scan) ([]SurveyEntry, error)
}

// SurveyWith surveys radio id of radios through obs on interface ifname
// (the radio's own interface when ""), for backends' Survey methods.
func SurveyWith(ctx context.Context, obs any, radios []Radio, id uint8, ifname string, scan *Scan) ([]SurveyEntry, error) {
	s, ok := obs.(InterfaceSurveyor)
	if !ok {
		return nil, fmt.Errorf("this backend's observer cannot survey channels")
	}
	for _, r := range radios {
		if r.ID != id {
			continue
		}
		if ifname == "" {
			ifname = r.Interface
		}
		if ifname == "" {
			return nil, fmt.Errorf("radio %d (%s) has no interface to survey on", id, r.Name)
		}
		return s.SurveyOf(ctx, ifname, scan)
	}
	return nil, fmt.Errorf("no radio %d", id)
}
