// Package hal is the radio boundary of the agent. It has three planes:
// observe (nl80211 straight from the kernel), desired state (UCI on OpenWrt,
// a rendered hostapd.conf elsewhere) and runtime actions (hostapd control
// socket or ubus). Backends live in sub-packages: nl80211, hostapd, openwrt,
// haltest, and sim for simulated radios.
//
// Status: the observe plane's radio inventory (Radios) exists, with the sim
// backend; applying configuration and runtime actions arrive with the
// radios issue.
package hal
