package wire

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// TestMalformed checks that each kind of bad input yields an *Error naming
// the element, the offset and the Result Code to answer with.
func TestMalformed(t *testing.T) {
	// A valid Join Request header around elems; hlen 8, control header 8.
	join := func(elems string) []byte {
		e := mustHex(elems)
		l := len(e) + 3
		return append(mustHex("00100200", "00000000", "00000003", "01", string("0123456789abcdef"[l>>12&15])+string("0123456789abcdef"[l>>8&15])+string("0123456789abcdef"[l>>4&15])+string("0123456789abcdef"[l&15]), "00"), e...)
	}
	tests := []struct {
		name     string
		in       []byte
		sentinel error
		element  ElementType
		offset   int
		result   ResultCode
		field    string
	}{
		{"empty", nil, ErrTruncated, 0, 0, 0, "preamble"},
		{"version 1", mustHex("10"), ErrInvalid, 0, 0, 0, "version"},
		{"preamble type 2", mustHex("02"), ErrInvalid, 0, 0, 0, "type"},
		{"header truncated", mustHex("001002"), ErrTruncated, 0, 0, 0, "header"},
		{"HLEN below 2", mustHex("00080200", "00000000"), ErrInvalid, 0, 1, 0, "HLEN"},
		{"HLEN beyond packet", mustHex("00200200", "00000000"), ErrTruncated, 0, 1, 0, "HLEN"},
		{"radio MAC length 5", mustHex("00180210", "00000000", "05010203", "04050000"), ErrInvalid, 0, 8, 0, "radio MAC"},
		{"control header truncated", mustHex("00100200", "00000000", "000000"), ErrTruncated, 0, 8, 0, "control header"},
		{"length counts elements only", mustHex("00100200", "00000000", "00000003", "01", "0005", "00", "0014000101"), ErrTrailing, 0, 13, ResultJoinFailureIncorrectData, "message element length"},
		{"length beyond packet", mustHex("00100200", "00000000", "0000000d", "01", "0010", "00"), ErrTruncated, 0, 13, ResultUnrecognizedElement, "message element length"},
		{"element header truncated", join("0014"), ErrTruncated, 0, 16, ResultJoinFailureIncorrectData, "element header"},
		{"element length overruns", join("00140009 01"), ErrTruncated, TypeDiscoveryType, 18, ResultJoinFailureIncorrectData, "length"},
		{"element type 0", join("00000001 01"), ErrInvalid, 0, 16, ResultJoinFailureIncorrectData, "type"},
		{"discovery type 9", join("00140001 09"), ErrInvalid, TypeDiscoveryType, 20, ResultJoinFailureIncorrectData, "discovery type"},
		{"session ID short", join("00230002 0102"), ErrTruncated, TypeSessionID, 20, ResultJoinFailureIncorrectData, "session ID"},
		{"WTP name too long", join("002d0201 " + strings.Repeat("61", 513)), ErrTooLong, TypeWTPName, 20, ResultJoinFailureIncorrectData, "name"},
		{"WTP name not UTF-8", join("002d0002 c328"), ErrInvalid, TypeWTPName, 20, ResultJoinFailureIncorrectData, "name"},
		{"board data vendor 0", join("00260004 00000000"), ErrInvalid, TypeWTPBoardData, 20, ResultJoinFailureIncorrectData, "vendor identifier"},
		{"MAC length 7 in Delete Station", join("00120009 01 07 01020304050607"), ErrInvalid, TypeDeleteStation, 22, ResultJoinFailureIncorrectData, "MAC"},
		{"trailing bytes in Result Code", join("00210005 0000000000"), ErrTrailing, TypeResultCode, 24, ResultJoinFailureIncorrectData, "value"},
		{"AC IPv4 list of 5 bytes", join("00020005 0102030405"), ErrInvalid, TypeACIPv4List, 20, ResultJoinFailureIncorrectData, "addresses"},
		{"capstan element attribute overruns", join("0025000b 00007ed9 0001 000100ff 01"), ErrTruncated, TypeVendorSpecificPayload, 28, ResultJoinFailureIncorrectData, "attribute length"},
		{"vendor data too long", join("00250807 00003a8c 0001 " + strings.Repeat("00", 2049)), ErrTooLong, TypeVendorSpecificPayload, 20, ResultJoinFailureIncorrectData, "data"},
		{"fragment to ParseControl", mustHex("00100280", "00010000", "00000001"), ErrFragment, 0, 3, 0, "F"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseControl(tt.in)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("ParseControl error %v (%T), want *Error", err, err)
			}
			if !errors.Is(err, tt.sentinel) {
				t.Errorf("error %q does not wrap %v", err, tt.sentinel)
			}
			if e.Element != tt.element || e.Offset != tt.offset || e.Result != tt.result || e.Field != tt.field {
				t.Errorf("got element %d offset %d result %d field %q, want %d %d %d %q\n(%v)",
					e.Element, e.Offset, e.Result, e.Field, tt.element, tt.offset, tt.result, tt.field, err)
			}
			if !strings.Contains(err.Error(), "at offset") {
				t.Errorf("message %q does not name the offset", err)
			}
		})
	}
}

// TestEncodeRefusesInvalid: values the RFC cannot carry are refused, and the
// buffer is left as it was.
func TestEncodeRefusesInvalid(t *testing.T) {
	for _, e := range []Element{
		&ACName{Name: ""}, &ACName{Name: strings.Repeat("a", 513)}, &ACNameWithPriority{Priority: 0, Name: "a"},
		&WTPBoardData{Vendor: 0}, &WTPDescriptor{}, &DiscoveryType{Method: 5}, &DeleteStation{RadioID: 1, MAC: []byte{1}},
		&IEEE80211AddWLAN{WLANID: 1, SSID: make([]byte, 33)}, &IEEE80211AddWLAN{WLANID: 0, SSID: []byte("x")},
		&ACIPv4List{}, &ACIPv4List{Addresses: []netip.Addr{ip("2001:db8::1")}}, &ReturnedMessageElement{Reason: 1, Element: []byte{1}},
		&IEEE80211InformationElement{RadioID: 1, WLANID: 1, IE: []byte{0xdd, 5, 1}}, &VendorSpecificPayload{Vendor: 1, ElementID: 1},
		&Certificate{Role: CertificateLeaf, DER: make([]byte, 2100)},
	} {
		prefix := []byte{0xaa}
		got, err := AppendElement(prefix, e)
		var we *Error
		if !errors.As(err, &we) || we.Element != e.Type() {
			t.Errorf("%T %+v: error %v, want *Error for element %s", e, e, err, e.Type())
		}
		if len(got) != 1 {
			t.Errorf("%T: buffer grew to %d bytes on error", e, len(got))
		}
	}
}
