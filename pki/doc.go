// Package pki holds capstan's certificate authority and the checks both sides
// make: issuing, CSR checks, the lock to a manager CommonName, revocation and
// CRL, PEM and PKCS#12, and SCEP (RFC 8894) in pki/scep.
//
// Status: the package is laid out by the foundation issue; its behaviour
// arrives with the trust issue.
package pki
