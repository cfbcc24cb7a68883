package transport

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// ReadPacket reads one packet from rc's socket or device into b with
// read(2), through Go's poller: waiting for one when block, else returning
// 0 at once when none is queued. It builds no address, so it allocates
// nothing of its own; the forwarders drain their raw socket and TAP with it.
func ReadPacket(rc syscall.RawConn, b []byte, block bool) (int, error) {
	var n int
	var err error
	if rerr := rc.Read(func(fd uintptr) bool {
		n, err = unix.Read(int(fd), b)
		return !block || err != unix.EAGAIN
	}); rerr != nil {
		return 0, rerr
	}
	if err == unix.EAGAIN {
		return 0, nil
	}
	return n, err
}
