package transport

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// Socket buffer sizes of the data channel: the manager's one data socket
// takes every CAP's frames, a CAP's sockets those of its clients. Kernel
// defaults (net.core.rmem_default, 208 KiB) overflowed at 0.4 Gbit/s of
// one TCP stream in make bench (9 % of datagrams dropped).
const (
	ManagerDataBuffer = 4 << 20
	CAPDataBuffer     = 1 << 20
)

// SetBuffers asks for receive and send buffers of n bytes on conn: with
// SO_RCVBUFFORCE and SO_SNDBUFFORCE where the process has CAP_NET_ADMIN
// (beyond net.core.rmem_max), else as much as SO_RCVBUF and SO_SNDBUF
// give. It is best effort: a smaller buffer drops more under load, it does
// not break.
func SetBuffers(conn syscall.Conn, n int) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		for _, o := range [][2]int{{unix.SO_RCVBUFFORCE, unix.SO_RCVBUF}, {unix.SO_SNDBUFFORCE, unix.SO_SNDBUF}} {
			if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, o[0], n) != nil {
				_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, o[1], n)
			}
		}
	})
}
