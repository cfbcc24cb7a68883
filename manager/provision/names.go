package provision

import (
	"fmt"
	"strings"

	"github.com/capstan-wifi/capstan/manager/model"
)

// formatName expands the rule's name-format (%I identity, %C common name,
// %R radio MAC without separators, %% a percent sign) after its
// name-prefix. Without a format the name is the prefix ("cap" by default)
// and numbered is true: cap1, cap2, as CAPsMAN names them.
func formatName(rule model.Item, cap CAP, r Radio) (name string, numbered bool) {
	prefix := rule.String("name-prefix")
	format := rule.String("name-format")
	if format == "" {
		if prefix == "" {
			prefix = "cap"
		}
		return prefix, true
	}
	var b strings.Builder
	b.WriteString(prefix)
	for i := 0; i < len(format); i++ {
		if format[i] != '%' || i+1 == len(format) {
			b.WriteByte(format[i])
			continue
		}
		i++
		switch format[i] {
		case 'I':
			b.WriteString(cap.Identity)
		case 'C':
			b.WriteString(cap.CommonName)
		case 'R':
			b.WriteString(strings.ReplaceAll(r.MAC, ":", ""))
		default:
			b.WriteByte(format[i])
		}
	}
	return sanitize(b.String()), false
}

// sanitize makes s a valid item name: characters names cannot hold become
// '-', and it starts with a letter or digit.
func sanitize(s string) string {
	out := []byte(s)
	for i, c := range out {
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || strings.IndexByte("._@:-", c) < 0) {
			out[i] = '-'
		}
	}
	if len(out) == 0 {
		return "cap"
	}
	if out[0] == '-' {
		out[0] = 'x'
	}
	return string(out[:min(len(out), 56)])
}

// uniqueName returns the first free name: base followed by from,
// from+1, … when numbered (from is at least 1 and no free number lies
// below it), else base, then base-2, base-3, ….
func uniqueName(base string, numbered bool, from int, taken func(string) bool) string {
	if numbered {
		for n := max(from, 1); ; n++ {
			if name := fmt.Sprintf("%s%d", base, n); !taken(name) {
				return name
			}
		}
	}
	if !taken(base) {
		return base
	}
	for n := 2; ; n++ {
		if name := fmt.Sprintf("%s-%d", base, n); !taken(name) {
			return name
		}
	}
}

// SplitNumbered splits a numbered name into its base and number: "cap12"
// is ("cap", 12); ok is false for a name without a trailing number.
func SplitNumbered(name string) (base string, n int, ok bool) {
	i := len(name)
	for i > 0 && name[i-1] >= '0' && name[i-1] <= '9' {
		i--
	}
	if i == len(name) || len(name)-i > 9 || name[i] == '0' {
		return "", 0, false
	}
	for _, c := range name[i:] {
		n = n*10 + int(c-'0')
	}
	return name[:i], n, true
}
