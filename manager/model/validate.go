package model

import (
	"errors"
	"fmt"
)

// Validate checks the whole configuration: names present and unique,
// references to existing items, each resource's rules, and that every
// configuration and static interface resolves to settings a CAP can run.
// The first problem is returned, naming the item and the field.
func (c *Config) Validate() error {
	for _, r := range Schema {
		seen := map[string]bool{}
		for _, it := range c.items[r.Name] {
			if err := c.validateItem(r, it, seen); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *Config) validateItem(r *Resource, it Item, seen map[string]bool) error {
	where := describe(r, it)
	bad := func(field, format string, a ...any) error {
		return &FieldError{Resource: where, Field: field, Reason: fmt.Sprintf(format, a...)}
	}
	for k, v := range it.Values {
		f, ok := r.Field(k)
		if !ok {
			return bad(k, "unknown field")
		}
		if f.Kind != Ref || f.Ref == "" {
			continue
		}
		names, _ := v.([]string)
		if s, ok := v.(string); ok {
			names = []string{s}
		}
		for _, n := range names {
			if _, ok := c.Named(f.Ref, n); !ok {
				return bad(k, "no %s called %q", f.Ref, n)
			}
		}
	}
	if r.Named {
		name := it.Name()
		if name == "" {
			return bad("name", "required")
		}
		if seen[name] {
			return bad("name", "%q is taken", name)
		}
		seen[name] = true
	}
	switch r.Name {
	case "configuration":
		return c.checkRuns(where, Item{Values: map[string]any{"configuration": it.Name()}})
	case "interface":
		return c.validateInterface(it, bad)
	case "provisioning":
		act := it.String("action")
		if act != "" && act != ActionNone && it.String("master-configuration") == "" {
			return bad("master-configuration", "action %s needs a master-configuration", act)
		}
	case "access-list":
		if it.String("action") == ActionQueryRADIUS && (it.String("radius-server") == "" || it.String("radius-secret") == "") {
			return bad("radius-server", "query-radius needs radius-server and radius-secret")
		}
		if it.String("mac-address-mask") != "" && it.String("mac-address") == "" {
			return bad("mac-address-mask", "set mac-address too")
		}
	}
	return nil
}

func (c *Config) validateInterface(it Item, bad func(string, string, ...any) error) error {
	if m := it.String("master-interface"); m != "" {
		if it.String("radio-mac") != "" {
			return bad("radio-mac", "a slave interface runs on its master's radio")
		}
		master, _ := c.Named("interface", m)
		if master.String("master-interface") != "" {
			return bad("master-interface", "%q is itself a slave", m)
		}
	} else {
		mac := it.String("radio-mac")
		if mac == "" {
			return bad("radio-mac", "a master interface needs the radio's MAC (or set master-interface for a slave)")
		}
		if o, _ := c.InterfaceByRadioMAC(mac); o.ID != it.ID {
			return bad("radio-mac", "%s is bound to interface %q already", mac, o.Name())
		}
	}
	if it.String("configuration") == "" && it.String("configuration.ssid") == "" {
		return nil // an interface without settings runs nothing until given some
	}
	return c.checkRuns(fmt.Sprintf("interface %q", it.Name()), it)
}

// checkRuns resolves iface and checks that its settings can run. A
// configuration without an SSID is a valid partial profile.
func (c *Config) checkRuns(where string, iface Item) error {
	_, err := SettingsOf(c.Resolve(iface), where)
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe
	}
	return err
}
