package scepserver

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"

	"github.com/smallstep/pkcs7"
	"github.com/smallstep/scep"

	capscep "github.com/capstan-wifi/capstan/pki/scep"
)

// reply is the outcome of one PKIOperation.
type reply struct {
	status scep.PKIStatus
	fail   scep.FailInfo
	cert   *x509.Certificate // on success
}

// certRep builds the signed CertRep for req: on success the certificate is
// enveloped for the requester in algs.Cipher, and the whole is signed by
// the RA with algs.Digest; the issued certificate and the CA ride along.
func certRep(req *scep.PKIMessage, requester []*x509.Certificate, ra *x509.Certificate, raKey crypto.Signer, ca *x509.Certificate, algs capscep.Algorithms, r reply) ([]byte, error) {
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	attrs := []pkcs7.Attribute{
		{Type: capscep.OIDTransactionID, Value: req.TransactionID},
		{Type: capscep.OIDMessageType, Value: scep.CertRep},
		{Type: capscep.OIDPKIStatus, Value: r.status},
		{Type: capscep.OIDSenderNonce, Value: nonce},
		{Type: capscep.OIDRecipientNonce, Value: req.SenderNonce},
	}
	if r.status == scep.FAILURE {
		attrs = append(attrs, pkcs7.Attribute{Type: capscep.OIDFailInfo, Value: r.fail})
	}
	var content []byte
	if r.status == scep.SUCCESS && len(requester) > 0 {
		deg, err := scep.DegenerateCertificates([]*x509.Certificate{r.cert})
		if err != nil {
			return nil, err
		}
		if content, err = capscep.Encrypt(deg, requester, algs.Cipher); err != nil {
			return nil, err
		}
	}
	sd, err := pkcs7.NewSignedData(content)
	if err != nil {
		return nil, err
	}
	sd.SetDigestAlgorithm(algs.Digest)
	if r.cert != nil {
		sd.AddCertificate(r.cert)
		sd.AddCertificate(ca) // the chain, for clients whose GetCACert lacked it
	}
	if err := sd.AddSigner(ra, raKey, pkcs7.SignerInfoConfig{ExtraSignedAttributes: attrs}); err != nil {
		return nil, err
	}
	return sd.Finish()
}
