// Package dataplane is the manager's side of manager forwarding (CAPsMAN's
// "each wireless interface on a CAP ... appears as a virtual interface on
// the CAPsMAN"): every manager-forwarded capstan interface is a Linux TAP
// interface named after it, optionally a port of a Linux bridge, and
// frames move between that TAP and the data channel of the CAP that serves
// the interface.
//
// A Port is created when its interface is first bound to a CAP and lives
// until Remove: a static interface keeps its TAP (and so its bridge
// membership and addresses) across CAP reconnects, with the carrier off
// while no CAP serves it; the control plane removes a dynamic interface's
// Port with the interface.
//
// The contract with the control plane is small so that a kernel fast path
// can replace the userspace loop: Bind(name, bridge, Sender) and
// Port.Deliver(frame, vlan) for frames from the CAP; which client a frame
// may reach is the Sender's business (the control plane's). Creating TAPs needs
// CAP_NET_ADMIN.
package dataplane
