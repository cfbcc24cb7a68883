// Package hostapd runs access points on generic Linux: it renders
// hostapd.conf from a radio's desired state, runs and supervises one hostapd
// per radio, and drives it over its control socket for station events and
// runtime actions (kick and ban, channel switch, BSS transition). Radios and
// station statistics come from the kernel through hal/nl80211.
package hostapd
