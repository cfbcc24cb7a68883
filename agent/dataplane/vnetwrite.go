package dataplane

import (
	"net"

	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

// vnetWriter is a second raw socket on a WLAN's interface, for sending
// only (bound to protocol 0, it receives nothing), with PACKET_VNET_HDR:
// each frame written has a virtio-net header first, so that a TCP burst
// from the manager goes to the kernel as one frame of up to 64 KiB, which
// the stack segments for a device without TSO (as a WLAN is) or hands on
// whole where the device takes it.
type vnetWriter struct {
	pc    *packet.Conn
	write func([]byte) error
}

// openVnetWriter opens it on ifi; an error leaves the port on frame-by-
// frame writes.
func openVnetWriter(ifi *net.Interface) (*vnetWriter, error) {
	pc, err := packet.Listen(ifi, packet.Raw, 0, nil)
	if err != nil {
		return nil, err
	}
	if err := setPacketOption(pc, unix.PACKET_VNET_HDR); err != nil {
		pc.Close()
		return nil, err
	}
	return &vnetWriter{pc: pc, write: frameWriter(pc)}, nil
}

// setPacketOption turns SOL_PACKET option opt on for pc.
func setPacketOption(pc *packet.Conn, opt int) error {
	rc, err := pc.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_PACKET, opt, 1) }); err != nil {
		return err
	}
	return serr
}

// WriteVirtio implements offload.Writer.
func (v *vnetWriter) WriteVirtio(pkt []byte) error { return v.write(pkt) }

func (v *vnetWriter) Close() error { return v.pc.Close() }
