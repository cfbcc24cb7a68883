package cli

import (
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/capstan-wifi/capstan/manager/dataplane"
	"github.com/capstan-wifi/capstan/manager/model"
	"github.com/capstan-wifi/capstan/manager/provision"
)

// modelResource runs `capstan-manager <resource> <verb> …` for a resource
// of the configuration model:
//
//	print [ref] [--json]
//	add key=value … [place-before=ref]
//	set <ref> key=value …     (key= unsets)
//	remove <ref>
//	enable <ref> | disable <ref>
//	move <ref> [destination=ref]
//
// A ref is a name, a position in print order or *ID. Singletons take print
// and set without a ref.
func modelResource(r *model.Resource, args []string, stdout, stderr io.Writer) int {
	keys := make([]string, 0, len(r.Fields))
	for _, f := range r.Fields {
		keys = append(keys, f.Key)
	}
	verbs := map[string][]string{"print": {}, "set": keys}
	if !r.Singleton {
		verbs["add"] = append(slices.Clone(keys), "place-before")
		verbs["remove"] = nil
		verbs["move"] = []string{"destination"}
		if r.HasField("disabled") {
			verbs["enable"], verbs["disable"] = nil, nil
		}
	}
	c, code := parse(r.Name, args, verbs, stdout, stderr)
	if c == nil {
		return code
	}
	base := "/api/v1/" + r.Name
	needRef := func() bool {
		if c.ref == "" && !r.Singleton {
			fmt.Fprintf(stderr, "usage: capstan-manager %s %s <name, number or *ID> ...\n", r.Name, c.verb)
			return false
		}
		return true
	}
	path := base
	if c.ref != "" {
		if r.Singleton {
			fmt.Fprintf(stderr, "capstan-manager %s %s: unexpected argument %q\n", r.Name, c.verb, c.ref)
			return 2
		}
		path = base + "/" + url.PathEscape(c.ref)
	}
	body := make(map[string]any, len(c.params))
	for k, v := range c.params {
		body[k] = v
	}
	var err error
	var out any
	switch c.verb {
	case "print":
		var list []map[string]any
		if c.ref != "" || r.Singleton {
			var one map[string]any
			err = c.call("GET", path, nil, &one)
			list = []map[string]any{one}
		} else {
			err = c.call("GET", path, nil, &list)
		}
		if err == nil && r.Name == "interface" && c.ref == "" {
			list, err = withProvisioned(c, list)
		}
		if err != nil {
			return fail(stderr, err)
		}
		if c.json {
			return c.printJSON(list)
		}
		printItems(stdout, r, list)
		return 0
	case "add":
		if c.ref != "" {
			fmt.Fprintf(stderr, "capstan-manager %s add: unexpected argument %q (add takes key=value only)\n", r.Name, c.ref)
			return 2
		}
		err = c.call("POST", base, body, &out)
	case "set":
		if !needRef() {
			return 2
		}
		if len(body) == 0 {
			fmt.Fprintf(stderr, "usage: capstan-manager %s set %s key=value ...\n", r.Name, orEmpty(c.ref))
			return 2
		}
		err = c.call("PATCH", path, body, &out)
	case "remove":
		if !needRef() {
			return 2
		}
		err = c.call("DELETE", path, nil, &out)
	case "enable", "disable", "move":
		if !needRef() {
			return 2
		}
		err = c.call("POST", path+"/"+c.verb, body, &out)
	}
	if err != nil {
		return fail(stderr, err)
	}
	if c.json {
		return c.printJSON(out)
	}
	if item, ok := out.(map[string]any); ok {
		printItems(stdout, r, []map[string]any{item})
	}
	return 0
}

func orEmpty(s string) string {
	if s == "" {
		return "<ref>"
	}
	return s
}

// withProvisioned adds the running CAPs' dynamic interfaces to the static
// ones, flagged as RouterOS does: D dynamic, R running.
func withProvisioned(c *command, static []map[string]any) ([]map[string]any, error) {
	var prov []provision.Interface
	if err := c.call("GET", "/api/v1/provisioned-interfaces", nil, &prov); err != nil {
		return nil, err
	}
	running := map[string]provision.Interface{}
	for _, p := range prov {
		running[p.Name] = p
	}
	for _, it := range static {
		if p, ok := running[fmt.Sprint(it["name"])]; ok {
			it["running"], it["cap"] = p.Error == "" && !p.Disabled, p.CAP
			if p.Forwarded != nil {
				it["forwarded"], it["tap"] = *p.Forwarded, p.TAP
			}
		}
	}
	for _, p := range prov {
		if p.Static {
			continue
		}
		row := map[string]any{"name": p.Name, "dynamic": true, "running": p.Error == "", "cap": p.CAP,
			"radio-mac": p.RadioMAC, "configuration": p.Configuration}
		if p.Master != "" {
			row["master-interface"] = p.Master
			delete(row, "radio-mac")
		}
		if p.Forwarded != nil {
			row["forwarded"], row["tap"] = *p.Forwarded, p.TAP
		}
		static = append(static, row)
	}
	return static, nil
}

// printItems prints items RouterOS style: number, flags (X disabled,
// D dynamic, R running), then key=value for every set field in schema
// order.
func printItems(w io.Writer, r *model.Resource, items []map[string]any) {
	if r.Singleton {
		for _, f := range r.Fields {
			if v, ok := items[0][f.Key]; ok {
				fmt.Fprintf(w, "%25s: %s\n", f.Key, text(v))
			}
		}
		return
	}
	fmt.Fprintln(w, "Flags: X - disabled, D - dynamic, R - running")
	for i, it := range items {
		flags := ""
		for flag, key := range map[string]string{"X": "disabled", "D": "dynamic", "R": "running"} {
			if b, _ := it[key].(bool); b {
				flags += flag
			}
		}
		flags = sortChars(flags)
		var parts []string
		if cap, ok := it["cap"]; ok {
			parts = append(parts, "cap="+quote(text(cap)))
		}
		for _, f := range r.Fields {
			if v, ok := it[f.Key]; ok && f.Key != "disabled" {
				parts = append(parts, f.Key+"="+quote(text(v)))
			}
		}
		if fc, ok := it["forwarded"].(dataplane.Counters); ok {
			parts = append(parts, fmt.Sprintf("tap=%s rx-packets=%d rx-bytes=%d tx-packets=%d tx-bytes=%d drops=%d",
				quote(fmt.Sprint(it["tap"])), fc.RxPackets, fc.RxBytes, fc.TxPackets, fc.TxBytes, fc.Drops))
		}
		fmt.Fprintf(w, "%2d %-3s %s\n", i, flags, strings.Join(parts, " "))
	}
}

func sortChars(s string) string {
	b := []byte(s)
	slices.Sort(b)
	return string(b)
}

// text is a JSON value in the CLI's text form.
func text(v any) string {
	switch v := v.(type) {
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = text(e)
		}
		return strings.Join(parts, ",")
	case bool:
		return model.Format(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

func quote(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\"'=\\") {
		return strconv.Quote(s)
	}
	return s
}

// modelResourceNames are the configuration model's resources, as CLI
// commands.
func modelResourceNames() []string {
	names := make([]string, 0, len(model.Schema))
	for _, r := range model.Schema {
		names = append(names, r.Name)
	}
	return names
}
