package fleetstore

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// DefaultPrefix is where a fleet's keys live unless the store URL names
// another path.
const DefaultPrefix = "/capstan/"

// Timeout bounds one request to etcd, retries included: a store without
// quorum does not answer linearizable requests, and a change must be
// refused with a reason rather than hang the administrator's request. It
// outlasts a leader election (etcd's election timeout is 1 s by default)
// and the client's move to another member.
const Timeout = 5 * time.Second

// attemptTimeout bounds one try within Timeout.
const attemptTimeout = 1500 * time.Millisecond

// Config is where the fleet store is and how to reach it.
type Config struct {
	Endpoints []string
	// Prefix of every key (DefaultPrefix when empty); several fleets can
	// share one etcd cluster under different prefixes.
	Prefix string
	// TLS, when set, is used for every connection to etcd (etcds://).
	TLS *tls.Config
	// DialTimeout bounds the first connection (default 5 s).
	DialTimeout time.Duration
}

// ParseURL reads --store: etcd://host:port[,host:port...][/prefix], or
// etcds:// for TLS (the TLS settings come from their own flags).
func ParseURL(s string) (Config, bool, error) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || (scheme != "etcd" && scheme != "etcds") {
		return Config{}, false, fmt.Errorf("store %q: want etcd://host:port[,host:port...][/prefix] or etcds://…", s)
	}
	hosts, path, _ := strings.Cut(rest, "/")
	var cfg Config
	for _, h := range strings.Split(hosts, ",") {
		if h == "" {
			continue
		}
		if strings.ContainsAny(h, " \t@?#") || !strings.Contains(h, ":") {
			return Config{}, false, fmt.Errorf("store %q: endpoint %q: want host:port", s, h)
		}
		ep := "http://" + h
		if scheme == "etcds" {
			ep = "https://" + h
		}
		cfg.Endpoints = append(cfg.Endpoints, ep)
	}
	if len(cfg.Endpoints) == 0 {
		return Config{}, false, fmt.Errorf("store %q: no endpoint", s)
	}
	if path != "" {
		if strings.ContainsAny(path, "\x00\n") {
			return Config{}, false, fmt.Errorf("store %q: bad prefix", s)
		}
		cfg.Prefix = "/" + strings.Trim(path, "/") + "/"
	}
	return cfg, scheme == "etcds", nil
}

// Store is a connection to the fleet's etcd with every key under its
// prefix.
type Store struct {
	cli    *clientv3.Client
	prefix string
	eps    []string
}

// Open connects to etcd and checks that it answers.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints: cfg.Endpoints, TLS: cfg.TLS, DialTimeout: cfg.DialTimeout,
		DialKeepAliveTime: 2 * time.Second, DialKeepAliveTimeout: 2 * time.Second,
		Logger: zap.NewNop(), Context: ctx,
	})
	if err != nil {
		return nil, fmt.Errorf("fleet store %s: %w", strings.Join(cfg.Endpoints, ","), err)
	}
	s := &Store{cli: cli, prefix: cfg.Prefix, eps: cfg.Endpoints}
	cctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	defer cancel()
	if _, err := cli.Get(cctx, s.prefix+"probe"); err != nil {
		cli.Close()
		return nil, s.unavailable("connect", err)
	}
	return s, nil
}

// Close ends the connection.
func (s *Store) Close() error { return s.cli.Close() }

// Client is the etcd client, for leases and elections.
func (s *Store) Client() *clientv3.Client { return s.cli }

// Key is the full key of name.
func (s *Store) Key(name string) string { return s.prefix + name }

// Entry is one key's value with the revision that last changed it.
type Entry struct {
	Name  string // the key without the store's prefix
	Value []byte
	Rev   int64
}

// ErrNotFound is a key that does not exist.
var ErrNotFound = errors.New("not in the fleet store")

// ConflictError is a change based on a revision that is no longer current:
// another manager changed the key first. Nothing was written.
type ConflictError struct {
	Name      string
	Base, Now int64
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s was changed by another manager (revision %d) since revision %d this change was based on: nothing was written; look again and retry", e.Name, e.Now, e.Base)
}

// UnavailableError is a request etcd did not answer: no quorum, or no
// member reachable. Managers keep serving with what they have; changes are
// refused until the store answers again.
type UnavailableError struct {
	Op        string
	Endpoints []string
	Err       error
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("fleet store (etcd %s) unavailable: %s: %v; changes are refused until it answers (no quorum or no member reachable?)",
		strings.Join(e.Endpoints, ","), e.Op, e.Err)
}

func (e *UnavailableError) Unwrap() error { return e.Err }

func (s *Store) unavailable(op string, err error) error {
	var c *ConflictError
	if err == nil || errors.As(err, &c) || errors.Is(err, ErrNotFound) {
		return err
	}
	return &UnavailableError{Op: op, Endpoints: s.eps, Err: err}
}

// do runs f until it succeeds or Timeout passes: a member that died or a
// leader election in progress fails a try, and the next goes to another
// member. f must be safe to repeat (conditional writes are).
func (s *Store) do(ctx context.Context, f func(context.Context) error) error {
	deadline := time.Now().Add(Timeout)
	for {
		actx, cancel := context.WithDeadline(clientv3.WithRequireLeader(ctx), earliest(deadline, time.Now().Add(attemptTimeout)))
		err := f(actx)
		cancel()
		if err == nil || ctx.Err() != nil || !time.Now().Add(100*time.Millisecond).Before(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Get reads one key.
func (s *Store) Get(ctx context.Context, name string) (Entry, error) {
	var r *clientv3.GetResponse
	err := s.do(ctx, func(ctx context.Context) (err error) {
		r, err = s.cli.Get(ctx, s.Key(name))
		return err
	})
	if err != nil {
		return Entry{}, s.unavailable("get "+name, err)
	}
	if len(r.Kvs) == 0 {
		return Entry{Name: name}, ErrNotFound
	}
	return Entry{Name: name, Value: r.Kvs[0].Value, Rev: r.Kvs[0].ModRevision}, nil
}

// List reads every key under dir ("pki/issued/"), and the store's revision
// at that moment, from which a watch continues.
func (s *Store) List(ctx context.Context, dir string) ([]Entry, int64, error) {
	var r *clientv3.GetResponse
	err := s.do(ctx, func(ctx context.Context) (err error) {
		r, err = s.cli.Get(ctx, s.Key(dir), clientv3.WithPrefix())
		return err
	})
	if err != nil {
		return nil, 0, s.unavailable("list "+dir, err)
	}
	out := make([]Entry, 0, len(r.Kvs))
	for _, kv := range r.Kvs {
		out = append(out, Entry{Name: strings.TrimPrefix(string(kv.Key), s.prefix), Value: kv.Value, Rev: kv.ModRevision})
	}
	return out, r.Header.Revision, nil
}

// Put writes name if its revision is still base (0: only if it does not
// exist) and returns the new revision; otherwise a *ConflictError. A try
// whose answer was lost may have committed: a retry that then finds the
// key changed to exactly this value counts it as done.
func (s *Store) Put(ctx context.Context, name string, value []byte, base int64, opts ...clientv3.OpOption) (int64, error) {
	key := s.Key(name)
	var r *clientv3.TxnResponse
	tries := 0
	err := s.do(ctx, func(ctx context.Context) (err error) {
		tries++
		r, err = s.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(key), "=", base)).
			Then(clientv3.OpPut(key, string(value), opts...)).
			Else(clientv3.OpGet(key)).
			Commit()
		return err
	})
	if err != nil {
		return 0, s.unavailable("put "+name, err)
	}
	if r.Succeeded {
		return r.Header.Revision, nil
	}
	var now int64
	if kvs := r.Responses[0].GetResponseRange().GetKvs(); len(kvs) > 0 {
		now = kvs[0].ModRevision
		if tries > 1 && string(kvs[0].Value) == string(value) {
			return now, nil // an earlier try committed
		}
	}
	return 0, &ConflictError{Name: name, Base: base, Now: now}
}

// Set writes name whatever its revision: for keys only one writer owns.
func (s *Store) Set(ctx context.Context, name string, value []byte, opts ...clientv3.OpOption) (int64, error) {
	var r *clientv3.PutResponse
	err := s.do(ctx, func(ctx context.Context) (err error) {
		r, err = s.cli.Put(ctx, s.Key(name), string(value), opts...)
		return err
	})
	if err != nil {
		return 0, s.unavailable("put "+name, err)
	}
	return r.Header.Revision, nil
}

// Delete removes name if its revision is still base (any revision when
// base is negative).
func (s *Store) Delete(ctx context.Context, name string, base int64) error {
	key := s.Key(name)
	var ok bool
	err := s.do(ctx, func(ctx context.Context) error {
		if base < 0 {
			_, err := s.cli.Delete(ctx, key)
			ok = true
			return err
		}
		r, err := s.cli.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(key), "=", base)).Then(clientv3.OpDelete(key)).Commit()
		if err == nil {
			ok = r.Succeeded
		}
		return err
	})
	if err != nil {
		return s.unavailable("delete "+name, err)
	}
	if !ok {
		return &ConflictError{Name: name, Base: base}
	}
	return nil
}
