package fleetstore

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/capstan-wifi/capstan/pki"
)

// Keys of the PKI in the fleet store.
const (
	caKey        = "pki/ca"
	issuedDir    = "pki/issued/"
	revokedDir   = "pki/revoked/"
	crlNumberKey = "pki/crl-number"
	enrollKey    = "pki/enrollment"
	commitTries  = 8
)

// PKI keeps an Authority's CA and records in the fleet store; it
// implements pki.Fleet.
type PKI struct {
	s   *Store
	kek *KEK
	ctx context.Context
}

// NewPKI returns the fleet's PKI store; kek seals the CA's key.
func NewPKI(ctx context.Context, s *Store, kek *KEK) *PKI { return &PKI{s: s, kek: kek, ctx: ctx} }

type sealedCA struct {
	Certificate string `json:"certificate"`
	Key         []byte `json:"key_sealed"`
	KEK         string `json:"kek_id"`
}

// CA loads the fleet's CA, or makes it and stores it when there is none;
// when two managers make one at once, the first committed wins.
func (p *PKI) CA(make func() (*pki.CA, error)) (*pki.CA, error) {
	e, err := p.s.Get(p.ctx, caKey)
	if errors.Is(err, ErrNotFound) {
		var made bool
		if e, made, err = p.makeCA(make); made {
			return p.open(e)
		}
	}
	if err != nil {
		return nil, err
	}
	return p.open(e)
}

// makeCA stores a new CA; when another manager stored one first it
// returns that one's entry instead.
func (p *PKI) makeCA(make func() (*pki.CA, error)) (Entry, bool, error) {
	ca, err := make()
	if err != nil {
		return Entry{}, false, err
	}
	keyPEM, err := pki.EncodeKeyPEM(ca.Key)
	if err != nil {
		return Entry{}, false, err
	}
	b, _ := json.Marshal(sealedCA{Certificate: string(pki.EncodeCertsPEM(ca.Cert)), Key: p.kek.Seal(caKey, keyPEM), KEK: p.kek.ID()})
	rev, err := p.s.Put(p.ctx, caKey, b, 0)
	if err == nil {
		return Entry{Name: caKey, Value: b, Rev: rev}, true, nil
	}
	if !isConflict(err) {
		return Entry{}, false, err
	}
	e, err := p.s.Get(p.ctx, caKey)
	return e, false, err
}

// open unseals the CA of e.
func (p *PKI) open(e Entry) (*pki.CA, error) {
	var sc sealedCA
	if err := json.Unmarshal(e.Value, &sc); err != nil {
		return nil, fmt.Errorf("%s: %w", caKey, err)
	}
	if sc.KEK != p.kek.ID() {
		return nil, fmt.Errorf("the fleet's CA key is sealed with store key %s; this manager was given store key %s (every manager needs the same --store-key-file)", sc.KEK, p.kek.ID())
	}
	certs, err := pki.ParseCertsPEM([]byte(sc.Certificate))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", caKey, err)
	}
	keyPEM, err := p.kek.Open(caKey, sc.Key)
	if err != nil {
		return nil, fmt.Errorf("%s: the sealed key does not open with store key %s: %w", caKey, p.kek.ID(), err)
	}
	key, err := pki.ParseKeyPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", caKey, err)
	}
	if !pki.SamePublicKey(certs[0], key) {
		return nil, fmt.Errorf("%s: the key does not match the certificate", caKey)
	}
	return &pki.CA{Cert: certs[0], Key: key}, nil
}

func revokedName(r pki.Revocation) string {
	return revokedDir + hex.EncodeToString([]byte(r.Issuer)) + "/" + r.Serial
}

// Seed stores records the fleet has no record of the same serial for.
func (p *PKI) Seed(records []pki.Issued) error {
	for _, r := range records {
		b, _ := json.Marshal(r)
		if _, err := p.s.Put(p.ctx, issuedDir+r.Serial, b, 0); err != nil && !isConflict(err) {
			return err
		}
	}
	return nil
}

// Commit stores records and revocations in one transaction, merged with
// what the fleet holds: a revocation or supersession there stays.
func (p *PKI) Commit(records []pki.Issued, outside []pki.Revocation) error {
	for range commitTries {
		var succeeded bool
		err := p.s.do(p.ctx, func(ctx context.Context) error {
			var cmps []clientv3.Cmp
			var ops []clientv3.Op
			for _, r := range records {
				full := p.s.Key(issuedDir + r.Serial)
				cur, err := p.s.cli.Get(ctx, full)
				if err != nil {
					return err
				}
				var rev int64
				if len(cur.Kvs) > 0 {
					rev = cur.Kvs[0].ModRevision
					var old pki.Issued
					if json.Unmarshal(cur.Kvs[0].Value, &old) == nil {
						r = mergeIssued(old, r)
					}
				}
				b, _ := json.Marshal(r)
				cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(full), "=", rev))
				ops = append(ops, clientv3.OpPut(full, string(b)))
			}
			for _, o := range outside {
				b, _ := json.Marshal(o)
				ops = append(ops, clientv3.OpPut(p.s.Key(revokedName(o)), string(b)))
			}
			tr, err := p.s.cli.Txn(ctx).If(cmps...).Then(ops...).Commit()
			if err == nil {
				succeeded = tr.Succeeded
			}
			return err
		})
		if err != nil {
			return p.s.unavailable("commit certificate records", err)
		}
		if succeeded {
			return nil
		}
	}
	return errors.New("commit certificate records: other managers kept changing them; try again")
}

// mergeIssued is next with what old holds that must not be undone.
func mergeIssued(old, next pki.Issued) pki.Issued {
	if old.RevokedAt != nil && next.RevokedAt == nil {
		next.RevokedAt = old.RevokedAt
	}
	if old.SupersededAt != nil && next.SupersededAt == nil {
		next.SupersededAt, next.SupersededBy = old.SupersededAt, old.SupersededBy
	}
	return next
}

// NextCRLNumber increments the fleet's CRL number to at least atLeast.
func (p *PKI) NextCRLNumber(atLeast int64) (int64, error) {
	for range commitTries {
		var cur, rev int64
		e, err := p.s.Get(p.ctx, crlNumberKey)
		switch {
		case err == nil:
			cur, _ = strconv.ParseInt(string(e.Value), 10, 64)
			rev = e.Rev
		case !errors.Is(err, ErrNotFound):
			return 0, err
		}
		next := max(cur+1, atLeast)
		if _, err := p.s.Put(p.ctx, crlNumberKey, []byte(strconv.FormatInt(next, 10)), rev); err == nil {
			return next, nil
		} else if !isConflict(err) {
			return 0, err
		}
	}
	return 0, errors.New("CRL number: other managers kept taking the next one; try again")
}

// SaveEnrollment commits the enrollment document on revision base.
func (p *PKI) SaveEnrollment(data []byte, base int64) (int64, error) {
	return p.s.Put(p.ctx, enrollKey, data, base)
}

// FollowPKI keeps a's records equal to the fleet's until ctx ends and
// calls revoked with the serials that other managers revoked, whose
// sessions this manager must end.
func FollowPKI(ctx context.Context, s *Store, a *pki.Authority, revoked func([]string), log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := &pkiFollower{a: a, revoked: revoked, log: log}
	return s.Follow(ctx, "pki/", f)
}

type pkiFollower struct {
	a       *pki.Authority
	revoked func([]string)
	log     *slog.Logger
}

func (f *pkiFollower) decode(name string, value []byte) (rec *pki.Issued, out *pki.Revocation) {
	switch {
	case strings.HasPrefix(name, issuedDir):
		var r pki.Issued
		if err := json.Unmarshal(value, &r); err != nil {
			f.log.Warn("unreadable certificate record in the fleet store", "key", name, "err", err)
			return nil, nil
		}
		return &r, nil
	case strings.HasPrefix(name, revokedDir):
		var r pki.Revocation
		if err := json.Unmarshal(value, &r); err != nil {
			f.log.Warn("unreadable revocation in the fleet store", "key", name, "err", err)
			return nil, nil
		}
		return nil, &r
	}
	return nil, nil
}

// documents handles the PKI's single documents: the enrollment state and
// the leader's CRL.
func (f *pkiFollower) documents(e Event) bool {
	if e.Name == crlKey {
		if !e.Deleted {
			if err := f.a.SetFleetCRL(e.Value); err != nil {
				f.log.Warn("the fleet's CRL refused", "err", err)
			}
		}
		return true
	}
	if e.Name != enrollKey {
		return false
	}
	if !e.Deleted {
		if err := f.a.MergeEnrollment(e.Value, e.Rev); err != nil {
			f.log.Warn("unreadable enrollment state in the fleet store", "err", err)
		}
	}
	return true
}

func (f *pkiFollower) Load(es []Entry, _ int64) {
	var recs []pki.Issued
	var outs []pki.Revocation
	for _, e := range es {
		if f.documents(Event{Name: e.Name, Value: e.Value, Rev: e.Rev}) {
			continue
		}
		r, o := f.decode(e.Name, e.Value)
		if r != nil {
			recs = append(recs, *r)
		}
		if o != nil {
			outs = append(outs, *o)
		}
	}
	f.done(f.a.MergeFleet(recs, outs, true))
}

func (f *pkiFollower) Apply(e Event) {
	if f.documents(e) || e.Deleted {
		return
	}
	r, o := f.decode(e.Name, e.Value)
	var recs []pki.Issued
	var outs []pki.Revocation
	if r != nil {
		recs = append(recs, *r)
	}
	if o != nil {
		outs = append(outs, *o)
	}
	if len(recs)+len(outs) > 0 {
		f.done(f.a.MergeFleet(recs, outs, false))
	}
}

func (f *pkiFollower) done(revoked []string) {
	if len(revoked) > 0 && f.revoked != nil {
		f.log.Info("certificates revoked in the fleet", "serials", strings.Join(revoked, ","))
		f.revoked(revoked)
	}
}
