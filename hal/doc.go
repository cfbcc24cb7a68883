// Package hal is the radio boundary of the agent. It has three planes:
// observe (nl80211 straight from the kernel), desired state (UCI on OpenWrt,
// a rendered hostapd.conf elsewhere) and runtime actions (hostapd control
// socket or ubus). Backends live in sub-packages: nl80211, hostapd, openwrt,
// haltest, and sim for simulated radios.
//
// The agent drives every backend through HAL (inventory, Apply, stations
// and their events, kick, channel switch, BSS transition); backends that can
// survey channels also implement Surveyor, for the manager's channel
// selection.
package hal
