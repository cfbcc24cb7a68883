package dataplane

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// disableGRO turns generic receive offload off on interface name
// (ETHTOOL_SGRO through SIOCETHTOOL, as `ethtool -K name gro off`). A WLAN
// driver with NAPI (ath9k, ath10k, mt76) coalesces a station's TCP
// segments before a raw socket sees them; the forwarder carries frames of
// at most the MTU, so it wants them as the station sent them.
func disableGRO(name string) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	value := struct{ cmd, data uint32 }{cmd: unix.ETHTOOL_SGRO}
	// struct ifreq: the name, then ifr_data pointing at the command.
	var ifr struct {
		name [unix.IFNAMSIZ]byte
		data unsafe.Pointer
		_    [24 - unsafe.Sizeof(uintptr(0))]byte
	}
	if len(name) >= unix.IFNAMSIZ {
		return fmt.Errorf("interface name %q too long", name)
	}
	copy(ifr.name[:], name)
	ifr.data = unsafe.Pointer(&value)
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(&ifr))); errno != 0 {
		return fmt.Errorf("%s: ETHTOOL_SGRO: %w", name, errno)
	}
	return nil
}
