package model

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// checkFrequency takes a channel's centre frequency in MHz (2.4, 5 and 6
// GHz channels).
func checkFrequency(s string) (string, error) {
	f, err := strconv.Atoi(s)
	if err != nil || ChannelOf(f) == 0 {
		return "", fmt.Errorf("want a Wi-Fi channel frequency in MHz, like 2412 or 5180")
	}
	return strconv.Itoa(f), nil
}

// ChannelOf is the IEEE 802.11 channel number of a centre frequency in MHz,
// 0 if none.
func ChannelOf(mhz int) int {
	switch {
	case mhz == 2484:
		return 14
	case mhz >= 2412 && mhz <= 2472 && (mhz-2407)%5 == 0:
		return (mhz - 2407) / 5
	case mhz >= 5160 && mhz <= 5885 && mhz%5 == 0:
		// 20 MHz channels 32–144 are multiples of 4; from 149 (UNII-3) one more.
		if ch := (mhz - 5000) / 5; ch <= 144 && ch%4 == 0 || ch >= 149 && ch%4 == 1 {
			return ch
		}
	case mhz >= 5955 && mhz <= 7115 && (mhz-5950)%20 == 5:
		return (mhz - 5950) / 5
	}
	return 0
}

// BandOfFrequency is "2ghz", "5ghz" or "6ghz".
func BandOfFrequency(mhz int) string {
	switch {
	case mhz < 3000:
		return "2ghz"
	case mhz < 5950:
		return "5ghz"
	}
	return "6ghz"
}

// DurationRange is a reselect interval: a fixed duration or min..max.
type DurationRange struct{ Min, Max time.Duration }

// ParseDurationRange reads "1h" or "30m..1h".
func ParseDurationRange(s string) (DurationRange, error) {
	lo, hi, isRange := strings.Cut(s, "..")
	a, err := time.ParseDuration(lo)
	if err != nil {
		return DurationRange{}, fmt.Errorf("want a duration like 1h or a range like 30m..1h")
	}
	b := a
	if isRange {
		if b, err = time.ParseDuration(hi); err != nil {
			return DurationRange{}, fmt.Errorf("want a duration like 1h or a range like 30m..1h")
		}
	}
	if a < time.Minute || b < a {
		return DurationRange{}, fmt.Errorf("want at least 1m, and the end not before the start")
	}
	return DurationRange{a, b}, nil
}

func (r DurationRange) String() string {
	if r.Min == r.Max {
		return shortDuration(r.Min)
	}
	return shortDuration(r.Min) + ".." + shortDuration(r.Max)
}

func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") || strings.HasSuffix(s, "h0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func checkDurationRange(s string) (string, error) {
	r, err := ParseDurationRange(s)
	if err != nil {
		return "", err
	}
	return r.String(), nil
}

// IPRange is an inclusive range of addresses.
type IPRange struct{ From, To netip.Addr }

// Contains reports whether a is in r.
func (r IPRange) Contains(a netip.Addr) bool {
	a = a.Unmap()
	return a.BitLen() == r.From.BitLen() && r.From.Compare(a) <= 0 && a.Compare(r.To) <= 0
}

// ParseIPRange reads an address, a prefix (192.0.2.0/24) or a range
// (192.0.2.10-192.0.2.20).
func ParseIPRange(s string) (IPRange, error) {
	bad := fmt.Errorf("want an address, a prefix like 192.0.2.0/24 or a range like 192.0.2.10-192.0.2.20")
	if p, err := netip.ParsePrefix(s); err == nil {
		p = p.Masked()
		last := p.Addr()
		for i := p.Bits(); i < last.BitLen(); i++ {
			b := last.AsSlice()
			b[i/8] |= 0x80 >> (i % 8)
			last, _ = netip.AddrFromSlice(b)
		}
		return IPRange{p.Addr(), last}, nil
	}
	lo, hi, isRange := strings.Cut(s, "-")
	a, err := netip.ParseAddr(lo)
	if err != nil {
		return IPRange{}, bad
	}
	b := a
	if isRange {
		if b, err = netip.ParseAddr(hi); err != nil || b.BitLen() != a.BitLen() || b.Less(a) {
			return IPRange{}, bad
		}
	}
	return IPRange{a.Unmap(), b.Unmap()}, nil
}

func checkIPRange(s string) (string, error) {
	if _, err := ParseIPRange(s); err != nil {
		return "", err
	}
	return s, nil
}

// TimeWindow is the access list's time: a daily window and the weekdays it
// applies on.
type TimeWindow struct {
	From, To time.Duration // since midnight; To < From spans midnight
	Days     [7]bool       // by time.Weekday
}

var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ParseTimeWindow reads CAPsMAN's form "8h-17h,mon,tue,wed,thu,fri" (days
// optional: every day).
func ParseTimeWindow(s string) (TimeWindow, error) {
	bad := fmt.Errorf("want a window like 8h-17h30m followed by days, like 8h-17h,mon,tue")
	parts := strings.Split(s, ",")
	lo, hi, ok := strings.Cut(parts[0], "-")
	if !ok {
		return TimeWindow{}, bad
	}
	var w TimeWindow
	var err error
	if w.From, err = time.ParseDuration(lo); err != nil || w.From < 0 || w.From > 24*time.Hour {
		return TimeWindow{}, bad
	}
	if w.To, err = time.ParseDuration(hi); err != nil || w.To < 0 || w.To > 24*time.Hour {
		return TimeWindow{}, bad
	}
	if len(parts) == 1 {
		w.Days = [7]bool{true, true, true, true, true, true, true}
	}
	for _, d := range parts[1:] {
		i := indexOf(dayNames, strings.ToLower(strings.TrimSpace(d)))
		if i < 0 {
			return TimeWindow{}, fmt.Errorf("unknown day %q (sun, mon, tue, wed, thu, fri, sat)", d)
		}
		w.Days[i] = true
	}
	return w, nil
}

// Contains reports whether t (in its own location) falls in the window. A
// window that spans midnight belongs to the day it starts on.
func (w TimeWindow) Contains(t time.Time) bool {
	midnight := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
	since := t.Sub(midnight)
	day := t.Weekday()
	if w.From <= w.To {
		return w.Days[day] && since >= w.From && since < w.To
	}
	if since >= w.From {
		return w.Days[day]
	}
	return since < w.To && w.Days[(day+6)%7]
}

// Next is the first moment after t (in t's location) at which the window
// opens or closes, within the next eight days; the zero time when it
// never does (always open, or never).
func (w TimeWindow) Next(t time.Time) time.Time {
	var next time.Time
	for d := -1; d <= 8; d++ {
		midnight := time.Date(t.Year(), t.Month(), t.Day()+d, 0, 0, 0, 0, t.Location())
		for _, at := range []time.Time{midnight.Add(w.From), midnight.Add(w.To)} {
			if !at.After(t) || !next.IsZero() && !at.Before(next) {
				continue
			}
			if w.Contains(at) != w.Contains(at.Add(-time.Nanosecond)) {
				next = at
			}
		}
	}
	return next
}

func checkTimeWindow(s string) (string, error) {
	if _, err := ParseTimeWindow(s); err != nil {
		return "", err
	}
	return strings.ToLower(strings.ReplaceAll(s, " ", "")), nil
}

// SignalRange is an inclusive signal strength range in dBm.
type SignalRange struct{ Min, Max int }

// ParseSignalRange reads "-80..-40" or "-80..120" (CAPsMAN's form).
func ParseSignalRange(s string) (SignalRange, error) {
	lo, hi, ok := strings.Cut(s, "..")
	a, err1 := strconv.Atoi(lo)
	b, err2 := strconv.Atoi(hi)
	if !ok || err1 != nil || err2 != nil || a > b || a < -120 || b > 120 {
		return SignalRange{}, fmt.Errorf("want a range in dBm like -80..-40 (from -120 to 120)")
	}
	return SignalRange{a, b}, nil
}

func checkSignalRange(s string) (string, error) {
	if _, err := ParseSignalRange(s); err != nil {
		return "", err
	}
	return s, nil
}

func checkCountry(s string) (string, error) {
	if len(s) != 2 || !isLetters(s) {
		return "", fmt.Errorf("want an ISO 3166-1 two-letter country code, like PL")
	}
	return strings.ToUpper(s), nil
}

func isLetters(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// checkPassphrase takes a WPA passphrase: 8 to 63 characters, or 64 hex
// digits (a raw PSK).
func checkPassphrase(s string) (string, error) {
	if len(s) == 64 && isHex(s) {
		return s, nil
	}
	if len(s) < 8 || len(s) > 63 {
		return "", fmt.Errorf("want 8 to 63 characters (or 64 hex digits), have %d", len(s))
	}
	for _, c := range s {
		if c < 0x20 || c > 0x7e {
			return "", fmt.Errorf("only printable ASCII characters")
		}
	}
	return s, nil
}

func isHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// ParseRADIUSServer reads address[:port] (port 1812 by default).
func ParseRADIUSServer(s string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap, nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.AddrPortFrom(a, 1812), nil
	}
	return netip.AddrPort{}, fmt.Errorf("want an IP address with an optional :port")
}

func checkRADIUSServer(s string) (string, error) {
	ap, err := ParseRADIUSServer(s)
	if err != nil {
		return "", err
	}
	return ap.String(), nil
}

func checkBridge(s string) (string, error) {
	if len(s) == 0 || len(s) > 15 || strings.ContainsAny(s, "/:") || s == "." || s == ".." || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
		return "", fmt.Errorf("want a Linux interface name (1 to 15 printable ASCII characters, no '/', ':' or spaces)")
	}
	return s, nil
}

func checkSSID(s string) (string, error) {
	if len(s) == 0 || len(s) > 32 {
		return "", fmt.Errorf("want 1 to 32 bytes, have %d", len(s))
	}
	if i := controlChar(s); i >= 0 {
		return "", fmt.Errorf("control character at byte %d", i)
	}
	return s, nil
}

// checkNameFormat takes a provisioning name format: text with %I
// (identity), %C (common name) and %R (radio MAC).
func checkNameFormat(s string) (string, error) {
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		if i+1 >= len(s) || !strings.ContainsRune("ICR%", rune(s[i+1])) {
			return "", fmt.Errorf("unknown placeholder at %d: use %%I (identity), %%C (common name), %%R (radio MAC)", i)
		}
		i++
	}
	if len(s) > 64 {
		return "", fmt.Errorf("at most 64 bytes")
	}
	return s, nil
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
