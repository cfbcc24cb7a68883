// Package scep is capstan's SCEP (RFC 8894) server and client, built on
// github.com/smallstep/scep for message parsing and github.com/smallstep/pkcs7
// for CMS. The server serves GetCACaps, GetCACert and PKIOperation (GET and
// POST) from a pki.Authority through an RSA registration authority, with
// the challenge password checked as a one-time password and requests
// parked for approval by the Authority's policy. It answers in the
// algorithms the client used: a DES client gets DES, a 3DES client 3DES,
// an AES client AES, signed with the client's digest (SHA-1 or SHA-256).
// The client negotiates AES-256 and SHA-256 when GetCACaps offers them.
package scep
