package offload

import "encoding/binary"

// VirtioHdrLen is the size of struct virtio_net_hdr, the header a TAP
// opened with IFF_VNET_HDR puts before each frame (TUNSETVNETHDRSZ's
// default).
const VirtioHdrLen = 10

// Flags and GSO types of struct virtio_net_hdr (linux/virtio_net.h).
const (
	FlagNeedsCsum = 1 // the checksum at CsumStart+CsumOffset is partial

	GSONone  = 0
	GSOTCPv4 = 1
	GSOUDP   = 3
	GSOTCPv6 = 4
	GSOUDPL4 = 5
	GSOECN   = 0x80
)

// VirtioHdr is struct virtio_net_hdr in little-endian byte order, as a TAP
// uses it on a little-endian host and, after TUNSETVNETLE, on a
// big-endian one.
type VirtioHdr struct {
	Flags      uint8
	GSOType    uint8
	HdrLen     uint16
	GSOSize    uint16
	CsumStart  uint16
	CsumOffset uint16
}

// Encode writes h into b[:VirtioHdrLen].
func (h VirtioHdr) Encode(b []byte) {
	_ = b[VirtioHdrLen-1]
	b[0], b[1] = h.Flags, h.GSOType
	binary.LittleEndian.PutUint16(b[2:], h.HdrLen)
	binary.LittleEndian.PutUint16(b[4:], h.GSOSize)
	binary.LittleEndian.PutUint16(b[6:], h.CsumStart)
	binary.LittleEndian.PutUint16(b[8:], h.CsumOffset)
}

// DecodeVirtioHdr reads the header at the start of b.
func DecodeVirtioHdr(b []byte) (VirtioHdr, bool) {
	if len(b) < VirtioHdrLen {
		return VirtioHdr{}, false
	}
	return VirtioHdr{Flags: b[0], GSOType: b[1],
		HdrLen:     binary.LittleEndian.Uint16(b[2:]),
		GSOSize:    binary.LittleEndian.Uint16(b[4:]),
		CsumStart:  binary.LittleEndian.Uint16(b[6:]),
		CsumOffset: binary.LittleEndian.Uint16(b[8:])}, true
}
