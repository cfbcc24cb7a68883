package wire

import (
	"errors"
	"fmt"
)

// Sentinel causes; an [*Error] unwraps to one of them.
var (
	// ErrTruncated reports input that ends before a field it must contain.
	ErrTruncated = errors.New("truncated")
	// ErrTrailing reports bytes left over after the last field.
	ErrTrailing = errors.New("trailing bytes")
	// ErrInvalid reports a field whose value the RFC does not allow.
	ErrInvalid = errors.New("invalid value")
	// ErrTooLong reports a field longer than the RFC allows.
	ErrTooLong = errors.New("too long")
	// ErrFragment reports a fragment where a whole message was expected, or
	// a fragment set that cannot be reassembled.
	ErrFragment = errors.New("fragment")
)

// Error describes a malformed input or an unencodable value. Offset counts
// bytes from the start of the buffer handed to the failing entry point.
type Error struct {
	Op      string      // "decode header", "decode Join Request", "encode element", ...
	Element ElementType // the element being processed, 0 when none
	Field   string      // the field within the element or header, if known
	Offset  int         // byte offset of the failure
	// Result is the Result Code to answer a malformed request with. It is 0
	// where no answer is possible (a bad preamble, header or control header,
	// an encode error): the packet is dropped (RFC 5415 §4.5.1.5).
	Result ResultCode
	Err    error // the cause: one of the sentinel errors, possibly wrapped
}

func (e *Error) Error() string {
	s := "capwap: " + e.Op
	if e.Element != 0 {
		s += fmt.Sprintf(": element %s (%d)", e.Element, uint16(e.Element))
	}
	if e.Field != "" {
		s += ": " + e.Field
	}
	s = fmt.Sprintf("%s at offset %d: %v", s, e.Offset, e.Err)
	if e.Result != 0 {
		s += fmt.Sprintf(" (result %d %s)", uint32(e.Result), e.Result)
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// fieldError is what element decoders return: an offset relative to the
// element value, which the message decoder turns into an [*Error].
type fieldError struct {
	field  string
	offset int
	err    error
}

func (e *fieldError) Error() string {
	return fmt.Sprintf("%s at value offset %d: %v", e.field, e.offset, e.err)
}

func (e *fieldError) Unwrap() error { return e.err }

// errorf builds a fieldError whose cause wraps the sentinel with detail.
func errorf(field string, offset int, sentinel error, format string, args ...any) error {
	return &fieldError{field: field, offset: offset, err: fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), sentinel)}
}

// elementError places an element-level error at its absolute position.
func elementError(op string, t ElementType, base int, result ResultCode, err error) *Error {
	e := &Error{Op: op, Element: t, Offset: base, Result: result, Err: err}
	var fe *fieldError
	if errors.As(err, &fe) {
		e.Field, e.Offset, e.Err = fe.field, base+fe.offset, fe.err
	}
	return e
}

// asError is errors.As for *Error, kept short for encoders.
func asError(err error, target **Error) bool { return errors.As(err, target) }

func asFieldError(err error, target **fieldError) bool { return errors.As(err, target) }
