package dataplane

import (
	"bytes"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jsimonetti/rtnetlink/v2"
	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

func TestLinkName(t *testing.T) {
	for _, c := range []struct {
		name   string
		asIs   bool
		reason string
	}{
		{"cap1", true, ""},
		{"cap12-3", true, ""},
		{"office-floor-3x", true, "15 bytes"},
		{"office-floor-3-east", false, "longer than 15 bytes"},
		{"ap:lobby", false, "':' is not allowed"},
		{"..", false, "'..'"},
	} {
		got := LinkName(c.name)
		if (got == c.name) != c.asIs {
			t.Errorf("LinkName(%q) = %q (%s)", c.name, got, c.reason)
		}
		if len(got) == 0 || len(got) >= unix.IFNAMSIZ || strings.ContainsAny(got, "/: ") {
			t.Errorf("LinkName(%q) = %q is no Linux interface name", c.name, got)
		}
		if LinkName(c.name) != got {
			t.Errorf("LinkName(%q) is not stable", c.name)
		}
	}
	if LinkName("office-floor-3-east") == LinkName("office-floor-3-west") {
		t.Error("two long names share a link name")
	}
}

// inNetns runs f on a thread in a network namespace made for the test
// (root only), so that its TAPs and bridge touch nothing else, with a
// netlink connection in that namespace.
func inNetns(t *testing.T, f func(c *rtnetlink.Conn)) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: TAP interfaces in a network namespace of the test's own")
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			t.Errorf("unshare: %v", err)
			return
		}
		c, err := rtnetlink.Dial(nil)
		if err != nil {
			t.Errorf("rtnetlink: %v", err)
			return
		}
		defer c.Close()
		f(c)
	}()
	<-done
}

type fakeSender struct {
	mu  sync.Mutex
	got [][]byte
}

func (s *fakeSender) Send(frame []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, append([]byte(nil), frame...))
	return nil
}

func (s *fakeSender) frames() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.got...)
}

// TestPlane: a TAP for an interface whose name Linux would refuse, in its
// bridge, with its carrier following Bind and Unbind; a frame from the CAP
// reaches the kernel tagged, a frame the kernel sends on the TAP reaches
// the Sender, and Remove deletes the interface.
func TestPlane(t *testing.T) {
	inNetns(t, func(c *rtnetlink.Conn) {
		if err := c.Link.New(&rtnetlink.LinkMessage{Family: unix.AF_UNSPEC,
			Attributes: &rtnetlink.LinkAttributes{Name: "br0", Info: &rtnetlink.LinkInfo{Kind: "bridge"}}}); err != nil {
			t.Errorf("bridge: %v", err)
			return
		}
		br, _ := net.InterfaceByName("br0")
		link := func(name string) *rtnetlink.LinkMessage {
			ifi, err := net.InterfaceByName(name)
			if err != nil {
				return nil
			}
			m, err := c.Link.Get(uint32(ifi.Index))
			if err != nil {
				return nil
			}
			return &m
		}
		lowerUp := func(m *rtnetlink.LinkMessage) bool { return m != nil && m.Flags&unix.IFF_LOWER_UP != 0 }

		p := New(nil)
		defer p.Close()
		s := &fakeSender{}
		const name = "office:floor-3-east-wing"
		port, err := p.Bind(name, "br0", s)
		if err != nil {
			t.Errorf("Bind: %v", err)
			return
		}
		tap := port.Link()
		m := link(tap)
		if tap != LinkName(name) || m == nil {
			t.Errorf("TAP %q (%v), want %q", tap, m, LinkName(name))
			return
		}
		if m.Attributes.Master == nil || *m.Attributes.Master != uint32(br.Index) || m.Flags&unix.IFF_UP == 0 || !lowerUp(m) {
			t.Errorf("%s: master %v flags %#x, want in br0 (%d), up, carrier on", tap, m.Attributes.Master, m.Flags, br.Index)
		}
		if p.Unbind(name, &fakeSender{}); !lowerUp(link(tap)) {
			t.Error("Unbind by a sender that does not serve the interface turned its carrier off")
		}
		if p.Unbind(name, s); lowerUp(link(tap)) {
			t.Error("carrier still on after Unbind")
		}
		if _, err := p.Bind(name, "br0", s); err != nil || !lowerUp(link(tap)) {
			t.Errorf("Bind again: %v, carrier %v", err, lowerUp(link(tap)))
		}

		ifi, _ := net.InterfaceByName(tap)
		raw, err := packet.Listen(ifi, packet.Raw, unix.ETH_P_ALL, nil)
		if err != nil {
			t.Errorf("raw socket: %v", err)
			return
		}
		defer raw.Close()
		// From the CAP: the kernel receives it, with the VLAN tag (its
		// rx counter counts the 4 bytes).
		frame := append([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 0xa, 0x88, 0xb6}, bytes.Repeat([]byte{7}, 50)...)
		port.Deliver(frame, 10, nil)
		_ = raw.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 2048)
		for {
			n, _, err := raw.ReadFrom(buf)
			if err != nil {
				t.Errorf("the delivered frame did not reach the kernel: %v", err)
				return
			}
			if bytes.Equal(buf[6:12], frame[6:12]) && n >= len(frame) {
				break
			}
		}
		if st := link(tap).Attributes.Stats64; st == nil || st.RXBytes != uint64(len(frame)+4) {
			t.Errorf("TAP rx stats %+v, want %d bytes (frame and tag)", st, len(frame)+4)
		}
		// From the kernel: what it sends on the TAP goes to the Sender.
		out := append([]byte{2, 0, 0, 0, 0, 0xb, 2, 0, 0, 0, 0, 0xc, 0x88, 0xb6}, []byte("to the CAP")...)
		for len(out) < 60 {
			out = append(out, 0)
		}
		if _, err := raw.WriteTo(out, &packet.Addr{HardwareAddr: out[:6]}); err != nil {
			t.Errorf("send on the TAP: %v", err)
			return
		}
		deadline := time.Now().Add(5 * time.Second)
		for !containsFrame(s.frames(), out) {
			if time.Now().After(deadline) {
				t.Errorf("the Sender did not get the frame the kernel sent: %d frames", len(s.frames()))
				return
			}
			time.Sleep(time.Millisecond)
		}
		if fc := port.Counters(); fc.RxPackets != 1 || fc.RxBytes != uint64(len(frame)+4) || fc.TxPackets == 0 {
			t.Errorf("port counters %+v", fc)
		}
		p.Remove(name)
		if link(tap) != nil {
			t.Errorf("%s still exists after Remove", tap)
		}
	})
}

func containsFrame(frames [][]byte, f []byte) bool {
	for _, g := range frames {
		if bytes.Equal(g, f) {
			return true
		}
	}
	return false
}
