// Package offload does in user space, for Ethernet frames that carry TCP,
// what the kernel's GRO and a NIC's TSO do, so that manager forwarding
// moves a TCP flow through its TAP in frames of up to 64 KiB instead of
// one frame per segment.
//
// A TAP opened with IFF_VNET_HDR puts a 10-byte virtio-net header
// (VirtioHdr) before every frame. Coalescer merges the segments of a TCP
// flow that arrive in one batch into one frame with a GSO header, as the
// kernel's GRO would before handing them to the stack: same headers, next
// sequence number, equal sizes, valid checksums. Segment does the
// opposite for a frame read from the TAP: it cuts a GSO frame into
// segments of the header's size and completes partial checksums, because
// the frames go on to a CAP and a WLAN that offload nothing.
package offload
