package wire

import (
	"fmt"
	"net"
	"net/netip"
	"reflect"
	"strconv"
	"unicode/utf8"
)

// capstan's vendor elements carry their fields as attributes: Type (2),
// Length (2), Value, like netlink attributes. Fields are numbered with a
// `capstan:"N"` struct tag; zero values are omitted; a slice field repeats
// its attribute once per item; a struct field nests attributes. Decoders
// skip attribute types they do not know, so either side can add fields
// without breaking the other.
//
// Scalar encodings: bool 1 byte, uintN/intN N/8 bytes big-endian, string
// UTF-8 bytes, []byte and net.HardwareAddr raw, netip.Addr 4 or 16 bytes.

const maxAttrDepth = 4

var (
	typeHardwareAddr = reflect.TypeOf(net.HardwareAddr(nil))
	typeAddr         = reflect.TypeOf(netip.Addr{})
	typeBytes        = reflect.TypeOf([]byte(nil))
)

// attrField is one tagged field of a struct.
type attrField struct {
	index int
	id    uint16
	name  string
}

func attrFields(t reflect.Type) []attrField {
	var fs []attrField
	for i := range t.NumField() {
		tag := t.Field(i).Tag.Get("capstan")
		if tag == "" {
			continue
		}
		id, err := strconv.ParseUint(tag, 10, 16)
		if err != nil || id == 0 {
			panic("wire: bad capstan tag on " + t.Name() + "." + t.Field(i).Name)
		}
		fs = append(fs, attrField{index: i, id: uint16(id), name: t.Field(i).Name})
	}
	return fs
}

// marshalAttrs appends the tagged fields of the struct that e points to.
func marshalAttrs(b []byte, e any) ([]byte, error) {
	return appendStruct(b, reflect.ValueOf(e).Elem(), 0)
}

func appendStruct(b []byte, v reflect.Value, depth int) ([]byte, error) {
	if depth > maxAttrDepth {
		return b, errorf(v.Type().Name(), 0, ErrInvalid, "nesting deeper than %d", maxAttrDepth)
	}
	var err error
	for _, f := range attrFields(v.Type()) {
		fv := v.Field(f.index)
		if fv.Kind() == reflect.Slice && fv.Type() != typeBytes && fv.Type() != typeHardwareAddr {
			for i := range fv.Len() {
				if b, err = appendAttr(b, f, fv.Index(i), depth, true); err != nil {
					return b, err
				}
			}
			continue
		}
		if fv.IsZero() {
			continue
		}
		if b, err = appendAttr(b, f, fv, depth, false); err != nil {
			return b, err
		}
	}
	return b, nil
}

func appendAttr(b []byte, f attrField, v reflect.Value, depth int, repeated bool) ([]byte, error) {
	start := len(b)
	b = append(appendU16(b, f.id), 0, 0)
	switch {
	case v.Type() == typeAddr:
		a := v.Interface().(netip.Addr)
		if !a.IsValid() {
			if !repeated {
				return b[:start], nil
			}
			return b[:start], errorf(f.name, 0, ErrInvalid, "invalid address in list")
		}
		b = append(b, a.AsSlice()...)
	case v.Kind() == reflect.Struct:
		var err error
		if b, err = appendStruct(b, v, depth+1); err != nil {
			return b[:start], err
		}
	case v.Kind() == reflect.String:
		if !utf8.ValidString(v.String()) {
			return b[:start], errorf(f.name, 0, ErrInvalid, "not UTF-8")
		}
		b = append(b, v.String()...)
	case v.Kind() == reflect.Slice: // []byte, net.HardwareAddr
		b = append(b, v.Bytes()...)
	case v.Kind() == reflect.Bool:
		b = append(b, boolByte(v.Bool()))
	case v.CanUint():
		b = appendUint(b, v.Uint(), int(v.Type().Size()))
	case v.CanInt():
		b = appendUint(b, uint64(v.Int()), int(v.Type().Size()))
	default:
		panic("wire: unsupported attribute kind " + v.Kind().String())
	}
	n := len(b) - start - 4
	if n > 0xffff {
		return b[:start], errorf(f.name, 0, ErrTooLong, "attribute of %d bytes", n)
	}
	b[start+2], b[start+3] = byte(n>>8), byte(n)
	return b, nil
}

func appendUint(b []byte, v uint64, size int) []byte {
	for i := size - 1; i >= 0; i-- {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}

// unmarshalAttrs decodes attributes into the struct that e points to. base
// is the offset of data within the element value, for error offsets.
func unmarshalAttrs(data []byte, e any, base int) error {
	v := reflect.ValueOf(e).Elem()
	v.SetZero()
	return decodeStruct(data, v, base, 0)
}

func decodeStruct(data []byte, v reflect.Value, base, depth int) error {
	if depth > maxAttrDepth {
		return errorf(v.Type().Name(), base, ErrInvalid, "nesting deeper than %d", maxAttrDepth)
	}
	fields := attrFields(v.Type())
	for off := 0; off < len(data); {
		if len(data)-off < 4 {
			return errorf("attribute header", base+off, ErrTruncated, "%d bytes left, need 4", len(data)-off)
		}
		id := uint16(data[off])<<8 | uint16(data[off+1])
		n := int(data[off+2])<<8 | int(data[off+3])
		valOff := off + 4
		if len(data)-valOff < n {
			return errorf("attribute length", base+off+2, ErrTruncated, "attribute %d length %d, %d bytes left", id, n, len(data)-valOff)
		}
		val := data[valOff : valOff+n]
		off = valOff + n
		var f *attrField
		for i := range fields {
			if fields[i].id == id {
				f = &fields[i]
			}
		}
		if f == nil {
			continue // a newer peer's field: skipped
		}
		fv := v.Field(f.index)
		if fv.Kind() == reflect.Slice && fv.Type() != typeBytes && fv.Type() != typeHardwareAddr {
			item := reflect.New(fv.Type().Elem()).Elem()
			if err := decodeAttr(val, item, *f, base+valOff, depth); err != nil {
				return err
			}
			fv.Set(reflect.Append(fv, item))
			continue
		}
		if err := decodeAttr(val, fv, *f, base+valOff, depth); err != nil {
			return err
		}
	}
	return nil
}

func decodeAttr(val []byte, v reflect.Value, f attrField, off, depth int) error {
	switch {
	case v.Type() == typeAddr:
		a, ok := netip.AddrFromSlice(val)
		if !ok {
			return errorf(f.name, off, ErrInvalid, "address of %d bytes, want 4 or 16", len(val))
		}
		v.Set(reflect.ValueOf(a))
	case v.Kind() == reflect.Struct:
		return decodeStruct(val, v, off, depth+1)
	case v.Kind() == reflect.String:
		if !utf8.Valid(val) {
			return errorf(f.name, off, ErrInvalid, "not UTF-8")
		}
		v.SetString(string(val))
	case v.Kind() == reflect.Slice:
		v.SetBytes(append([]byte{}, val...))
	case v.Kind() == reflect.Bool:
		if len(val) != 1 || val[0] > 1 {
			return errorf(f.name, off, ErrInvalid, "boolean of %d bytes %x, want 1 byte 0 or 1", len(val), val)
		}
		v.SetBool(val[0] == 1)
	case v.CanUint(), v.CanInt():
		size := int(v.Type().Size())
		if len(val) != size {
			return errorf(f.name, off, ErrInvalid, "%d bytes, want %d", len(val), size)
		}
		var x uint64
		for _, c := range val {
			x = x<<8 | uint64(c)
		}
		if v.CanUint() {
			v.SetUint(x)
		} else {
			v.SetInt(int64(x) << (64 - 8*size) >> (64 - 8*size)) // sign-extend
		}
	default:
		return fmt.Errorf("wire: unsupported attribute kind %s", v.Kind())
	}
	return nil
}
