// Package board reads OpenWrt's /etc/board.json, the buttons and LEDs, and
// the CAP-mode switch that an AP booted with its reset button held obeys.
//
// Status: the package is laid out by the foundation issue; its behaviour
// arrives with the radios issue.
package board
