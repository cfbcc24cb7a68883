package scepserver

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/smallstep/pkcs7"
	"github.com/smallstep/scep"

	"github.com/capstan-wifi/capstan/pki"
	capscep "github.com/capstan-wifi/capstan/pki/scep"
)

// Capabilities is the GetCACaps answer (RFC 8894 §3.5.2).
var Capabilities = []string{"POSTPKIOperation", "Renewal", "SHA-1", "SHA-256", "AES", "DES3", "SCEPStandard"}

// Server is an http.Handler for /scep backed by a pki.Authority.
type Server struct {
	auth *pki.Authority
	log  *slog.Logger
}

// New returns a SCEP server; it makes the RSA RA on first start.
func New(auth *pki.Authority, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if _, err := auth.SCEPRA(); err != nil {
		return nil, err
	}
	return &Server{auth: auth, log: log.With("component", "scep")}, nil
}

// ServeHTTP answers GET and POST per RFC 8894 §4.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := r.URL.Query().Get("operation")
	switch {
	case op == "GetCACaps":
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, strings.Join(Capabilities, "\n")+"\n")
	case op == "GetCACert":
		ra, err := s.auth.SCEPRA()
		if err != nil {
			s.log.Error("SCEP RA", "err", err)
			http.Error(w, "RA unavailable", http.StatusInternalServerError)
			return
		}
		// RFC 8894 §4.2.1.2: the RA and the CA. micromdm's scepclient
		// encrypts to every certificate here and cannot to an ECDSA CA: it
		// asks with -cacert-message ra and gets the RA alone.
		certs := []*x509.Certificate{ra.Cert, s.auth.CA()}
		if r.URL.Query().Get("message") == "ra" {
			certs = certs[:1]
		}
		deg, err := scep.DegenerateCertificates(certs)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/x-x509-ca-ra-cert")
		_, _ = w.Write(deg)
	case op == "PKIOperation" && (r.Method == http.MethodGet || r.Method == http.MethodPost):
		data, err := readMessage(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		out, err := s.operation(data, r.RemoteAddr)
		if err != nil {
			s.log.Warn("PKIOperation refused", "peer", r.RemoteAddr, "err", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-pki-message")
		_, _ = w.Write(out)
	default:
		http.Error(w, fmt.Sprintf("operation %q: want GetCACaps, GetCACert or PKIOperation", op), http.StatusBadRequest)
	}
}

// readMessage takes the PKIOperation message from a POST body or the GET
// message parameter (base64; some clients leave '+' unescaped or drop padding).
func readMessage(r *http.Request) ([]byte, error) {
	if r.Method == http.MethodPost {
		b, err := io.ReadAll(io.LimitReader(r.Body, capscep.MaxMessage+1))
		if err != nil {
			return nil, err
		}
		if len(b) > capscep.MaxMessage {
			return nil, errors.New("message larger than 1 MiB")
		}
		return b, nil
	}
	m := strings.ReplaceAll(r.URL.Query().Get("message"), " ", "+")
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(m); err == nil && len(b) > 0 {
			return b, nil
		}
	}
	return nil, errors.New("message parameter is not base64")
}

// operation decides one PKCSReq, RenewalReq or UpdateReq. The signer is
// the certificate SignerInfo names (issuer and serial), and there must be
// exactly one; a request signed by a valid CAP certificate of this CA is a
// renewal of that name (RenewalReq, or PKCSReq as certmonger and sscep
// send it), any other is an initial enrollment under the policy. The
// reply is known to be deliverable before anything is issued or a
// password spent.
func (s *Server) operation(data []byte, peer string) ([]byte, error) {
	msg, err := scep.ParsePKIMessage(data)
	if err != nil {
		return nil, fmt.Errorf("pkiMessage: %w", err)
	}
	p7, err := pkcs7.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("pkiMessage: %w", err)
	}
	ra, err := s.auth.SCEPRA()
	if err != nil {
		return nil, err
	}
	algs := capscep.Algorithms{Digest: p7.Signers[0].DigestAlgorithm.Algorithm}
	log := s.log.With("peer", peer, "transaction", string(msg.TransactionID), "type", msg.MessageType.String())
	fail := func(info scep.FailInfo, why error) ([]byte, error) {
		log.Warn("request refused", "fail_info", info.String(), "err", why)
		return certRep(msg, nil, ra.Cert, ra.Key, s.auth.CA(), algs, reply{status: scep.FAILURE, fail: info})
	}
	signer := p7.GetOnlySigner()
	if signer == nil {
		return fail(scep.BadMessageCheck, fmt.Errorf("%d signers: want exactly one, whose certificate the message carries", len(p7.Signers)))
	}
	if algs.Cipher, err = capscep.EnvelopeCipher(p7.Content); err != nil {
		return fail(scep.BadMessageCheck, err)
	}
	log = log.With("cipher", capscep.CipherName(algs.Cipher), "digest", capscep.DigestName(algs.Digest), "signer", signer.Subject.CommonName)
	if _, err := capscep.Encrypt([]byte{0}, []*x509.Certificate{signer}, algs.Cipher); err != nil {
		return fail(scep.BadAlg, fmt.Errorf("cannot encrypt the reply to the signer: %w", err))
	}
	if err := msg.DecryptPKIEnvelope(ra.Cert, ra.Key); err != nil {
		return fail(scep.BadMessageCheck, fmt.Errorf("cannot decrypt the request: %w", err))
	}
	if msg.CSR == nil {
		return fail(scep.BadRequest, errors.New("no certificate request (GetCertInitial and GetCert are not served)"))
	}
	var chain []*x509.Certificate
	_, renewable := s.auth.VerifyCAP([][]byte{signer.Raw})
	switch {
	case renewable == nil:
		chain, err = s.auth.Renew(msg.CSR.Raw, signer.Subject.CommonName)
	case msg.MessageType == scep.RenewalReq:
		err = fmt.Errorf("renewal signed by a certificate this CA does not renew: %w", renewable)
	default:
		chain, err = s.auth.Enroll(pki.EnrollRequest{CSR: msg.CSR.Raw, Password: msg.ChallengePassword, Address: peer,
			Via: "scep", Transaction: string(msg.TransactionID)})
	}
	switch {
	case err == nil:
		log.Info("certificate issued", "common_name", chain[0].Subject.CommonName, "serial", pki.SerialString(chain[0].SerialNumber),
			"renewal", renewable == nil)
		return certRep(msg, []*x509.Certificate{signer}, ra.Cert, ra.Key, s.auth.CA(), algs, reply{status: scep.SUCCESS, cert: chain[0]})
	case errors.Is(err, pki.ErrPending):
		log.Info("request waiting for approval", "common_name", msg.CSR.Subject.CommonName, "detail", err)
		return certRep(msg, nil, ra.Cert, ra.Key, s.auth.CA(), algs, reply{status: scep.PENDING})
	}
	return fail(failInfo(err), err)
}

// failInfo is the RFC 8894 §3.2.1.4 failInfo for a refusal.
func failInfo(err error) scep.FailInfo {
	switch {
	case errors.Is(err, pki.ErrExpired), errors.Is(err, pki.ErrNotYetValid):
		return scep.BadTime
	case errors.Is(err, pki.ErrBadCSR):
		return scep.BadMessageCheck
	}
	return scep.BadRequest
}
