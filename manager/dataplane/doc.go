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
// Port.Deliver(frame, vlan, coalescer) for frames from the CAP; which
// client a frame may reach is the Sender's business (the control plane's).
// Creating TAPs needs CAP_NET_ADMIN.
//
// A TAP is opened with virtio-net headers and TCP segmentation offload
// where the kernel allows: the frames of a read batch from the CAPs are
// merged per TCP flow into frames of up to 64 KiB (internal/offload's
// Coalescer, which the caller flushes after its batch), and the stack's
// large frames are cut back into segments before they go to a CAP.
package dataplane
