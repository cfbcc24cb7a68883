package dataplane

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/jsimonetti/rtnetlink/v2"
	"golang.org/x/sys/unix"

	"github.com/capstan-wifi/capstan/internal/offload"
)

// TestPlaneOffloads plays the real kernel's side of the TAP's offloads: a
// client's TCP segments merged by a Coalescer reach the IP stack as one
// datagram with every byte in order, and a UDP datagram the stack sends
// with a partial checksum reaches the Sender with the checksum complete.
func TestPlaneOffloads(t *testing.T) {
	inNetns(t, func(c *rtnetlink.Conn) {
		p := New(nil)
		defer p.Close()
		s := &fakeSender{}
		port, err := p.Bind("cap1", "", s)
		if err != nil {
			t.Errorf("Bind: %v", err)
			return
		}
		if !port.tap.vnet {
			t.Error("the TAP took no virtio-net header: the kernel refused IFF_VNET_HDR or TUNSETOFFLOAD")
			return
		}
		ifi, _ := net.InterfaceByName("cap1")
		local, peer := netip.MustParseAddr("10.77.0.1"), netip.MustParseAddr("10.77.0.2")
		peerMAC := net.HardwareAddr{2, 0, 0, 0, 0, 2}
		if err := c.Address.New(&rtnetlink.AddressMessage{Family: unix.AF_INET, PrefixLength: 24, Index: uint32(ifi.Index),
			Attributes: &rtnetlink.AddressAttributes{Address: local.AsSlice(), Local: local.AsSlice()}}); err != nil {
			t.Errorf("address: %v", err)
			return
		}
		if err := c.Neigh.New(&rtnetlink.NeighMessage{Family: unix.AF_INET, Index: uint32(ifi.Index), State: unix.NUD_PERMANENT,
			Attributes: &rtnetlink.NeighAttributes{Address: peer.AsSlice(), LLAddress: peerMAC}}); err != nil {
			t.Errorf("neighbour: %v", err)
			return
		}

		raw, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_TCP)
		if err != nil {
			t.Errorf("raw socket: %v", err)
			return
		}
		defer unix.Close(raw)
		_ = unix.SetsockoptTimeval(raw, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: 5})
		co := offload.NewCoalescer()
		var want []byte
		for i := range 8 {
			payload := bytes.Repeat([]byte{byte('a' + i)}, 1000)
			want = append(want, payload...)
			port.Deliver(tcpFrame(ifi.HardwareAddr, peerMAC, peer, local, uint32(1000+1000*i), uint16(i), payload), 0, co)
		}
		if err := co.Flush(); err != nil {
			t.Errorf("Flush: %v", err)
		}
		buf := make([]byte, 65536)
		n, err := unix.Read(raw, buf)
		if err != nil {
			t.Errorf("no TCP datagram reached the stack: %v (port %+v)", err, port.Counters())
			return
		}
		if n != 40+len(want) || !bytes.Equal(buf[40:n], want) {
			t.Errorf("the stack got %d bytes, want one datagram of %d with the 8 payloads in order", n, 40+len(want))
		}

		udp, err := net.DialUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(local, 0)), net.UDPAddrFromAddrPort(netip.AddrPortFrom(peer, 9)))
		if err != nil {
			t.Errorf("UDP: %v", err)
			return
		}
		defer udp.Close()
		if _, err := udp.Write([]byte("a datagram with a checksum the TAP's reader completes")); err != nil {
			t.Errorf("UDP send: %v", err)
			return
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			for _, f := range s.frames() {
				if len(f) > 42 && binary.BigEndian.Uint16(f[12:]) == 0x0800 && f[23] == unix.IPPROTO_UDP {
					if got := fold(pseudoIPv4(f[14:34], 17, len(f)-34) + sumOf(f[34:])); got != 0xffff || binary.BigEndian.Uint16(f[40:]) == 0 {
						t.Errorf("UDP checksum %#04x does not verify", binary.BigEndian.Uint16(f[40:]))
					}
					return
				}
			}
			if time.Now().After(deadline) {
				t.Errorf("the UDP datagram did not reach the Sender: %d frames", len(s.frames()))
				return
			}
			time.Sleep(time.Millisecond)
		}
	})
}

// tcpFrame is an Ethernet frame of a TCP segment with DF and right
// checksums.
func tcpFrame(dst, src net.HardwareAddr, from, to netip.Addr, seq uint32, id uint16, payload []byte) []byte {
	f := append(append(append([]byte(nil), dst...), src...), 0x08, 0x00)
	f = append(f, 0x45, 0)
	f = binary.BigEndian.AppendUint16(f, uint16(40+len(payload)))
	f = binary.BigEndian.AppendUint16(f, id)
	f = append(f, 0x40, 0, 64, 6, 0, 0)
	f = append(append(f, from.AsSlice()...), to.AsSlice()...)
	binary.BigEndian.PutUint16(f[24:], ^fold(sumOf(f[14:34])))
	f = binary.BigEndian.AppendUint16(f, 40000)
	f = binary.BigEndian.AppendUint16(f, 5201)
	f = binary.BigEndian.AppendUint32(f, seq)
	f = binary.BigEndian.AppendUint32(f, 1)
	f = append(f, 5<<4, 0x10, 0x10, 0, 0, 0, 0, 0)
	f = append(f, payload...)
	binary.BigEndian.PutUint16(f[50:], ^fold(pseudoIPv4(f[14:34], 6, len(f)-34)+sumOf(f[34:])))
	return f
}

func sumOf(b []byte) uint64 {
	var acc uint64
	for i := 0; i+1 < len(b); i += 2 {
		acc += uint64(b[i])<<8 | uint64(b[i+1])
	}
	if len(b)%2 == 1 {
		acc += uint64(b[len(b)-1]) << 8
	}
	return acc
}

func pseudoIPv4(ip []byte, proto uint8, n int) uint64 {
	return sumOf(ip[12:20]) + uint64(proto) + uint64(n)
}

func fold(acc uint64) uint16 {
	for acc > 0xffff {
		acc = acc>>16 + acc&0xffff
	}
	return uint16(acc)
}
