// Package wire is capstan's pure CAPWAP codec: the transport header and
// preamble (RFC 5415 §4.1–4.3), control messages (§4.5) and their message
// elements (§4.6), the IEEE 802.11 binding's messages and elements (RFC 5416
// §3 and §6), capstan's vendor-specific elements (§4.6.39) and the data
// channel's frames, keep-alives and fragments (§4.4, §3.4).
//
// The package does no I/O, reads no clock and never logs. Every element
// implements [Element]: Type, AppendBinary and UnmarshalBinary. Decoding
// copies what it keeps, checks every length before slicing and never
// allocates more than the input holds; a malformed input yields an [*Error]
// that names the operation, the element, the byte offset and the
// [ResultCode] a peer should be answered with. Element types this package
// does not know are kept as [*RawElement] and re-encode byte for byte.
package wire
