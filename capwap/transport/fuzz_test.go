package transport

import "testing"

// FuzzParseL2Frame: the layer-2 frame header is read from any frame of
// EtherType 0x88B5 on the LAN.
func FuzzParseL2Frame(f *testing.F) {
	f.Add(appendL2Header(nil, ControlChannel, 3))
	f.Add([]byte{0xCA, 0x57, 1, 0, 0, 9, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		ch, payload, err := parseL2Frame(b)
		if err != nil {
			return
		}
		if ch != ControlChannel && ch != DataChannel {
			t.Fatalf("channel %d accepted", ch)
		}
		if len(payload) > len(b) {
			t.Fatalf("payload of %d bytes from a %d-byte frame", len(payload), len(b))
		}
	})
}

// FuzzParseRecord: the demultiplexer reads the record header, a
// ClientHello's random and cookie, and the cookie of a HelloVerifyRequest
// from datagrams anybody can send.
func FuzzParseRecord(f *testing.F) {
	hello := []byte{22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 60, handshakeClientHello}
	hello = append(hello, make([]byte, 12+2+32)...)
	hello = append(hello, 0, 2, 0xaa, 0xbb)
	f.Add(hello, 0)
	f.Add([]byte{25, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 1, 9, 9, 9, 9, 0, 4}, 4)
	f.Fuzz(func(t *testing.T, b []byte, cidLen int) {
		if cidLen < 0 || cidLen > 32 {
			return
		}
		ri, ok := parseRecord(b, cidLen)
		if ok && ri.cid != nil && len(ri.cid) != cidLen {
			t.Fatalf("CID of %d bytes, want %d", len(ri.cid), cidLen)
		}
		if c := helloCookie(b); len(c) > 255 {
			t.Fatalf("cookie of %d bytes", len(c))
		}
		_ = hvrCookie(b)
	})
}
