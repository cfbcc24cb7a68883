// Package uci reads and writes the UCI syntax OpenWrt keeps its settings in
// (/etc/config/*): `config TYPE 'NAME'` sections of `option KEY 'VALUE'` and
// `list KEY 'VALUE'` lines. It follows libuci (openwrt/uci file.c) exactly:
// reading takes every quoting and escaping form libuci reads, with its
// merging of repeated sections and options, and refuses what libuci in its
// default strict mode refuses; writing produces the bytes `uci commit`
// writes. Sections and options keep their order, so that a file rewritten
// by capstan differs from the original only where capstan changed it.
package uci

// Option is one option (one value) or list (values in order).
type Option struct {
	Name   string
	Values []string
	List   bool
}

// Section is one `config` block.
type Section struct {
	Type, Name string
	Options    []Option
}

// Get returns an option's first value, "" if unset.
func (s *Section) Get(name string) string {
	for _, o := range s.Options {
		if o.Name == name && len(o.Values) > 0 {
			return o.Values[0]
		}
	}
	return ""
}

// GetList returns all values of an option or list.
func (s *Section) GetList(name string) []string {
	for _, o := range s.Options {
		if o.Name == name {
			return o.Values
		}
	}
	return nil
}

// Set sets an option, keeping its place if it exists; an empty value
// removes it.
func (s *Section) Set(name, value string) {
	for i, o := range s.Options {
		if o.Name == name {
			if value == "" {
				s.Options = append(s.Options[:i], s.Options[i+1:]...)
			} else {
				s.Options[i] = Option{Name: name, Values: []string{value}}
			}
			return
		}
	}
	if value != "" {
		s.Options = append(s.Options, Option{Name: name, Values: []string{value}})
	}
}

// SetList sets a list; no values removes it.
func (s *Section) SetList(name string, values []string) {
	for i, o := range s.Options {
		if o.Name == name {
			if len(values) == 0 {
				s.Options = append(s.Options[:i], s.Options[i+1:]...)
			} else {
				s.Options[i] = Option{Name: name, Values: values, List: true}
			}
			return
		}
	}
	if len(values) > 0 {
		s.Options = append(s.Options, Option{Name: name, Values: values, List: true})
	}
}
