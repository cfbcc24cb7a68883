package scep

import (
	"crypto/rsa"
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
)

// Capabilities is the GetCACaps answer (RFC 8894 §3.5.2).
var Capabilities = []string{"POSTPKIOperation", "Renewal", "SHA-1", "SHA-256", "AES", "DES3", "SCEPStandard"}

const maxMessage = 1 << 20

// Server is an http.Handler for /scep backed by a pki.Authority.
type Server struct {
	auth *pki.Authority
	log  *slog.Logger
}

// NewServer returns a SCEP server; it makes the RSA RA on first start.
func NewServer(auth *pki.Authority, log *slog.Logger) (*Server, error) {
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
		// Clients encrypt to every certificate here (micromdm's does), so an
		// ECDSA CA stays out: CertRep carries it instead.
		certs := []*x509.Certificate{ra.Cert}
		if _, ok := s.auth.CA().PublicKey.(*rsa.PublicKey); ok {
			certs = append(certs, s.auth.CA())
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
		b, err := io.ReadAll(io.LimitReader(r.Body, maxMessage+1))
		if err != nil {
			return nil, err
		}
		if len(b) > maxMessage {
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

// operation decides one PKCSReq, RenewalReq or UpdateReq.
func (s *Server) operation(data []byte, peer string) ([]byte, error) {
	msg, err := scep.ParsePKIMessage(data)
	if err != nil {
		return nil, fmt.Errorf("pkiMessage: %w", err)
	}
	p7, err := pkcs7.Parse(data)
	if err != nil || len(p7.Signers) == 0 || len(p7.Certificates) == 0 {
		return nil, fmt.Errorf("pkiMessage: no signer certificate")
	}
	algs := Algorithms{Digest: p7.Signers[0].DigestAlgorithm.Algorithm}
	if algs.Cipher, err = envelopeCipher(p7.Content); err != nil {
		return nil, err
	}
	ra, err := s.auth.SCEPRA()
	if err != nil {
		return nil, err
	}
	log := s.log.With("peer", peer, "transaction", string(msg.TransactionID), "type", msg.MessageType.String(),
		"cipher", CipherName(algs.Cipher), "digest", DigestName(algs.Digest))
	rep := reply{status: scep.FAILURE, fail: scep.BadRequest}
	if err := msg.DecryptPKIEnvelope(ra.Cert, ra.Key); err != nil {
		log.Warn("cannot decrypt request", "err", err)
		rep.fail = scep.BadMessageCheck
		return certRep(msg, p7.Certificates, ra.Cert, ra.Key, s.auth.CA(), algs, rep)
	}
	var chain []*x509.Certificate
	signer := p7.Certificates[0]
	if msg.MessageType == scep.RenewalReq {
		if _, verr := s.auth.VerifyCAP([][]byte{signer.Raw}); verr == nil {
			chain, err = s.auth.Renew(msg.CSR.Raw, signer.Subject.CommonName)
		} else {
			err = fmt.Errorf("renewal signed by a certificate this CA does not accept: %w", verr)
		}
	} else {
		chain, err = s.auth.Enroll(pki.EnrollRequest{CSR: msg.CSR.Raw, Password: msg.ChallengePassword, Address: peer,
			Via: "scep", Transaction: string(msg.TransactionID)})
	}
	switch {
	case err == nil:
		rep = reply{status: scep.SUCCESS, cert: chain[0]}
		log.Info("certificate issued", "common_name", chain[0].Subject.CommonName, "serial", pki.SerialString(chain[0].SerialNumber))
	case errors.Is(err, pki.ErrPending):
		rep = reply{status: scep.PENDING}
		log.Info("request waiting for approval", "common_name", msg.CSR.Subject.CommonName, "detail", err)
	default:
		log.Warn("request refused", "common_name", msg.CSR.Subject.CommonName, "err", err)
	}
	return certRep(msg, p7.Certificates, ra.Cert, ra.Key, s.auth.CA(), algs, rep)
}
