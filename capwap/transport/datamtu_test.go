package transport

import (
	"net"
	"testing"
)

func TestDataMTU(t *testing.T) {
	for _, tc := range []struct {
		addr net.Addr
		want int
	}{
		{&net.UDPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 5247}, 1472},
		{&net.UDPAddr{IP: net.ParseIP("2001:db8::1"), Port: 5247}, 1452},
		{&L2Addr{MAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, Interface: "eth0"}, L2MaxPayload},
	} {
		if got := DataMTU(tc.addr); got != tc.want {
			t.Errorf("DataMTU(%v) = %d, want %d", tc.addr, got, tc.want)
		}
	}
}
