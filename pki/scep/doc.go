// Package scep is capstan's SCEP (RFC 8894) client and what it shares with
// the server (package scepserver): the signed attributes, the envelope's
// algorithms and their names. It is built on github.com/smallstep/scep for
// message parsing and github.com/smallstep/pkcs7 for CMS. The client
// negotiates AES-256 and SHA-256 when GetCACaps offers them.
//
// The client speaks HTTP through internal/httpc rather than net/http, and
// the server lives in its own package, so that capstan-agent links no
// net/http (0.26 MB of its mipsel_24kc package).
package scep
