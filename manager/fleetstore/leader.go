package fleetstore

import (
	"bytes"
	"context"
	"log/slog"
	"time"

	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/capstan-wifi/capstan/pki"
)

// Work that must happen once for the whole fleet runs on the manager that
// leads it, elected with etcd's concurrency package under leaderDir; the
// leadership ends with the manager's session (a manager that dies loses it
// after LeaderTTL) and another campaigner takes it.
const (
	leaderDir = "leader/"
	// LeaderTTL is the leader's session lease, in seconds.
	LeaderTTL = 5
	// crlKey holds the CRL the leader signed for the fleet.
	crlKey = "pki/crl"
)

// RunElected campaigns for the fleet's leadership as name and runs lead
// while this manager holds it, until ctx ends; lead's context ends when the
// leadership is lost.
func RunElected(ctx context.Context, s *Store, name string, log *slog.Logger, lead func(context.Context)) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for ctx.Err() == nil {
		sess, err := concurrency.NewSession(s.Client(), concurrency.WithTTL(LeaderTTL), concurrency.WithContext(ctx))
		if err != nil {
			sleepCtx(ctx, time.Second)
			continue
		}
		e := concurrency.NewElection(sess, s.Key(leaderDir))
		if err := e.Campaign(ctx, name); err != nil {
			sess.Close()
			sleepCtx(ctx, time.Second)
			continue
		}
		log.Info("leading the fleet", "name", name)
		lctx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-sess.Done():
			case <-lctx.Done():
			}
			cancel()
		}()
		lead(lctx)
		cancel()
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		_ = e.Resign(rctx)
		rcancel()
		sess.Close()
		log.Info("no longer leading the fleet", "name", name)
	}
}

// Leader names the manager that leads the fleet now ("" if none).
func Leader(ctx context.Context, s *Store) string {
	es, _, err := s.List(ctx, leaderDir)
	if err != nil || len(es) == 0 {
		return ""
	}
	first := es[0]
	for _, e := range es[1:] {
		if e.Rev < first.Rev {
			first = e
		}
	}
	return string(first.Value)
}

// PublishCRL is the leader's job: it signs the fleet's CRL and publishes
// it whenever it changes (a revocation anywhere in the fleet invalidates
// it) or half its lifetime passed, checking once a second.
func PublishCRL(ctx context.Context, s *Store, a *pki.Authority, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a.SetLeading(true)
	defer a.SetLeading(false)
	var last []byte
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		if der, err := a.CRL(); err != nil {
			log.Warn("fleet CRL not signed", "err", err)
		} else if !bytes.Equal(der, last) {
			if _, err := s.Set(ctx, crlKey, der); err != nil {
				log.Warn("fleet CRL not published", "err", err)
			} else {
				last = der
				log.Debug("fleet CRL published")
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
