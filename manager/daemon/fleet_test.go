package daemon

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/manager/fleetstore/fleetstoretest"
)

// TestOpenFleetTLS: etcds:// with the store CA and a client certificate
// reaches a member that requires client certificates; without the client
// certificate, or without the store key, the manager refuses to start with
// the reason.
func TestOpenFleetTLS(t *testing.T) {
	c, files := fleetstoretest.StartTLS(t)
	kek := filepath.Join(t.TempDir(), "kek")
	if err := os.WriteFile(kek, []byte(strings.Repeat("11", 32)), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sc := StoreConfig{URL: c.URL("tls"), KeyFile: kek, CAFile: files.CA, CertFile: files.ClientCert, CertKeyFile: files.ClientKey}
	var s interface{ Close() error }
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, _, err := openFleet(ctx, sc)
		if err == nil {
			s = st
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("etcds:// with a client certificate: %v\n%s", err, c.Log(c.Members()[0]))
		}
		time.Sleep(100 * time.Millisecond) // the member is starting
	}
	s.Close()

	noClient := sc
	noClient.CertFile, noClient.CertKeyFile = "", ""
	if _, _, err := openFleet(ctx, noClient); err == nil {
		t.Fatal("a member requiring client certificates accepted a manager without one")
	}
	noKey := sc
	noKey.KeyFile = ""
	if _, _, err := openFleet(ctx, noKey); err == nil || !strings.Contains(err.Error(), "--store-key-file") {
		t.Fatalf("without a store key: %v", err)
	}
	plain := sc
	plain.URL = strings.Replace(sc.URL, "etcds://", "etcd://", 1)
	if _, _, err := openFleet(ctx, plain); err == nil || !strings.Contains(err.Error(), "etcds://") {
		t.Fatalf("TLS files with etcd://: %v", err)
	}
}
