package fleetstore_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"strings"
	"testing"

	"github.com/capstan-wifi/capstan/manager/fleetstore"
	"github.com/capstan-wifi/capstan/manager/fleetstore/fleetstoretest"
	"github.com/capstan-wifi/capstan/pki"
)

// TestLeaderSignsTheFleetCRL: of two managers one leads and publishes the
// fleet's CRL, which the other serves; a revocation on the other manager
// reaches the published CRL; when the leader stops, the other takes over
// and publishes.
func TestLeaderSignsTheFleetCRL(t *testing.T) {
	c := fleetstoretest.Start(t, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kek, _ := fleetstore.ParseKEK(strings.Repeat("77", 32))
	type mgr struct {
		a    *pki.Authority
		stop context.CancelFunc
	}
	ms := map[string]*mgr{}
	for _, name := range []string{"a", "b"} {
		mctx, stop := context.WithCancel(ctx)
		s, err := fleetstore.Open(mctx, c.Config("crl"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		auth, err := pki.OpenAuthority(pki.AuthorityConfig{Dir: t.TempDir(), BaseMAC: "02000000000" + strings.ToUpper(name), Policy: pki.PolicyAuto,
			Fleet: fleetstore.NewPKI(mctx, s, kek)})
		if err != nil {
			t.Fatal(err)
		}
		if err := fleetstore.FollowPKI(mctx, s, auth, nil, nil); err != nil {
			t.Fatal(err)
		}
		go fleetstore.RunElected(mctx, s, name, nil, func(ctx context.Context) { fleetstore.PublishCRL(ctx, s, auth, nil) })
		ms[name] = &mgr{a: auth, stop: stop}
	}
	probe, err := fleetstore.Open(ctx, c.Config("crl"))
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	var leader string
	waitFor(t, "a leader", func() bool { leader = fleetstore.Leader(ctx, probe); return leader != "" })
	other := map[string]string{"a": "b", "b": "a"}[leader]
	t.Logf("leader %s", leader)

	// A CAP enrolled on the other manager, then revoked there.
	csr, err := pki.NewCSR(mustKey(t), "CAP-02AABB0000C1")
	if err != nil {
		t.Fatal(err)
	}
	chain, err := ms[other].a.Enroll(pki.EnrollRequest{CSR: csr, Via: "in-band"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ms[other].a.Revoke("CAP-02AABB0000C1"); err != nil {
		t.Fatal(err)
	}
	listed := func(der []byte) bool {
		l, err := x509.ParseRevocationList(der)
		if err != nil {
			return false
		}
		for _, e := range l.RevokedCertificateEntries {
			if e.SerialNumber.Cmp(chain[0].SerialNumber) == 0 {
				return true
			}
		}
		return false
	}
	waitFor(t, "the leader's published CRL listing the revocation", func() bool {
		e, err := probe.Get(ctx, "pki/crl")
		return err == nil && listed(e.Value)
	})
	e, _ := probe.Get(ctx, "pki/crl")
	waitFor(t, "the other manager serving the leader's CRL", func() bool {
		der, err := ms[other].a.CRL()
		return err == nil && string(der) == string(e.Value)
	})

	// The leader stops: the other leads and publishes.
	ms[leader].stop()
	waitFor(t, other+" leading", func() bool { return fleetstore.Leader(ctx, probe) == other })
	waitFor(t, other+" publishing", func() bool {
		e2, err := probe.Get(ctx, "pki/crl")
		return err == nil && e2.Rev > e.Rev && listed(e2.Value)
	})
}

func mustKey(t *testing.T) crypto.Signer {
	t.Helper()
	k, err := pki.GenerateKey(pki.ECDSA)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
