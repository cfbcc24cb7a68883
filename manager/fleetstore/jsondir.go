package fleetstore

import (
	"encoding/json"
	"strings"
	"sync"
)

// jsonDir follows a directory of JSON values, by the key's name within it;
// a value that does not decode counts as absent.
type jsonDir[T any] struct {
	dir string
	mu  sync.Mutex
	m   map[string]T
}

func newJSONDir[T any](dir string) *jsonDir[T] { return &jsonDir[T]{dir: dir, m: map[string]T{}} }

// Load implements Follower.
func (d *jsonDir[T]) Load(es []Entry, _ int64) {
	m := make(map[string]T, len(es))
	for _, e := range es {
		var v T
		if json.Unmarshal(e.Value, &v) == nil {
			m[strings.TrimPrefix(e.Name, d.dir)] = v
		}
	}
	d.mu.Lock()
	d.m = m
	d.mu.Unlock()
}

// Apply implements Follower.
func (d *jsonDir[T]) Apply(e Event) {
	k := strings.TrimPrefix(e.Name, d.dir)
	var v T
	d.mu.Lock()
	defer d.mu.Unlock()
	if e.Deleted || json.Unmarshal(e.Value, &v) != nil {
		delete(d.m, k)
		return
	}
	d.m[k] = v
}

func (d *jsonDir[T]) get(k string) (T, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.m[k]
	return v, ok
}

func (d *jsonDir[T]) set(k string, v T) {
	d.mu.Lock()
	d.m[k] = v
	d.mu.Unlock()
}

func (d *jsonDir[T]) values() []T {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]T, 0, len(d.m))
	for _, v := range d.m {
		out = append(out, v)
	}
	return out
}
