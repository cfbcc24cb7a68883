package model

import (
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Kind is what a field holds.
type Kind uint8

// Kinds.
const (
	String Kind = iota // free text, Min..Max bytes
	Secret             // text never printed back
	Int                // whole number in Min..Max
	Bool               // yes/no, true/false
	Enum               // one of Enum
	Ref                // the name of an item of resource Ref
	MAC                // a MAC address, canonical lower-case colon form
	Regexp             // a Go regular expression
	Custom             // text checked and canonicalised by Check
)

// Field is one setting of a resource. A field with List set holds a list of
// its kind, written comma-separated in text and as an array in JSON.
type Field struct {
	Key      string
	Kind     Kind
	List     bool
	Min, Max int64
	Enum     []string
	Ref      string
	// Check validates and canonicalises one Custom value.
	Check func(string) (string, error)
	Help  string
}

// FieldError is a bad value, named by its field.
type FieldError struct {
	Resource string
	Field    string
	Value    string
	Reason   string
}

func (e *FieldError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s %s: %s", e.Resource, e.Field, e.Reason)
	}
	return fmt.Sprintf("%s %s=%q: %s", e.Resource, e.Field, e.Value, e.Reason)
}

// Parse turns the text form of a value into its stored form: string, int64,
// bool, or []string / []int64 for lists.
func (f Field) Parse(text string) (any, error) {
	if !f.List {
		return f.parseOne(text)
	}
	var ints []int64
	var strs []string
	for _, part := range strings.Split(text, ",") {
		v, err := f.parseOne(strings.TrimSpace(part))
		if err != nil {
			return nil, err
		}
		switch v := v.(type) {
		case int64:
			ints = append(ints, v)
		case string:
			strs = append(strs, v)
		default:
			return nil, fmt.Errorf("lists of %v are not supported", f.Kind)
		}
	}
	if f.Kind == Int {
		return ints, nil
	}
	return strs, nil
}

func (f Field) parseOne(text string) (any, error) {
	switch f.Kind {
	case String, Secret:
		if int64(len(text)) < f.Min || (f.Max > 0 && int64(len(text)) > f.Max) {
			return nil, fmt.Errorf("want %d to %d bytes, have %d", f.Min, f.Max, len(text))
		}
		if i := controlChar(text); i >= 0 {
			return nil, fmt.Errorf("control character at byte %d (newline, NUL and the like end up in the CAPs' configuration files)", i)
		}
		return text, nil
	case Int:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil || n < f.Min || n > f.Max {
			return nil, fmt.Errorf("want a whole number from %d to %d", f.Min, f.Max)
		}
		return n, nil
	case Bool:
		switch strings.ToLower(text) {
		case "yes", "true":
			return true, nil
		case "no", "false":
			return false, nil
		}
		return nil, fmt.Errorf("want yes or no")
	case Enum:
		for _, e := range f.Enum {
			if strings.EqualFold(text, e) {
				return e, nil
			}
		}
		return nil, fmt.Errorf("want one of %s", strings.Join(f.Enum, ", "))
	case Ref:
		if !validName(text) {
			return nil, fmt.Errorf("not a %s name", f.Ref)
		}
		return text, nil
	case MAC:
		mac, err := net.ParseMAC(text)
		if err != nil || len(mac) != 6 {
			return nil, fmt.Errorf("want a MAC address like 02:00:00:aa:bb:cc")
		}
		return mac.String(), nil
	case Regexp:
		if _, err := regexp.Compile(text); err != nil {
			return nil, fmt.Errorf("bad regular expression: %v", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
		return text, nil
	case Custom:
		return f.Check(text)
	}
	return nil, fmt.Errorf("unknown kind %d", f.Kind)
}

// FromJSON turns a decoded JSON value (decoded with UseNumber) into the
// stored form. Strings are parsed as text, so that every field also takes
// the CLI's text form.
func (f Field) FromJSON(v any) (any, error) {
	switch v := v.(type) {
	case string:
		return f.Parse(v)
	case json.Number:
		if f.List {
			return f.Parse(v.String())
		}
		if f.Kind != Int {
			return nil, fmt.Errorf("want %s, not a number", f.want())
		}
		return f.parseOne(v.String())
	case bool:
		if f.Kind != Bool {
			return nil, fmt.Errorf("want %s, not true/false", f.want())
		}
		return v, nil
	case []any:
		if !f.List {
			return nil, fmt.Errorf("want one value, not a list")
		}
		parts := make([]string, len(v))
		for i, e := range v {
			switch e := e.(type) {
			case string:
				if strings.Contains(e, ",") {
					return nil, fmt.Errorf("list element %q contains a comma", e)
				}
				parts[i] = e
			case json.Number:
				parts[i] = e.String()
			default:
				return nil, fmt.Errorf("list elements must be text or numbers")
			}
		}
		if len(parts) == 0 {
			return nil, fmt.Errorf("empty list: unset the field instead")
		}
		return f.Parse(strings.Join(parts, ","))
	}
	return nil, fmt.Errorf("want %s", f.want())
}

func (f Field) want() string {
	switch {
	case f.List:
		return "a list"
	case f.Kind == Int:
		return "a number"
	case f.Kind == Bool:
		return "true or false"
	}
	return "text"
}

// Format is the text form of a stored value, as the CLI shows and takes it.
func Format(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case bool:
		if v {
			return "yes"
		}
		return "no"
	case []string:
		return strings.Join(v, ",")
	case []int64:
		parts := make([]string, len(v))
		for i, n := range v {
			parts[i] = strconv.FormatInt(n, 10)
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@:-]{0,63}$`)

func validName(s string) bool { return nameRE.MatchString(s) }

var regexps sync.Map // pattern → *regexp.Regexp

// Compiled returns the compiled form of a Regexp field's value, cached; the
// pattern was checked when it was set.
func Compiled(pattern string) *regexp.Regexp {
	if re, ok := regexps.Load(pattern); ok {
		return re.(*regexp.Regexp)
	}
	re := regexp.MustCompile(pattern)
	regexps.Store(pattern, re)
	return re
}

// controlChar returns the index of the first ASCII control character
// (0x00–0x1f, 0x7f) in s, -1 if there is none.
func controlChar(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return i
		}
	}
	return -1
}
