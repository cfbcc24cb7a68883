package dataplane

import (
	"fmt"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/capstan-wifi/capstan/capwap/transport"
	"github.com/capstan-wifi/capstan/internal/offload"
)

// tap is one TAP interface: frames in and out through /dev/net/tun.
type tap struct {
	name string
	f    *os.File
	rc   syscall.RawConn
	// vnet: every frame read and written has a virtio-net header first
	// (offload.VirtioHdr), and the stack may hand over TCP frames of up
	// to 64 KiB with partial checksums, and take them.
	vnet bool
}

// openTAP creates the TAP interface name (IFF_TAP, no packet information)
// and returns it non-blocking, so that reads go through Go's poller. It
// asks for virtio-net headers, little-endian, and TCP segmentation and
// checksum offload (what a virtio NIC offers a guest); without them it
// moves one frame per read and write.
func openTAP(name string) (*tap, error) {
	if len(name) == 0 || len(name) >= unix.IFNAMSIZ {
		return nil, fmt.Errorf("tap %q: a Linux interface name has 1 to %d bytes", name, unix.IFNAMSIZ-1)
	}
	fd, vnet, err := tunSetIff(name, true)
	if err != nil {
		return nil, err
	}
	if vnet {
		if err := offloads(fd); err != nil {
			unix.Close(fd)
			if fd, vnet, err = tunSetIff(name, false); err != nil {
				return nil, err
			}
		}
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("tap %s: %w", name, err)
	}
	f := os.NewFile(uintptr(fd), "/dev/net/tun:"+name)
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("tap %s: %w", name, err)
	}
	return &tap{name: name, f: f, rc: rc, vnet: vnet}, nil
}

// tunSetIff opens /dev/net/tun as TAP name, with IFF_VNET_HDR if vnet and
// the kernel takes it.
func tunSetIff(name string, vnet bool) (int, bool, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, false, fmt.Errorf("tap %s: /dev/net/tun: %w", name, err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return -1, false, fmt.Errorf("tap %s: %w", name, err)
	}
	flags := uint16(unix.IFF_TAP | unix.IFF_NO_PI)
	if vnet {
		ifr.SetUint16(flags | unix.IFF_VNET_HDR)
		if unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr) == nil {
			return fd, true, nil
		}
	}
	ifr.SetUint16(flags)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return -1, false, fmt.Errorf("tap %s: TUNSETIFF: %w", name, err)
	}
	return fd, false, nil
}

// offloads sets the virtio-net header to 10 bytes, little-endian, and
// turns on checksum and TCP segmentation offload (IPv4 and IPv6, no ECN:
// the stack segments an ECN-marked burst itself).
func offloads(fd int) error {
	if err := unix.IoctlSetPointerInt(fd, unix.TUNSETVNETHDRSZ, offload.VirtioHdrLen); err != nil {
		return err
	}
	if err := unix.IoctlSetPointerInt(fd, unix.TUNSETVNETLE, 1); err != nil {
		return err
	}
	return unix.IoctlSetInt(fd, unix.TUNSETOFFLOAD, unix.TUN_F_CSUM|unix.TUN_F_TSO4|unix.TUN_F_TSO6)
}

// setCarrier turns the TAP's carrier on or off (TUNSETCARRIER), which is
// what a bridge and the routing code see as the link being up.
func (t *tap) setCarrier(on bool) error {
	v := int32(0)
	if on {
		v = 1
	}
	rc, err := t.f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		_, _, e := unix.Syscall(unix.SYS_IOCTL, fd, unix.TUNSETCARRIER, uintptr(unsafe.Pointer(&v)))
		if e != 0 {
			serr = e
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return fmt.Errorf("tap %s: TUNSETCARRIER: %w", t.name, serr)
	}
	return nil
}

// read reads one frame: waiting for one when block, else returning 0 at
// once when none is queued.
func (t *tap) read(b []byte, block bool) (int, error) {
	if block {
		return t.f.Read(b)
	}
	return transport.ReadPacket(t.rc, b, false)
}
func (t *tap) Write(b []byte) (int, error) { return t.f.Write(b) }
func (t *tap) Close() error                { return t.f.Close() }
