package wire

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"unicode/utf8"
)

// cursor reads big-endian fields from a value and records the first error;
// later reads return zero values, so decoders read straight through and
// check once at the end.
type cursor struct {
	b   []byte
	off int
	err error
}

func (c *cursor) fail(field string, err error) {
	if c.err == nil {
		c.err = &fieldError{field: field, offset: c.off, err: err}
	}
}

func (c *cursor) need(n int, field string) bool {
	if c.err != nil {
		return false
	}
	if n < 0 || len(c.b)-c.off < n {
		c.fail(field, fmt.Errorf("need %d bytes, have %d: %w", n, len(c.b)-c.off, ErrTruncated))
		return false
	}
	return true
}

func (c *cursor) remaining() int { return len(c.b) - c.off }

func (c *cursor) u8(field string) uint8 {
	if !c.need(1, field) {
		return 0
	}
	v := c.b[c.off]
	c.off++
	return v
}

func (c *cursor) u16(field string) uint16 {
	if !c.need(2, field) {
		return 0
	}
	v := binary.BigEndian.Uint16(c.b[c.off:])
	c.off += 2
	return v
}

func (c *cursor) u32(field string) uint32 {
	if !c.need(4, field) {
		return 0
	}
	v := binary.BigEndian.Uint32(c.b[c.off:])
	c.off += 4
	return v
}

// u48 reads a 6-byte counter such as an 802.11 TSC.
func (c *cursor) u48(field string) uint64 {
	if !c.need(6, field) {
		return 0
	}
	var v uint64
	for _, x := range c.b[c.off : c.off+6] {
		v = v<<8 | uint64(x)
	}
	c.off += 6
	return v
}

// bytes returns a copy of the next n bytes.
func (c *cursor) bytes(n int, field string) []byte {
	if !c.need(n, field) || n == 0 {
		return nil
	}
	v := make([]byte, n)
	copy(v, c.b[c.off:])
	c.off += n
	return v
}

// rest returns a copy of everything left.
func (c *cursor) rest() []byte {
	if c.err != nil {
		return nil
	}
	return c.bytes(c.remaining(), "")
}

// str reads n bytes of UTF-8 text no longer than max.
func (c *cursor) str(n, max int, field string) string {
	if c.err == nil && n > max {
		c.fail(field, fmt.Errorf("length %d exceeds %d: %w", n, max, ErrTooLong))
		return ""
	}
	if !c.need(n, field) {
		return ""
	}
	s := c.b[c.off : c.off+n]
	if !utf8.Valid(s) {
		c.fail(field, fmt.Errorf("not UTF-8: %w", ErrInvalid))
		return ""
	}
	c.off += n
	return string(s)
}

// restStr reads the rest as UTF-8 text of min..max bytes.
func (c *cursor) restStr(min, max int, field string) string {
	if c.err == nil && c.remaining() < min {
		c.fail(field, fmt.Errorf("length %d below minimum %d: %w", c.remaining(), min, ErrTruncated))
		return ""
	}
	return c.str(c.remaining(), max, field)
}

// mac reads a MAC address of n bytes: 6 (EUI-48) or 8 (EUI-64).
func (c *cursor) mac(n int, field string) net.HardwareAddr {
	if c.err == nil && n != 6 && n != 8 {
		c.fail(field, fmt.Errorf("MAC length %d, want 6 or 8: %w", n, ErrInvalid))
		return nil
	}
	return net.HardwareAddr(c.bytes(n, field))
}

// lmac reads a length-prefixed MAC address (RFC 5415's Length/MAC pair).
func (c *cursor) lmac(field string) net.HardwareAddr {
	n := c.u8(field + " length")
	return c.mac(int(n), field)
}

func (c *cursor) ipv4(field string) netip.Addr {
	if !c.need(4, field) {
		return netip.Addr{}
	}
	a := netip.AddrFrom4([4]byte(c.b[c.off : c.off+4]))
	c.off += 4
	return a
}

func (c *cursor) ipv6(field string) netip.Addr {
	if !c.need(16, field) {
		return netip.Addr{}
	}
	a := netip.AddrFrom16([16]byte(c.b[c.off : c.off+16]))
	c.off += 16
	return a
}

// finish reports the first error, or trailing bytes if the value was not
// consumed entirely.
func (c *cursor) finish() error {
	if c.err == nil && c.off != len(c.b) {
		c.fail("value", fmt.Errorf("%d bytes after the last field: %w", len(c.b)-c.off, ErrTrailing))
	}
	return c.err
}

// Encoding helpers. Encoders return an error for values the RFC cannot carry.

func appendU16(b []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(b, v) }
func appendU32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }

func appendU48(b []byte, v uint64) []byte {
	return append(b, byte(v>>40), byte(v>>32), byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func checkMAC(field string, m net.HardwareAddr) error {
	if len(m) != 6 && len(m) != 8 {
		return errorf(field, 0, ErrInvalid, "MAC length %d, want 6 or 8", len(m))
	}
	return nil
}

// appendLMAC appends a Length/MAC pair.
func appendLMAC(b []byte, field string, m net.HardwareAddr) ([]byte, error) {
	if err := checkMAC(field, m); err != nil {
		return b, err
	}
	return append(append(b, byte(len(m))), m...), nil
}

func checkLen(field string, n, min, max int) error {
	if n < min {
		return errorf(field, 0, ErrInvalid, "length %d below minimum %d", n, min)
	}
	if n > max {
		return errorf(field, 0, ErrTooLong, "length %d exceeds %d", n, max)
	}
	return nil
}

func checkStr(field, s string, min, max int) error {
	if err := checkLen(field, len(s), min, max); err != nil {
		return err
	}
	if !utf8.ValidString(s) {
		return errorf(field, 0, ErrInvalid, "not UTF-8")
	}
	return nil
}

func appendIPv4(b []byte, field string, a netip.Addr) ([]byte, error) {
	if !a.Is4() {
		return b, errorf(field, 0, ErrInvalid, "%v is not an IPv4 address", a)
	}
	v := a.As4()
	return append(b, v[:]...), nil
}

func appendIPv6(b []byte, field string, a netip.Addr) ([]byte, error) {
	if !a.Is6() || a.Zone() != "" {
		return b, errorf(field, 0, ErrInvalid, "%v is not an IPv6 address without zone", a)
	}
	v := a.As16()
	return append(b, v[:]...), nil
}

// boolean reads an 8-bit Boolean that must be 0 or 1.
func (c *cursor) boolean(field string) bool {
	off := c.off
	v := c.u8(field)
	if c.err == nil && v > 1 {
		c.err = &fieldError{field: field, offset: off, err: fmt.Errorf("boolean %d, want 0 or 1: %w", v, ErrInvalid)}
	}
	return v == 1
}
