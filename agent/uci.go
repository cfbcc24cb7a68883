package agent

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// uciSection is one `config` block of a UCI file.
type uciSection struct {
	Type, Name string
	Options    map[string][]string // option: one value; list: each value in order
}

// parseUCI reads the UCI syntax OpenWrt uses in /etc/config: `config TYPE
// 'NAME'`, `option KEY 'VALUE'`, `list KEY 'VALUE'`, comments with #.
func parseUCI(r io.Reader) ([]uciSection, error) {
	var out []uciSection
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		words, err := uciWords(sc.Text())
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
			s := uciSection{Type: words[1], Options: map[string][]string{}}
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
				s.Options[words[1]] = []string{words[2]}
			} else {
				s.Options[words[1]] = append(s.Options[words[1]], words[2])
			}
		default:
			return nil, fmt.Errorf("line %d: unknown keyword %q", n, words[0])
		}
	}
	return out, sc.Err()
}

// uciWords splits a line into words, honouring ” and "" quoting.
func uciWords(line string) ([]string, error) {
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
