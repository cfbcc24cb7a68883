// Package pki holds capstan's certificate authority and the checks both sides
// make: issuing, CSR checks, the lock to a manager CommonName, revocation and
// CRL, PEM and PKCS#12, and SCEP (RFC 8894) in pki/scep.
//
// Status: today it makes and stores the manager's self-signed ECDSA identity
// certificate and reads CommonNames; the CA, enrollment, revocation and SCEP
// arrive with the trust issue.
package pki
