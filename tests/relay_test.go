package tests

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// relay forwards a CAP's control and data traffic to a manager on loopback
// and can cut it, so that a test sees a manager fall silent as a killed one
// would (no close_notify, no ICMP), in-process.
type relay struct {
	ctrl, data *net.UDPConn
	cut        atomic.Bool
	wg         sync.WaitGroup
}

// newRelay listens on two consecutive loopback ports (CAPWAP's data port
// is the control port + 1) and forwards to the manager at ctrlPort.
func newRelay(t testing.TB, managerCtrl *net.UDPAddr) *relay {
	t.Helper()
	for try := 0; try < 50; try++ {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		port := c.LocalAddr().(*net.UDPAddr).Port
		d, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port + 1})
		if err != nil {
			c.Close()
			continue
		}
		r := &relay{ctrl: c, data: d}
		mdata := &net.UDPAddr{IP: managerCtrl.IP, Port: managerCtrl.Port + 1}
		r.forward(c, managerCtrl)
		r.forward(d, mdata)
		t.Cleanup(r.close)
		return r
	}
	t.Fatal("no two consecutive free loopback ports")
	return nil
}

// Addr is where CAPs should send.
func (r *relay) Addr() string { return r.ctrl.LocalAddr().String() }

// forward relays between clients of front and the manager at back, one
// upstream socket per client.
func (r *relay) forward(front *net.UDPConn, back *net.UDPAddr) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		var mu sync.Mutex
		up := map[string]*net.UDPConn{}
		buf := make([]byte, 65536)
		for {
			n, client, err := front.ReadFromUDP(buf)
			if err != nil {
				mu.Lock()
				for _, u := range up {
					u.Close()
				}
				mu.Unlock()
				return
			}
			if r.cut.Load() {
				continue
			}
			mu.Lock()
			u := up[client.String()]
			if u == nil {
				u, err = net.DialUDP("udp4", nil, back)
				if err != nil {
					mu.Unlock()
					continue
				}
				up[client.String()] = u
				go func(u *net.UDPConn, client *net.UDPAddr) {
					b := make([]byte, 65536)
					for {
						n, err := u.Read(b)
						if err != nil {
							return
						}
						if !r.cut.Load() {
							_, _ = front.WriteToUDP(b[:n], client)
						}
					}
				}(u, client)
			}
			mu.Unlock()
			_, _ = u.Write(buf[:n])
		}
	}()
}

func (r *relay) close() {
	r.ctrl.Close()
	r.data.Close()
	r.wg.Wait()
}
