package daemon

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/capstan-wifi/capstan/manager/fleetstore"
)

// StoreConfig is where several managers keep their shared fleet state.
type StoreConfig struct {
	// URL is --store: etcd://host:port,…[/prefix] or etcds://…; "" keeps
	// everything in the state directory.
	URL string
	// KeyFile holds the key-encryption key that seals the CA's key in the
	// store; every manager of the fleet is given the same one.
	KeyFile string
	// CAFile verifies etcd's server certificates (etcds://); CertFile and
	// KeyPairFile are this manager's client certificate and key for etcd.
	CAFile, CertFile, CertKeyFile string
}

// openFleet connects to the fleet store.
func openFleet(ctx context.Context, sc StoreConfig) (*fleetstore.Store, *fleetstore.KEK, error) {
	cfg, useTLS, err := fleetstore.ParseURL(sc.URL)
	if err != nil {
		return nil, nil, err
	}
	if sc.KeyFile == "" {
		return nil, nil, errors.New("--store needs --store-key-file: the key that seals the fleet's CA key (openssl rand -hex 32 > FILE; chmod 600; the same file on every manager)")
	}
	kek, err := fleetstore.ReadKEK(sc.KeyFile)
	if err != nil {
		return nil, nil, err
	}
	if !useTLS && (sc.CAFile != "" || sc.CertFile != "") {
		return nil, nil, errors.New("--store-ca and --store-cert need an etcds:// store")
	}
	if useTLS {
		if cfg.TLS, err = storeTLS(sc); err != nil {
			return nil, nil, err
		}
	}
	s, err := fleetstore.Open(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return s, kek, nil
}

func storeTLS(sc StoreConfig) (*tls.Config, error) {
	t := &tls.Config{MinVersion: tls.VersionTLS12}
	if sc.CAFile != "" {
		b, err := os.ReadFile(sc.CAFile)
		if err != nil {
			return nil, fmt.Errorf("--store-ca: %w", err)
		}
		t.RootCAs = x509.NewCertPool()
		if !t.RootCAs.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("--store-ca %s: no PEM certificate", sc.CAFile)
		}
	}
	if (sc.CertFile == "") != (sc.CertKeyFile == "") {
		return nil, errors.New("--store-cert and --store-cert-key go together")
	}
	if sc.CertFile != "" {
		c, err := tls.LoadX509KeyPair(sc.CertFile, sc.CertKeyFile)
		if err != nil {
			return nil, fmt.Errorf("--store-cert: %w", err)
		}
		t.Certificates = []tls.Certificate{c}
	}
	return t, nil
}
