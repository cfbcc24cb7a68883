package fleetstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// A client is kicked through the manager that holds its CAP: the manager
// asked writes a request under kicksDir naming the holder, the holder runs
// it and answers under kickResultsDir; both keys live on a short lease.
const (
	kicksDir       = "requests/kick/"
	kickResultsDir = "requests/kick-result/"
	kickTTL        = 15 // seconds
)

type kickRequest struct {
	ID      string `json:"id"`
	MAC     string `json:"mac"`
	Manager string `json:"manager"` // the holder, who runs it
	By      string `json:"by"`
}

type kickResult struct {
	Error string `json:"error,omitempty"`
}

// OnKick sets what runs a kick another manager asked this one for
// (controlplane.Server.RemoveStation); until it is set, such requests are
// answered with an error.
func (d *Directory) OnKick(fn func(ctx context.Context, mac string) error) {
	d.mu.Lock()
	d.kick = fn
	d.mu.Unlock()
}

// Kick removes a client of a CAP another manager holds through that
// manager and returns its answer; found is false when no other manager's
// CAP has the client.
func (d *Directory) Kick(ctx context.Context, mac string) (found bool, err error) {
	holder := ""
	for _, r := range d.OtherRegistrations() {
		if strings.EqualFold(r.MAC, mac) {
			holder = r.Manager
		}
	}
	if holder == "" {
		return false, nil
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	req := kickRequest{ID: hex.EncodeToString(id[:]), MAC: strings.ToLower(mac), Manager: holder, By: d.name}
	b, _ := json.Marshal(req)
	lease, err := d.s.cli.Grant(ctx, kickTTL)
	if err != nil {
		return true, d.s.unavailable("kick "+mac, err)
	}
	resultKey := d.s.Key(kickResultsDir + req.ID)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := d.s.cli.Watch(wctx, resultKey)
	if _, err := d.s.Set(ctx, kicksDir+req.ID, b, clientv3.WithLease(lease.ID)); err != nil {
		return true, err
	}
	for wr := range results {
		for _, ev := range wr.Events {
			var res kickResult
			if json.Unmarshal(ev.Kv.Value, &res) != nil {
				continue
			}
			if res.Error != "" {
				return true, fmt.Errorf("manager %s: %s", holder, res.Error)
			}
			return true, nil
		}
	}
	if ctx.Err() != nil {
		return true, fmt.Errorf("manager %s did not answer the kick of %s: %w", holder, mac, ctx.Err())
	}
	return true, errors.New("kick: the fleet store's watch ended")
}

type kickFollower struct{ d *Directory }

func (f kickFollower) Load(es []Entry, _ int64) {
	for _, e := range es {
		f.Apply(Event{Name: e.Name, Value: e.Value, Rev: e.Rev})
	}
}

func (f kickFollower) Apply(e Event) {
	var req kickRequest
	if e.Deleted || json.Unmarshal(e.Value, &req) != nil || req.Manager != f.d.name {
		return
	}
	go f.d.runKick(req)
}

// runKick runs a kick asked of this manager and answers it.
func (d *Directory) runKick(req kickRequest) {
	ctx, cancel := context.WithTimeout(d.ctx, 10*time.Second)
	defer cancel()
	d.mu.Lock()
	fn := d.kick
	d.mu.Unlock()
	res := kickResult{Error: "this manager cannot kick clients yet"}
	if fn != nil {
		res.Error = ""
		if err := fn(ctx, req.MAC); err != nil {
			res.Error = err.Error()
		}
	}
	d.log.Info("kick asked by another manager", "mac", req.MAC, "by", req.By, "err", res.Error)
	b, _ := json.Marshal(res)
	lease, err := d.s.cli.Grant(ctx, kickTTL)
	if err == nil {
		_, err = d.s.Set(ctx, kickResultsDir+req.ID, b, clientv3.WithLease(lease.ID))
	}
	if err != nil {
		d.log.Warn("kick answer not written", "mac", req.MAC, "by", req.By, "err", err)
	}
	_ = d.s.Delete(ctx, kicksDir+req.ID, -1)
}
