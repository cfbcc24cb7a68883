package api

import (
	"errors"
	"net"
	"os"
	"strconv"

	"github.com/capstan-wifi/capstan/pki"
)

// isLoopback reports whether a listener takes connections from this host
// only.
func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// webHosts are the names a browser may use for listener a: its address,
// or for an unspecified one every address of this host (loopback
// included) and its host name.
func webHosts(a net.Addr) []string {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return nil
	}
	if !ta.IP.IsUnspecified() {
		return []string{ta.IP.String()}
	}
	var hosts []string
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, x := range addrs {
			if n, ok := x.(*net.IPNet); ok && !n.IP.IsLinkLocalUnicast() {
				hosts = append(hosts, n.IP.String())
			}
		}
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		hosts = append(hosts, h)
	}
	return append(hosts, "localhost")
}

// dialAddr is where the CLI on this host reaches listener a: loopback for
// an unspecified address.
func dialAddr(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok || !ta.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(ta.Port))
}

// writeOrRemove writes b to path, or removes path when b is nil.
func writeOrRemove(path string, b []byte) error {
	if b == nil {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	return pki.WriteFileAtomic(path, b, 0o644)
}
