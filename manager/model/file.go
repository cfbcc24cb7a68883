package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// FileFormat is the version of the configuration file's layout.
const FileFormat = 1

// MarshalText writes c as the configuration file: indented JSON, resources
// in schema order, each item's fields in the order print shows them.
func (c *Config) MarshalText() ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "{\n  \"format\": %d,\n  \"next_id\": %d", FileFormat, c.nextID)
	for _, r := range Schema {
		list := c.items[r.Name]
		if len(list) == 0 {
			continue
		}
		if r.Singleton {
			fmt.Fprintf(&b, ",\n  %q: ", r.Name)
			if err := writeItem(&b, r, list[0], false, "  "); err != nil {
				return nil, err
			}
			continue
		}
		fmt.Fprintf(&b, ",\n  %q: [", r.Name)
		for i, it := range list {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("\n    ")
			if err := writeItem(&b, r, it, true, "    "); err != nil {
				return nil, err
			}
		}
		b.WriteString("\n  ]")
	}
	b.WriteString("\n}\n")
	return b.Bytes(), nil
}

func writeItem(b *bytes.Buffer, r *Resource, it Item, withID bool, indent string) error {
	b.WriteString("{")
	sep := ""
	if withID {
		fmt.Fprintf(b, "\n%s  \"id\": %d", indent, it.ID)
		sep = ","
	}
	for _, f := range r.Fields {
		v, ok := it.Values[f.Key]
		if !ok {
			continue
		}
		val, err := json.Marshal(v)
		if err != nil {
			return err
		}
		fmt.Fprintf(b, "%s\n%s  %q: %s", sep, indent, f.Key, val)
		sep = ","
	}
	fmt.Fprintf(b, "\n%s}", indent)
	return nil
}

// Parse reads a configuration file and validates it.
func Parse(data []byte) (*Config, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("not a configuration file: %w", err)
	}
	var format int
	if err := json.Unmarshal(top["format"], &format); err != nil || format != FileFormat {
		return nil, fmt.Errorf("format: want %d", FileFormat)
	}
	c := New()
	if err := json.Unmarshal(top["next_id"], &c.nextID); err != nil || c.nextID < 1 {
		return nil, fmt.Errorf("next_id: want a positive number")
	}
	for _, k := range slices.Sorted(maps.Keys(top)) {
		if k == "format" || k == "next_id" {
			continue
		}
		r, ok := Lookup(k)
		if !ok {
			return nil, fmt.Errorf("unknown resource %q", k)
		}
		var raws []map[string]any
		if r.Singleton {
			var one map[string]any
			if err := decode(top[k], &one); err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			raws = []map[string]any{one}
		} else if err := decode(top[k], &raws); err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		ids := map[int]bool{}
		for _, raw := range raws {
			it, err := itemOf(r, raw, c.nextID)
			if err != nil {
				return nil, err
			}
			if ids[it.ID] {
				return nil, fmt.Errorf("%s: id %d twice", k, it.ID)
			}
			ids[it.ID] = true
			c.items[k] = append(c.items[k], it)
			c.changed()
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func decode(raw json.RawMessage, v any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	return d.Decode(v)
}

func itemOf(r *Resource, raw map[string]any, nextID int) (Item, error) {
	it := Item{Values: map[string]any{}}
	if !r.Singleton {
		n, ok := raw["id"].(json.Number)
		id, err := n.Int64()
		if !ok || err != nil || id < 1 || int(id) >= nextID {
			return it, fmt.Errorf("%s: item without a valid id (1 to next_id-1)", r.Name)
		}
		it.ID = int(id)
		delete(raw, "id")
	}
	ch, err := ParseChange(r, raw)
	if err != nil {
		return it, err
	}
	for k, v := range ch {
		if v == nil {
			return it, &FieldError{Resource: r.Name, Field: k, Reason: "empty value in the file"}
		}
		it.Values[k] = v
	}
	return it, nil
}

// Redacted returns the item's values with secrets replaced, for printing.
func Redacted(r *Resource, it Item) map[string]any {
	out := make(map[string]any, len(it.Values))
	for k, v := range it.Values {
		if f, ok := r.Field(k); ok && f.IsSecret() {
			v = strings.Repeat("*", 8)
		}
		out[k] = v
	}
	return out
}
