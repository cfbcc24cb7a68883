package scep

import (
	"bytes"
	"crypto/cipher"
	"crypto/des"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"sync"

	"github.com/smallstep/pkcs7"
)

// SCEP signed attributes (RFC 8894 §3.2.1).
var (
	OIDTransactionID  = asn1.ObjectIdentifier{2, 16, 840, 1, 113733, 1, 9, 7}
	OIDMessageType    = asn1.ObjectIdentifier{2, 16, 840, 1, 113733, 1, 9, 2}
	OIDPKIStatus      = asn1.ObjectIdentifier{2, 16, 840, 1, 113733, 1, 9, 3}
	OIDFailInfo       = asn1.ObjectIdentifier{2, 16, 840, 1, 113733, 1, 9, 4}
	OIDSenderNonce    = asn1.ObjectIdentifier{2, 16, 840, 1, 113733, 1, 9, 5}
	OIDRecipientNonce = asn1.ObjectIdentifier{2, 16, 840, 1, 113733, 1, 9, 6}
)

// MaxMessage bounds a SCEP message, sent or received.
const MaxMessage = 1 << 20

// Algorithms is the pair of algorithms a SCEP message used.
type Algorithms struct {
	Cipher asn1.ObjectIdentifier // content encryption of the envelope
	Digest asn1.ObjectIdentifier // of the signature
}

// CipherName names an encryption OID for logs.
func CipherName(oid asn1.ObjectIdentifier) string {
	switch {
	case oid.Equal(pkcs7.OIDEncryptionAlgorithmDESCBC):
		return "DES-CBC"
	case oid.Equal(pkcs7.OIDEncryptionAlgorithmDESEDE3CBC):
		return "3DES-CBC"
	case oid.Equal(pkcs7.OIDEncryptionAlgorithmAES128CBC):
		return "AES-128-CBC"
	case oid.Equal(pkcs7.OIDEncryptionAlgorithmAES256CBC):
		return "AES-256-CBC"
	case oid.Equal(pkcs7.OIDEncryptionAlgorithmAES128GCM):
		return "AES-128-GCM"
	case oid.Equal(pkcs7.OIDEncryptionAlgorithmAES256GCM):
		return "AES-256-GCM"
	}
	return oid.String()
}

// DigestName names a digest OID for logs.
func DigestName(oid asn1.ObjectIdentifier) string {
	switch {
	case oid.Equal(pkcs7.OIDDigestAlgorithmSHA1):
		return "SHA-1"
	case oid.Equal(pkcs7.OIDDigestAlgorithmSHA256):
		return "SHA-256"
	}
	return oid.String()
}

// ASN.1 shapes of RFC 5652 needed to read which cipher an envelope used
// and to write a 3DES envelope (the pkcs7 package encrypts DES and AES only).
type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"explicit,optional,tag:0"`
}

type envelopedData struct {
	Version              int
	RecipientInfos       []recipientInfo `asn1:"set"`
	EncryptedContentInfo encryptedContentInfo
}

type recipientInfo struct {
	Version                int
	IssuerAndSerialNumber  issuerAndSerial
	KeyEncryptionAlgorithm pkix.AlgorithmIdentifier
	EncryptedKey           []byte
}

type issuerAndSerial struct {
	IssuerName   asn1.RawValue
	SerialNumber *big.Int
}

type encryptedContentInfo struct {
	ContentType                asn1.ObjectIdentifier
	ContentEncryptionAlgorithm pkix.AlgorithmIdentifier
	EncryptedContent           asn1.RawValue `asn1:"tag:0,optional"`
}

// EnvelopeCipher reads the content-encryption algorithm of a DER
// EnvelopedData ContentInfo.
func EnvelopeCipher(der []byte) (asn1.ObjectIdentifier, error) {
	var ci contentInfo
	if _, err := asn1.Unmarshal(der, &ci); err != nil {
		return nil, fmt.Errorf("envelope: %w", err)
	}
	if !ci.ContentType.Equal(pkcs7.OIDEnvelopedData) {
		return nil, fmt.Errorf("envelope: content type %v, want envelopedData", ci.ContentType)
	}
	var ed envelopedData
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &ed); err != nil {
		return nil, fmt.Errorf("envelope: %w", err)
	}
	return ed.EncryptedContentInfo.ContentEncryptionAlgorithm.Algorithm, nil
}

// pkcs7Mu guards pkcs7.ContentEncryptionAlgorithm, a package variable.
var pkcs7Mu sync.Mutex

// Encrypt makes an EnvelopedData of content for recipients with cipher.
func Encrypt(content []byte, recipients []*x509.Certificate, cipherOID asn1.ObjectIdentifier) ([]byte, error) {
	if cipherOID.Equal(pkcs7.OIDEncryptionAlgorithmDESEDE3CBC) {
		return encrypt3DES(content, recipients)
	}
	alg := -1
	switch {
	case cipherOID.Equal(pkcs7.OIDEncryptionAlgorithmDESCBC):
		alg = pkcs7.EncryptionAlgorithmDESCBC
	case cipherOID.Equal(pkcs7.OIDEncryptionAlgorithmAES128CBC):
		alg = pkcs7.EncryptionAlgorithmAES128CBC
	case cipherOID.Equal(pkcs7.OIDEncryptionAlgorithmAES256CBC):
		alg = pkcs7.EncryptionAlgorithmAES256CBC
	case cipherOID.Equal(pkcs7.OIDEncryptionAlgorithmAES128GCM):
		alg = pkcs7.EncryptionAlgorithmAES128GCM
	case cipherOID.Equal(pkcs7.OIDEncryptionAlgorithmAES256GCM):
		alg = pkcs7.EncryptionAlgorithmAES256GCM
	default:
		return nil, fmt.Errorf("unsupported content encryption %v", cipherOID)
	}
	pkcs7Mu.Lock()
	defer pkcs7Mu.Unlock()
	pkcs7.ContentEncryptionAlgorithm = alg
	return pkcs7.Encrypt(content, recipients)
}

// encrypt3DES writes an RFC 5652 EnvelopedData with des-ede3-cbc and RSA
// PKCS#1 v1.5 key transport, which SCEP clients of the 3DES generation
// expect back when they sent 3DES.
func encrypt3DES(content []byte, recipients []*x509.Certificate) ([]byte, error) {
	key := make([]byte, 24)
	iv := make([]byte, des.BlockSize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if _, err := rand.Read(iv); err != nil {
		return nil, err
	}
	block, err := des.NewTripleDESCipher(key)
	if err != nil {
		return nil, err
	}
	pad := des.BlockSize - len(content)%des.BlockSize
	plain := append(bytes.Clone(content), bytes.Repeat([]byte{byte(pad)}, pad)...)
	sealed := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(sealed, plain)
	ed := envelopedData{EncryptedContentInfo: encryptedContentInfo{
		ContentType:                pkcs7.OIDData,
		ContentEncryptionAlgorithm: pkix.AlgorithmIdentifier{Algorithm: pkcs7.OIDEncryptionAlgorithmDESEDE3CBC, Parameters: asn1.RawValue{Tag: asn1.TagOctetString, Bytes: iv}},
		EncryptedContent:           asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, Bytes: sealed},
	}}
	for _, r := range recipients {
		pub, ok := r.PublicKey.(*rsa.PublicKey)
		if !ok {
			return nil, errors.New("3DES envelope: recipient key is not RSA")
		}
		//lint:ignore SA1019 RFC 8894 key transport is rsaEncryption (PKCS #1 v1.5); 3DES-era clients know no OAEP.
		ek, err := rsa.EncryptPKCS1v15(rand.Reader, pub, key)
		if err != nil {
			return nil, err
		}
		ed.RecipientInfos = append(ed.RecipientInfos, recipientInfo{
			IssuerAndSerialNumber:  issuerAndSerial{IssuerName: asn1.RawValue{FullBytes: r.RawIssuer}, SerialNumber: r.SerialNumber},
			KeyEncryptionAlgorithm: pkix.AlgorithmIdentifier{Algorithm: pkcs7.OIDEncryptionAlgorithmRSA, Parameters: asn1.NullRawValue},
			EncryptedKey:           ek,
		})
	}
	inner, err := asn1.Marshal(ed)
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(contentInfo{ContentType: pkcs7.OIDEnvelopedData, Content: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: inner}})
}
