// Package transport carries CAPWAP packets between agent and manager: UDP and
// layer-2 (raw Ethernet, EtherType 0x88B5) packet conns, the demultiplexer that
// splits one socket into clear discovery traffic and one DTLS association per
// peer, the DTLS 1.2 setup both sides use, and the control channel that
// numbers, retransmits, fragments and reassembles control messages
// (RFC 5415 §4.5, §3.4).
//
// Every conn here is a net.PacketConn so that UDP and layer 2 are
// interchangeable above this package.
package transport
