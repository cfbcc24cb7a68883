// Package scepserver is capstan's SCEP (RFC 8894) server: an http.Handler
// for GetCACaps, GetCACert and PKIOperation (GET and POST) backed by a
// pki.Authority through an RSA registration authority. The challenge
// password is checked as a one-time password and requests are parked for
// approval by the Authority's policy. It answers in the algorithms the
// client used: a DES client gets DES, a 3DES client 3DES, an AES client
// AES, signed with the client's digest (SHA-1 or SHA-256). It is apart
// from package scep so that the agent, a SCEP client, links no net/http.
package scepserver
