package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"runtime"
	"time"

	"github.com/pion/dtls/v3"
)

// Defaults of the DTLS layer.
const (
	// HandshakeTimeout bounds every handshake: pion/dtls v3 has none of its
	// own, and an abandoned handshake must not hold an association.
	HandshakeTimeout = 10 * time.Second
	// CIDLength is the length of the connection IDs the manager issues.
	CIDLength = 8
	// DTLSMTU is the largest datagram DTLS sends; CAPWAP messages above
	// MaxControlPayload are fragmented by the control channel so that a
	// record always fits one Ethernet frame, also on layer 2.
	DTLSMTU = 1400
)

// CipherSuites returns the DTLS 1.2 suites capstan offers, in order: ECDHE
// with an AEAD, authenticated by ECDSA (the default keys) or RSA (a manager
// made with --key-type rsa, an imported RSA certificate, a CAP enrolled by
// SCEP); never the RSA-key-transport suites RFC 5415 names (a deliberate
// departure: no forward secrecy). Where the CPU has no AES instructions
// (MIPS, 32-bit ARM) ChaCha20-Poly1305 comes first.
func CipherSuites() []dtls.CipherSuiteID {
	aes := []dtls.CipherSuiteID{dtls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, dtls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}
	chacha := []dtls.CipherSuiteID{dtls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, dtls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256}
	switch runtime.GOARCH {
	case "amd64", "arm64", "s390x", "ppc64le":
		return append(aes, chacha...)
	}
	return append(chacha, aes...)
}

// ServerConfig is the manager's DTLS configuration: its certificate, client
// certificates requested (and verified against clientCAs when not nil), the
// suites above and connection IDs.
type ServerConfig struct {
	Certificate tls.Certificate
	// VerifyPeer, when set, is called with the client's certificate chain,
	// which may be empty: a CAP without a certificate identifies by MAC.
	VerifyPeer func(rawCerts [][]byte) error
}

// ClientConfig is the agent's DTLS configuration.
type ClientConfig struct {
	// Certificate is presented when set.
	Certificate *tls.Certificate
	// VerifyPeer checks the manager's certificate chain (CommonName lock,
	// trust); it must not be nil.
	VerifyPeer func(rawCerts [][]byte) error
}

// Accept runs the server handshake for p under ctx and HandshakeTimeout.
func Accept(ctx context.Context, p *Peer, sc ServerConfig) (*dtls.Conn, error) {
	opts := []dtls.ServerOption{
		dtls.WithCertificates(sc.Certificate),
		dtls.WithCipherSuites(CipherSuites()...),
		dtls.WithExtendedMasterSecret(dtls.RequireExtendedMasterSecret),
		dtls.WithClientAuth(dtls.RequestClientCert),
		dtls.WithInsecureSkipVerify(true), // the chain is checked by VerifyPeer
		dtls.WithConnectionIDGenerator(p.CIDGenerator(CIDLength)),
		dtls.WithMTU(DTLSMTU),
		dtls.WithFlightInterval(500 * time.Millisecond),
	}
	if sc.VerifyPeer != nil {
		opts = append(opts, dtls.WithVerifyPeerCertificate(func(raw [][]byte, _ [][]*x509.Certificate) error { return sc.VerifyPeer(raw) }))
	}
	c, err := dtls.ServerWithOptions(p, p.Addr(), opts...)
	if err != nil {
		return nil, fmt.Errorf("dtls server: %w", err)
	}
	c, err = handshake(ctx, c)
	if err == nil {
		// From now on an epoch-0 ClientHello from this address is a
		// restarted peer, not a retransmission of this handshake.
		p.mux.promote(p)
	}
	return c, err
}

// Dial runs the client handshake over p.
func Dial(ctx context.Context, p *Peer, cc ClientConfig) (*dtls.Conn, error) {
	opts := []dtls.ClientOption{
		dtls.WithCipherSuites(CipherSuites()...),
		dtls.WithExtendedMasterSecret(dtls.RequireExtendedMasterSecret),
		dtls.WithInsecureSkipVerify(true), // the chain is checked by VerifyPeer
		dtls.WithConnectionIDGenerator(dtls.OnlySendCIDGenerator()),
		dtls.WithMTU(DTLSMTU),
		dtls.WithFlightInterval(500 * time.Millisecond),
		dtls.WithVerifyPeerCertificate(func(raw [][]byte, _ [][]*x509.Certificate) error { return cc.VerifyPeer(raw) }),
	}
	if cc.Certificate != nil {
		opts = append(opts, dtls.WithCertificates(*cc.Certificate))
	}
	c, err := dtls.ClientWithOptions(p, p.Addr(), opts...)
	if err != nil {
		return nil, fmt.Errorf("dtls client: %w", err)
	}
	return handshake(ctx, c)
}

func handshake(ctx context.Context, c *dtls.Conn) (*dtls.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, HandshakeTimeout)
	defer cancel()
	if err := c.HandshakeContext(ctx); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("dtls handshake: %w", err)
	}
	return c, nil
}
