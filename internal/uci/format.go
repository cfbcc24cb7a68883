package uci

import (
	"fmt"
	"strings"
)

// Format writes sections byte for byte as `uci commit` does: each section
// after a blank line, `config TYPE 'NAME'` (no name for an anonymous one),
// options and list items as `\toption NAME 'VALUE'`, a ' inside a value as
// '\”, and a blank line at the end. It refuses what libuci could not read
// back the same: a type or name libuci refuses (or a type with a quote,
// backslash, # or ;, which libuci writes unquoted), a NUL in a value, an
// empty option value (libuci deletes such an option), and a section or
// option named twice (libuci merges them).
func Format(sections []Section) ([]byte, error) {
	var b strings.Builder
	names := map[string]bool{}
	for _, s := range sections {
		if !validType(s.Type) || strings.ContainsAny(s.Type, `'"\#;`) {
			return nil, fmt.Errorf("uci: section type %q: want printable ASCII without spaces, quotes, \\, # or ;", s.Type)
		}
		if s.Name != "" {
			if !validName(s.Name) {
				return nil, fmt.Errorf("uci: section name %q: want letters, digits and _", s.Name)
			}
			if names[s.Name] {
				return nil, fmt.Errorf("uci: section %q twice", s.Name)
			}
			names[s.Name] = true
		}
		b.WriteString("\nconfig " + s.Type)
		if s.Name != "" {
			b.WriteString(" '" + s.Name + "'")
		}
		b.WriteString("\n")
		opts := map[string]bool{}
		for _, o := range s.Options {
			if !validName(o.Name) {
				return nil, fmt.Errorf("uci: option name %q in section %s: want letters, digits and _", o.Name, s.label())
			}
			if opts[o.Name] {
				return nil, fmt.Errorf("uci: option %q twice in section %s", o.Name, s.label())
			}
			opts[o.Name] = true
			kw := "option"
			if o.List {
				kw = "list"
			} else if len(o.Values) != 1 || o.Values[0] == "" {
				return nil, fmt.Errorf("uci: option %q in section %s: want one non-empty value", o.Name, s.label())
			}
			for _, v := range o.Values {
				if strings.IndexByte(v, 0) >= 0 {
					return nil, fmt.Errorf("uci: option %q in section %s: NUL in value", o.Name, s.label())
				}
				b.WriteString("\t" + kw + " " + o.Name + " " + Quote(v) + "\n")
			}
		}
	}
	b.WriteString("\n")
	return []byte(b.String()), nil
}

func (s *Section) label() string {
	if s.Name != "" {
		return s.Name
	}
	return "of type " + s.Type
}

// Quote single-quotes v as libuci's uci_escape does: a ' inside ends the
// quote, is written escaped, and the quote starts again ('\”).
func Quote(v string) string {
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// validName is libuci's uci_validate_name: letters, digits and _.
func validName(s string) bool { return validStr(s, true, false) }

// validType is libuci's uci_validate_type: printable ASCII, no space.
func validType(s string) bool { return validStr(s, false, false) }

// packageName is what libuci accepts after `package` in a file: a name
// that may also hold -.
func packageName(s string) bool { return validStr(s, true, true) }

func validStr(s string, name, pkg bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
		case c == '-' && pkg:
		case name || c < 33 || c > 126:
			return false
		}
	}
	return true
}
