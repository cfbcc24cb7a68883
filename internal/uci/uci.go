// Package uci reads and writes the UCI syntax OpenWrt keeps its settings in
// (/etc/config/*): `config TYPE 'NAME'` sections of `option KEY 'VALUE'` and
// `list KEY 'VALUE'` lines. Sections and options keep their order, so that
// a file rewritten by capstan differs from the original only where capstan
// changed it.
package uci

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

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

// Parse reads a UCI file.
func Parse(r io.Reader) ([]Section, error) {
	var out []Section
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		words, err := splitWords(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if len(words) == 0 {
			continue
		}
		switch words[0] {
		case "config":
			if len(words) < 2 || len(words) > 3 {
				return nil, fmt.Errorf("line %d: want config TYPE ['NAME']", n)
			}
			s := Section{Type: words[1]}
			if len(words) == 3 {
				s.Name = words[2]
			}
			out = append(out, s)
		case "option", "list":
			if len(words) != 3 {
				return nil, fmt.Errorf("line %d: want %s KEY 'VALUE'", n, words[0])
			}
			if len(out) == 0 {
				return nil, fmt.Errorf("line %d: %s before any config section", n, words[0])
			}
			s := &out[len(out)-1]
			if words[0] == "option" {
				s.Set(words[1], words[2])
				continue
			}
			found := false
			for i := range s.Options {
				if s.Options[i].Name == words[1] {
					s.Options[i].Values = append(s.Options[i].Values, words[2])
					s.Options[i].List, found = true, true
				}
			}
			if !found {
				s.Options = append(s.Options, Option{Name: words[1], Values: []string{words[2]}, List: true})
			}
		default:
			return nil, fmt.Errorf("line %d: unknown keyword %q", n, words[0])
		}
	}
	return out, sc.Err()
}

// splitWords splits a line into words, honouring ” and "" quoting.
func splitWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == '#':
			if inWord {
				words = append(words, cur.String())
			}
			return words, nil
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated quote")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// Format writes sections in the layout `uci export` uses.
func Format(sections []Section) []byte {
	var b strings.Builder
	for i, s := range sections {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString("config " + s.Type)
		if s.Name != "" {
			b.WriteString(" " + quote(s.Name))
		}
		b.WriteString("\n")
		for _, o := range s.Options {
			kw := "option"
			if o.List {
				kw = "list"
			}
			for _, v := range o.Values {
				fmt.Fprintf(&b, "\t%s %s %s\n", kw, o.Name, quote(v))
			}
		}
	}
	return []byte(b.String())
}

// quote single-quotes v the way uci does: a ' inside ends the quote, is
// written in double quotes, and the quote starts again.
func quote(v string) string {
	return "'" + strings.ReplaceAll(v, "'", `'"'"'`) + "'"
}
