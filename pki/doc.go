// Package pki is capstan's certificate handling on both sides. On the
// manager, Authority is the CA and certificate store: the automatic or
// imported CA and manager certificate, CAP enrollment by policy (auto,
// one-time password, approval), renewal, revocation with a CRL, and PEM and
// PKCS#12 export and import. On the CAP, Credentials and Lock are the key,
// certificate, CA and manager lock files in the state directory. Both use
// VerifyChain, whose errors say why a certificate is refused (ErrExpired,
// ErrRevoked, ErrUntrusted…). The SCEP (RFC 8894) server and client are in
// pki/scep. Private keys are written 0600, atomically, and never logged.
package pki
