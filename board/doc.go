// Package board reads OpenWrt's /etc/board.json (Ethernet ports and LEDs)
// and switches an AP into and out of CAP mode, as RouterOS's CAP default
// configuration does: the current configuration is backed up; every
// Ethernet port goes into br-lan with a DHCP client on it and no DHCP
// server; the agent is enabled with every discovery method on br-lan and
// manages the radios. Disabling CAP mode restores the backup.
package board
