// Package controlplane is the manager's side of CAPWAP: it answers
// discovery, accepts DTLS associations on UDP and layer 2, runs each CAP
// through Join, Configure and Data Check to Run (RFC 5415 §2.3), keeps the
// table of remote CAPs, and drops a CAP that stops answering within the
// configured timeout. With an Authority it verifies CAP certificates in the
// handshake, enrolls CAPs in-band at Join, renews them in Run and
// disconnects revoked ones.
package controlplane
