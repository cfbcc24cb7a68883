package model

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
)

// Item is one entry of a resource: its stable ID and its set fields.
// Values are never changed in place: a change replaces the map.
type Item struct {
	ID     int
	Values map[string]any
}

// Get returns field k's value, nil when unset.
func (it Item) Get(k string) any { return it.Values[k] }

// String returns text field k, "" when unset.
func (it Item) String(k string) string { s, _ := it.Values[k].(string); return s }

// Bool returns flag k, false when unset.
func (it Item) Bool(k string) bool { b, _ := it.Values[k].(bool); return b }

// Strings returns list field k.
func (it Item) Strings(k string) []string { l, _ := it.Values[k].([]string); return l }

// Name is the item's name ("" for unnamed resources).
func (it Item) Name() string { return it.String("name") }

// Disabled reports whether the item is switched off.
func (it Item) Disabled() bool { return it.Bool("disabled") }

// Config is the whole configuration. A Config handed out by a Store is
// read-only; changes go through Store.Update on a copy.
type Config struct {
	items  map[string][]Item
	nextID int
	idx    atomic.Pointer[configIndex]
}

// New returns an empty configuration.
func New() *Config { return &Config{items: map[string][]Item{}, nextID: 1} }

// Clone copies c so that changes to the copy leave c alone.
func (c *Config) Clone() *Config {
	n := &Config{items: make(map[string][]Item, len(c.items)), nextID: c.nextID}
	for k, v := range c.items {
		n.items[k] = slices.Clone(v)
	}
	return n
}

// Items lists resource res in order. The slice must not be changed.
func (c *Config) Items(res string) []Item {
	r, _ := Lookup(res)
	if r != nil && r.Singleton && len(c.items[res]) == 0 {
		return []Item{{ID: 0, Values: map[string]any{}}}
	}
	return c.items[res]
}

// Named returns the item of res called name.
func (c *Config) Named(res, name string) (Item, bool) {
	i, ok := c.index().named[res][name]
	if !ok {
		return Item{}, false
	}
	return c.items[res][i], true
}

// ErrNotFound is returned for a reference to no item.
type ErrNotFound struct{ Resource, Ref string }

func (e *ErrNotFound) Error() string { return fmt.Sprintf("%s %q: no such item", e.Resource, e.Ref) }

// Find resolves a reference as the CLI takes it: "*7" is the item with ID
// 7, a plain number its position in print order, anything else its name.
func (c *Config) Find(res, ref string) (int, error) {
	list := c.items[res]
	if id, ok := strings.CutPrefix(ref, "*"); ok {
		n, err := strconv.Atoi(id)
		if err == nil {
			for i, it := range list {
				if it.ID == n {
					return i, nil
				}
			}
		}
	} else if n, err := strconv.Atoi(ref); err == nil {
		if n >= 0 && n < len(list) {
			return n, nil
		}
	}
	for i, it := range list {
		if n := it.Name(); n != "" && n == ref {
			return i, nil
		}
	}
	return -1, &ErrNotFound{res, ref}
}

// Change is a set of field changes: a nil value unsets the field.
type Change map[string]any

// ParseChange reads raw values (JSON-decoded with UseNumber, or text) for
// resource r; null and "" unset a field.
func ParseChange(r *Resource, raw map[string]any) (Change, error) {
	ch := Change{}
	for _, k := range slices.Sorted(maps.Keys(raw)) {
		v := raw[k]
		f, ok := r.Field(k)
		if !ok {
			return nil, &FieldError{Resource: r.Name, Field: k, Reason: "unknown field (see `" + r.Name + " print --help` or the OpenAPI description)"}
		}
		if v == nil || v == "" {
			if k == "name" {
				return nil, &FieldError{Resource: r.Name, Field: k, Reason: "a name cannot be unset"}
			}
			ch[k] = nil
			continue
		}
		val, err := f.FromJSON(v)
		if err != nil {
			fe := &FieldError{Resource: r.Name, Field: k, Value: Format(textOf(v)), Reason: err.Error()}
			if f.IsSecret() {
				fe.Value, fe.Reason = "", err.Error()+" (the value is not shown)"
			}
			return nil, fe
		}
		ch[k] = val
	}
	return ch, nil
}

func textOf(v any) any {
	if l, ok := v.([]any); ok {
		parts := make([]string, len(l))
		for i, e := range l {
			parts[i] = fmt.Sprint(e)
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}

func apply(values map[string]any, ch Change) map[string]any {
	out := maps.Clone(values)
	if out == nil {
		out = map[string]any{}
	}
	for k, v := range ch {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// Add appends an item to res (or inserts it before position before, if
// before >= 0) and returns its ID. The caller validates the result.
func (c *Config) Add(res string, ch Change, before int) (int, error) {
	r, ok := Lookup(res)
	if !ok {
		return 0, fmt.Errorf("unknown resource %q", res)
	}
	if r.Singleton {
		return 0, fmt.Errorf("%s: use set, there is exactly one", res)
	}
	it := Item{ID: c.nextID, Values: apply(nil, ch)}
	c.nextID++
	list := c.items[res]
	if before >= 0 && before <= len(list) {
		list = slices.Insert(slices.Clone(list), before, it)
	} else {
		list = append(slices.Clone(list), it)
	}
	c.items[res] = list
	c.changed()
	return it.ID, nil
}

// Set changes the item at index i of res. A rename follows every
// reference to the old name.
func (c *Config) Set(res string, i int, ch Change) {
	r, _ := Lookup(res)
	list := slices.Clone(c.items[res])
	if r.Singleton && len(list) == 0 {
		list = []Item{{Values: map[string]any{}}}
		i = 0
	}
	old := list[i]
	list[i] = Item{ID: old.ID, Values: apply(old.Values, ch)}
	c.items[res] = list
	c.changed()
	if newName, ok := ch["name"].(string); ok && r.Named && old.Name() != "" && newName != old.Name() {
		c.renameRefs(res, old.Name(), newName)
	}
}

// Remove deletes the item at index i of res, refusing while other items
// reference it.
func (c *Config) Remove(res string, i int) error {
	r, _ := Lookup(res)
	if r.Singleton {
		return fmt.Errorf("%s: cannot be removed", res)
	}
	it := c.items[res][i]
	if r.Named {
		if users := c.referrers(res, it.Name()); len(users) > 0 {
			return fmt.Errorf("%s %q is in use by %s", res, it.Name(), strings.Join(users, ", "))
		}
	}
	c.items[res] = slices.Delete(slices.Clone(c.items[res]), i, i+1)
	c.changed()
	return nil
}

// Move puts the item at index i before position to (len = the end).
func (c *Config) Move(res string, i, to int) {
	list := slices.Clone(c.items[res])
	it := list[i]
	list = slices.Delete(list, i, i+1)
	if to > i {
		to--
	}
	to = min(max(to, 0), len(list))
	c.items[res] = slices.Insert(list, to, it)
	c.changed()
}

// refFields lists, for every resource, the fields that reference items of
// target.
func refFields(target string) map[*Resource][]Field {
	out := map[*Resource][]Field{}
	for _, r := range Schema {
		for _, f := range r.Fields {
			if f.Kind == Ref && f.Ref == target {
				out[r] = append(out[r], f)
			}
		}
	}
	return out
}

func (c *Config) referrers(res, name string) []string {
	var users []string
	for r, fields := range refFields(res) {
		for _, it := range c.items[r.Name] {
			for _, f := range fields {
				if refersTo(it.Values[f.Key], name) {
					users = append(users, describe(r, it))
					break
				}
			}
		}
	}
	slices.Sort(users)
	return users
}

func refersTo(v any, name string) bool {
	switch v := v.(type) {
	case string:
		return v == name
	case []string:
		return slices.Contains(v, name)
	}
	return false
}

func (c *Config) renameRefs(res, from, to string) {
	for r, fields := range refFields(res) {
		list := slices.Clone(c.items[r.Name])
		for i, it := range list {
			ch := Change{}
			for _, f := range fields {
				switch v := it.Values[f.Key].(type) {
				case string:
					if v == from {
						ch[f.Key] = to
					}
				case []string:
					if slices.Contains(v, from) {
						nv := slices.Clone(v)
						for j := range nv {
							if nv[j] == from {
								nv[j] = to
							}
						}
						ch[f.Key] = nv
					}
				}
			}
			if len(ch) > 0 {
				list[i] = Item{ID: it.ID, Values: apply(it.Values, ch)}
			}
		}
		c.items[r.Name] = list
		c.changed()
	}
}

func describe(r *Resource, it Item) string {
	if n := it.Name(); n != "" {
		return fmt.Sprintf("%s %q", r.Name, n)
	}
	return fmt.Sprintf("%s *%d", r.Name, it.ID)
}
