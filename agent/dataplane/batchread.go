package dataplane

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/capstan-wifi/capstan/capwap/tunnel"
)

// batchFrames is how many frames one recvmmsg(2) takes: 32 buffers of
// 2 KiB, the 64 KiB one read buffer took before.
const batchFrames = 32

// mmsghdr is struct mmsghdr (not in x/sys/unix).
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
}

// batchReader reads a raw socket's queued frames with one recvmmsg(2) per
// batch, through Go's poller. A frame longer than a buffer (longer than any
// frame the data channel carries) comes back truncated and is reported
// with length 0.
type batchReader struct {
	rc   syscall.RawConn
	bufs [batchFrames][2048]byte
	iovs [batchFrames]unix.Iovec
	msgs [batchFrames]mmsghdr
}

func newBatchReader(rc syscall.RawConn) *batchReader {
	r := &batchReader{rc: rc}
	for i := range r.msgs {
		r.iovs[i].Base = &r.bufs[i][0]
		r.iovs[i].SetLen(len(r.bufs[i]))
		r.msgs[i].hdr.Iov = &r.iovs[i]
		r.msgs[i].hdr.SetIovlen(1)
	}
	return r
}

// read waits for at least one frame and returns how many it read; frame
// returns them.
func (r *batchReader) read() (int, error) {
	var n int
	var errno syscall.Errno
	if err := r.rc.Read(func(fd uintptr) bool {
		r0, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.msgs[0])), batchFrames, unix.MSG_DONTWAIT, 0, 0)
		n, errno = int(r0), e
		return errno != unix.EAGAIN
	}); err != nil {
		return 0, err
	}
	if errno != 0 {
		return 0, errno
	}
	return n, nil
}

// frame returns frame i of the last read, empty if it was truncated.
func (r *batchReader) frame(i int) []byte {
	m := &r.msgs[i]
	if m.hdr.Flags&unix.MSG_TRUNC != 0 || int(m.len) > len(r.bufs[i]) || int(m.len) > tunnel.MaxFrame {
		return nil
	}
	return r.bufs[i][:m.len]
}
