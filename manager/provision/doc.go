// Package provision decides what each radio of a CAP runs: a static
// interface bound to the radio's MAC, else the first provisioning rule that
// matches the radio and its CAP (radio MAC, supported bands, identity and
// common-name regexps, address ranges). A rule creates a master interface
// with its master-configuration and slave interfaces with its
// slave-configurations, dynamic (living with the CAP's session) or static
// (written to the configuration). The result is typed settings per
// interface and the CAPWAP elements that carry them.
package provision
