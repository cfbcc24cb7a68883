package scep

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/smallstep/pkcs7"
	"github.com/smallstep/scep"
	"github.com/smallstep/scep/x509util"

	"github.com/capstan-wifi/capstan/internal/httpc"
	"github.com/capstan-wifi/capstan/pki"
)

// ErrPending means the server parked the request for approval: ask again
// later with the same key.
var ErrPending = errors.New("SCEP request pending approval")

// ErrRefused is a CertRep with pkiStatus FAILURE; the message names the
// failInfo.
var ErrRefused = errors.New("scep: request refused")

// Client talks to one SCEP server.
type Client struct {
	URL  string        // e.g. http://manager:5248/scep
	HTTP *httpc.Client // nil: httpc's defaults (30 s for each request)
	// CAFingerprint, when set, is the SHA-256 (capstan's hex form) of the
	// CA certificate GetCACert must deliver: over plain HTTP it is what
	// makes the answer trustworthy. The RA and the issued certificate must
	// chain to that CA.
	CAFingerprint string
}

// Request is one enrollment.
type Request struct {
	Key        crypto.Signer // RSA: the CertRep is encrypted to it
	CommonName string
	Challenge  string // challenge password (one-time password), optional
	// Current, with CurrentKey, makes this a RenewalReq signed by the
	// certificate being renewed, when the server offers Renewal.
	Current    *x509.Certificate
	CurrentKey crypto.Signer

	// Quirks make this client act as others do, for the server's tests;
	// leave it zero.
	Quirks Quirks
}

// Quirks are other clients' ways, hostile or not.
type Quirks struct {
	Prepend     []*x509.Certificate // put before the signer's certificate in the SignedData
	PKCSReqOnly bool                // send a PKCSReq even when renewing
}

// Result is an issued certificate with the CA chain from GetCACert.
type Result struct {
	Cert       *x509.Certificate
	CA         []*x509.Certificate
	Algorithms Algorithms
}

func (c *Client) http() *httpc.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &httpc.Client{UserAgent: "capstan"}
}

func (c *Client) get(ctx context.Context, op string, extra url.Values) ([]byte, string, error) {
	u, err := url.Parse(c.URL)
	if err != nil {
		return nil, "", err
	}
	q := u.Query()
	q.Set("operation", op)
	for k, v := range extra {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	return c.do(ctx, op, httpc.Request{Method: "GET", URL: u.String()})
}

// do sends req for operation op and returns the body and Content-Type of
// a 200 answer.
func (c *Client) do(ctx context.Context, op string, req httpc.Request) ([]byte, string, error) {
	hc := *c.http()
	if hc.MaxBody == 0 {
		hc.MaxBody = MaxMessage
	}
	resp, err := hc.Do(ctx, req)
	if err != nil {
		return nil, "", fmt.Errorf("scep %s: %w", op, err)
	}
	if resp.StatusCode != 200 {
		return nil, "", fmt.Errorf("scep %s: %s: %s", op, resp.Status, strings.TrimSpace(string(resp.Body[:min(len(resp.Body), 200)])))
	}
	return resp.Body, resp.Header.Get("Content-Type"), nil
}

// Caps returns the server's GetCACaps lines.
func (c *Client) Caps(ctx context.Context) ([]string, error) {
	b, _, err := c.get(ctx, "GetCACaps", nil)
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(b)), nil
}

// CACerts returns GetCACert's certificates: a CA, or RA(s) and CA(s).
func (c *Client) CACerts(ctx context.Context) ([]*x509.Certificate, error) {
	b, ctype, err := c.get(ctx, "GetCACert", nil)
	if err != nil {
		return nil, err
	}
	if strings.Contains(ctype, "ca-ra-cert") {
		return scep.CACerts(b)
	}
	crt, err := x509.ParseCertificate(b)
	if err != nil {
		return scep.CACerts(b) // some servers send PKCS#7 regardless
	}
	return []*x509.Certificate{crt}, nil
}

// pinned keeps of GetCACert's certificates the CA with fingerprint fp and
// the RAs it issued; without that CA it refuses the server.
func pinned(all []*x509.Certificate, fp string) ([]*x509.Certificate, error) {
	var ca *x509.Certificate
	for _, c := range all {
		if c.IsCA && pki.Fingerprint(c) == fp {
			ca = c
		}
	}
	if ca == nil {
		return nil, fmt.Errorf("scep: GetCACert has no CA with the pinned fingerprint %s", fp)
	}
	out := []*x509.Certificate{ca}
	for _, c := range all {
		if !c.IsCA && c.CheckSignatureFrom(ca) == nil {
			out = append(out, c)
		}
	}
	return out, nil
}

// choose picks the strongest algorithms the capabilities offer.
func choose(caps []string) Algorithms {
	a := Algorithms{Cipher: pkcs7.OIDEncryptionAlgorithmDESCBC, Digest: pkcs7.OIDDigestAlgorithmSHA1}
	switch {
	case slices.Contains(caps, "AES"):
		a.Cipher = pkcs7.OIDEncryptionAlgorithmAES256CBC
	case slices.Contains(caps, "DES3"):
		a.Cipher = pkcs7.OIDEncryptionAlgorithmDESEDE3CBC
	}
	if slices.Contains(caps, "SHA-256") {
		a.Digest = pkcs7.OIDDigestAlgorithmSHA256
	}
	return a
}

// recipients are the certificates to encrypt to: the RA if there is one,
// else the CA; and the CA chain to keep.
func recipients(certs []*x509.Certificate) (rcpt, cas []*x509.Certificate) {
	for _, c := range certs {
		if c.IsCA {
			cas = append(cas, c)
		} else {
			rcpt = append(rcpt, c)
		}
	}
	if len(rcpt) == 0 {
		rcpt = cas
	}
	return rcpt, cas
}

// Enroll runs one PKCSReq (or RenewalReq) and returns the certificate.
func (c *Client) Enroll(ctx context.Context, r Request) (*Result, error) {
	caps, err := c.Caps(ctx)
	if err != nil {
		return nil, err
	}
	all, err := c.CACerts(ctx)
	if err != nil {
		return nil, err
	}
	if c.CAFingerprint != "" {
		if all, err = pinned(all, c.CAFingerprint); err != nil {
			return nil, err
		}
	}
	rcpt, cas := recipients(all)
	algs := choose(caps)
	csr, err := x509util.CreateCertificateRequest(rand.Reader, &x509util.CertificateRequest{
		CertificateRequest: x509.CertificateRequest{Subject: pkix.Name{CommonName: r.CommonName}},
		ChallengePassword:  r.Challenge,
	}, r.Key)
	if err != nil {
		return nil, fmt.Errorf("scep: CSR: %w", err)
	}
	signer, signerKey, msgType := r.Current, r.CurrentKey, scep.RenewalReq
	switch {
	case signer == nil:
		if signer, err = selfSigned(r.Key, r.CommonName); err != nil {
			return nil, err
		}
		signerKey, msgType = r.Key, scep.PKCSReq
	case r.Quirks.PKCSReqOnly || !slices.Contains(caps, "Renewal"):
		msgType = scep.PKCSReq // signed by the current certificate, as sscep -K/-O and certmonger renew
	}
	env, err := Encrypt(csr, rcpt, algs.Cipher)
	if err != nil {
		return nil, fmt.Errorf("scep: envelope: %w", err)
	}
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	pub, _ := x509.MarshalPKIXPublicKey(r.Key.Public())
	tid := sha256.Sum256(pub)
	sd, err := pkcs7.NewSignedData(env)
	if err != nil {
		return nil, err
	}
	sd.SetDigestAlgorithm(algs.Digest)
	for _, c := range r.Quirks.Prepend {
		sd.AddCertificate(c)
	}
	if err := sd.AddSigner(signer, signerKey, pkcs7.SignerInfoConfig{ExtraSignedAttributes: []pkcs7.Attribute{
		{Type: OIDTransactionID, Value: scep.TransactionID(hex.EncodeToString(tid[:]))},
		{Type: OIDMessageType, Value: msgType},
		{Type: OIDSenderNonce, Value: nonce},
	}}); err != nil {
		return nil, fmt.Errorf("scep: sign: %w", err)
	}
	msg, err := sd.Finish()
	if err != nil {
		return nil, err
	}
	var body []byte
	if slices.Contains(caps, "POSTPKIOperation") || slices.Contains(caps, "SCEPStandard") {
		u, _ := url.Parse(c.URL)
		q := u.Query()
		q.Set("operation", "PKIOperation")
		u.RawQuery = q.Encode()
		body, _, err = c.do(ctx, "PKIOperation", httpc.Request{Method: "POST", URL: u.String(),
			Header: map[string]string{"Content-Type": "application/x-pki-message"}, Body: msg})
		if err != nil {
			return nil, err
		}
	} else if body, _, err = c.get(ctx, "PKIOperation", url.Values{"message": {base64.StdEncoding.EncodeToString(msg)}}); err != nil {
		return nil, err
	}
	rep, err := scep.ParsePKIMessage(body, scep.WithCACerts(all))
	if err != nil {
		return nil, fmt.Errorf("scep: CertRep: %w", err)
	}
	if rep.CertRepMessage == nil || !bytes.Equal(rep.RecipientNonce, nonce) {
		return nil, errors.New("scep: CertRep does not answer this request (recipientNonce)")
	}
	switch rep.PKIStatus {
	case scep.PENDING:
		return nil, ErrPending
	case scep.FAILURE:
		return nil, fmt.Errorf("%w: %s", ErrRefused, rep.FailInfo.String())
	}
	if err := rep.DecryptPKIEnvelope(signer, signerKey); err != nil {
		return nil, fmt.Errorf("scep: decrypt CertRep: %w", err)
	}
	crt := rep.CertRepMessage.Certificate
	if !pki.SamePublicKey(crt, r.Key) {
		return nil, errors.New("scep: issued certificate is not for this key")
	}
	if p7, err := pkcs7.Parse(body); err == nil {
		for _, c := range p7.Certificates {
			if c.IsCA && !slices.ContainsFunc(cas, c.Equal) {
				cas = append(cas, c)
			}
		}
	}
	if c.CAFingerprint != "" {
		cas = slices.DeleteFunc(cas, func(ca *x509.Certificate) bool { return pki.Fingerprint(ca) != c.CAFingerprint })
		if _, err := pki.VerifyChain([][]byte{crt.Raw}, cas, time.Now()); err != nil {
			return nil, fmt.Errorf("scep: issued certificate is not from the pinned CA: %w", err)
		}
	}
	if len(cas) == 0 {
		return nil, errors.New("scep: the server sent no CA certificate")
	}
	return &Result{Cert: crt, CA: cas, Algorithms: algs}, nil
}

// selfSigned is the throwaway certificate a requester signs its first
// PKCSReq with (RFC 8894 §2.3).
func selfSigned(key crypto.Signer, cn string) (*x509.Certificate, error) {
	serial, err := pki.NewSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}
