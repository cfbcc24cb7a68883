package tests

import (
	"strings"
	"testing"

	"github.com/capstan-wifi/capstan/manager/controlplane"
	"github.com/capstan-wifi/capstan/manager/model"
)

// configure applies CLI-style lines to the manager's configuration, one
// saved change per line: "<resource> add k=v …", "<resource> set <ref>
// k=v …", "<resource> remove <ref>". Values hold no spaces.
func configure(t testing.TB, srv *controlplane.Server, lines ...string) {
	t.Helper()
	for _, line := range lines {
		if err := configureLine(srv.Store(), line); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	}
}

func configureLine(store *model.Store, line string) error {
	words := strings.Fields(line)
	r, ok := model.Lookup(words[0])
	if !ok {
		return &model.ErrNotFound{Resource: "resource", Ref: words[0]}
	}
	verb, args := words[1], words[2:]
	ref := ""
	if verb != "add" && len(args) > 0 && !strings.Contains(args[0], "=") {
		ref, args = args[0], args[1:]
	}
	raw := map[string]any{}
	dest := ""
	for _, kv := range args {
		if d, ok := strings.CutPrefix(kv, "destination="); ok && verb == "move" {
			dest = d
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		raw[k] = v
	}
	ch, err := model.ParseChange(r, raw)
	if err != nil {
		return err
	}
	_, err = store.Update(func(c *model.Config) error {
		if verb == "add" {
			_, err := c.Add(r.Name, ch, -1)
			return err
		}
		i := 0
		if !r.Singleton {
			var err error
			if i, err = c.Find(r.Name, ref); err != nil {
				return err
			}
		}
		switch verb {
		case "remove":
			return c.Remove(r.Name, i)
		case "move":
			to := len(c.Items(r.Name))
			if dest != "" {
				var err error
				if to, err = c.Find(r.Name, dest); err != nil {
					return err
				}
			}
			c.Move(r.Name, i, to)
			return nil
		}
		c.Set(r.Name, i, ch)
		return nil
	})
	return err
}
