package fleetstoretest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TLSFiles are the PEM files of a TLS cluster: the CA that signed the
// member's and the client's certificates, and the client's pair.
type TLSFiles struct {
	CA, ClientCert, ClientKey string
}

// StartTLS runs one member that serves clients over TLS and requires a
// client certificate from its CA (--client-cert-auth).
func StartTLS(t testing.TB) (*Cluster, TLSFiles) {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "etcd test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(name string, serial int64, usage x509.ExtKeyUsage) (certPath, keyPath string) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kb, _ := x509.MarshalECPrivateKey(key)
		certPath, keyPath = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
		writePEM(t, certPath, "CERTIFICATE", der)
		writePEM(t, keyPath, "EC PRIVATE KEY", kb)
		return certPath, keyPath
	}
	files := TLSFiles{CA: filepath.Join(dir, "ca.pem")}
	writePEM(t, files.CA, "CERTIFICATE", caDER)
	serverCert, serverKey := issue("member", 2, x509.ExtKeyUsageServerAuth)
	files.ClientCert, files.ClientKey = issue("manager", 3, x509.ExtKeyUsageClientAuth)

	c := &Cluster{t: t, bin: findEtcd(t), dir: t.TempDir()}
	ports := freePorts(t, 2)
	m := &Member{Name: "m1", Client: "https://127.0.0.1:" + itoa(ports[0]), PeerURL: "http://127.0.0.1:" + itoa(ports[1])}
	m.dir = filepath.Join(c.dir, m.Name)
	m.initCluster = m.Name + "=" + m.PeerURL
	m.extra = []string{"--cert-file", serverCert, "--key-file", serverKey, "--client-cert-auth", "--trusted-ca-file", files.CA}
	c.members = []*Member{m}
	c.StartMember(m)
	t.Cleanup(func() { c.Stop(m) })
	return c, files
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
