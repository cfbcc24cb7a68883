package uci

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MaxFileSize bounds what Parse reads: OpenWrt's largest configuration
// files are tens of kilobytes.
const MaxFileSize = 4 << 20

// Parse reads a UCI file as libuci's uci_load does, in its default strict
// mode: commands `package`, `config`, `option` and `list` (or p, c, o, l);
// words made of unquoted, 'single' (nothing escaped, line breaks kept) and
// "double" quoted parts (a backslash takes the next character as it is); a
// backslash before a line break joins the lines; `#` outside quotes ends
// the line; `;` ends a command. A section named again continues the first
// one; `option` replaces an option in its place (an empty value is
// ignored); `list` appends, turning an option into a list. What libuci
// refuses is an error naming the line; libuci's own quirks are kept (a `;`
// right after an unquoted word ends the line), so that capstan never reads
// a file differently from the uci, netifd and hostapd scripts beside it.
//
// The parser works as libuci does, in place on a buffer holding the line
// being read (and the lines a quote or backslash pulls in): arguments are
// unquoted into the buffer itself and ended by a 0 written after them.
func Parse(r io.Reader) ([]Section, error) {
	src, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(src) > MaxFileSize {
		return nil, fmt.Errorf("uci: larger than %d bytes", MaxFileSize)
	}
	if i := bytes.IndexByte(src, 0); i >= 0 {
		// libuci's fgets/strlen reading makes no sense of it either.
		return nil, fmt.Errorf("uci: NUL byte at offset %d", i)
	}
	p := &parser{src: src, cur: -1}
	for len(p.src) > 0 {
		p.pos = 0
		p.getln(0)
		if p.at(0) == 0 {
			continue
		}
		if err := p.parseLine(); err != nil {
			return nil, fmt.Errorf("line %d: %w", p.line, err)
		}
	}
	return p.out, nil
}

type parser struct {
	src    []byte // input not yet read
	buf    []byte // the line buffer; past its end every byte reads 0
	filled int    // libuci's buf_filled
	pos    int
	line   int
	out    []Section
	cur    int // index in out of the section options go to, -1 before any
}

func (p *parser) at(i int) byte {
	if i < len(p.buf) {
		return p.buf[i]
	}
	return 0
}

func (p *parser) c() byte { return p.at(p.pos) }

func (p *parser) set(i int, c byte) {
	if i < len(p.buf) {
		p.buf[i] = c
	}
}

// str is the 0-terminated string at i.
func (p *parser) str(i int) string {
	if i >= len(p.buf) {
		return ""
	}
	b := p.buf[i:]
	if j := bytes.IndexByte(b, 0); j >= 0 {
		b = b[:j]
	}
	return string(b)
}

// getln reads the next line of input into the buffer at offset, as
// libuci's uci_getln: at the end of input the buffer ends at offset.
func (p *parser) getln(offset int) {
	p.buf = p.buf[:offset]
	if len(p.src) == 0 {
		return
	}
	n := bytes.IndexByte(p.src, '\n') + 1
	if n == 0 {
		n = len(p.src)
	} else {
		p.line++
	}
	p.buf = append(p.buf, p.src[:n]...)
	p.src = p.src[n:]
	p.filled = len(p.buf)
}

// space is C's isspace.
func space(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func (p *parser) skipSpace() {
	for p.c() != 0 && space(p.c()) {
		p.pos++
	}
}

func (p *parser) parseLine() error {
	p.skipSpace()
	for {
		word, ok := p.strtok()
		if !ok || word == "" || word[0] == '#' {
			return nil
		}
		cmd := command(word)
		if cmd == "" {
			return errors.New("invalid command")
		}
		// Past the command word and the 0 strtok wrote after it.
		if add := len(p.str(p.pos)) + 1; p.pos+add <= p.filled {
			p.pos += add
		} else {
			return fmt.Errorf("%s without name", cmd)
		}
		var err error
		switch cmd {
		case "package":
			// uci_load reads one package per file and ignores the name.
			if _, err = p.arg(true, packageName); err == nil {
				err = p.assertEOL()
			}
		case "config":
			err = p.config()
		default:
			err = p.option(cmd == "list")
		}
		if err != nil {
			return err
		}
	}
}

// strtok is C's strtok(buf+pos, " \t"): the next word, with a 0 written
// over the separator after it; pos is left where it was.
func (p *parser) strtok() (string, bool) {
	i := p.pos
	for c := p.at(i); c == ' ' || c == '\t'; c = p.at(i) {
		i++
	}
	if p.at(i) == 0 {
		return "", false
	}
	start := i
	for c := p.at(i); c != 0 && c != ' ' && c != '\t'; c = p.at(i) {
		i++
	}
	word := string(p.buf[start:i])
	p.set(i, 0)
	return word, true
}

// command is the command a word names, "" for none.
func command(w string) string {
	for _, c := range []string{"package", "config", "option", "list"} {
		if w == c || w == c[:1] {
			return c
		}
	}
	return ""
}

func (p *parser) config() error {
	ofsType, err := p.arg(true, nil)
	if err != nil {
		return err
	}
	if !validType(p.str(ofsType)) {
		return errors.New("invalid character in type field")
	}
	ofsName, err := p.arg(false, validName)
	if err != nil {
		return err
	}
	if err := p.assertEOL(); err != nil {
		return err
	}
	typ, name := p.str(ofsType), p.str(ofsName)
	if name != "" {
		for i := range p.out {
			if p.out[i].Name == name {
				if p.out[i].Type != typ {
					return errors.New("section of different type overwrites prior section with same name")
				}
				p.cur = i
				return nil
			}
		}
	}
	p.out = append(p.out, Section{Type: typ, Name: name})
	p.cur = len(p.out) - 1
	return nil
}

func (p *parser) option(list bool) error {
	if p.cur < 0 {
		return errors.New("option/list command found before the first section")
	}
	ofsName, err := p.arg(true, validName)
	if err != nil {
		return err
	}
	ofsValue, err := p.arg(false, nil)
	if err != nil {
		return err
	}
	if err := p.assertEOL(); err != nil {
		return err
	}
	name, value := p.str(ofsName), p.str(ofsValue)
	s := &p.out[p.cur]
	if !list {
		if value != "" { // libuci ignores an empty value while loading
			s.Set(name, value)
		}
		return nil
	}
	for i := range s.Options {
		if s.Options[i].Name == name {
			s.Options[i].Values = append(s.Options[i].Values, value)
			s.Options[i].List = true
			return nil
		}
	}
	s.Options = append(s.Options, Option{Name: name, Values: []string{value}, List: true})
	return nil
}

// assertEOL refuses a further argument, as strict libuci does.
func (p *parser) assertEOL() error {
	p.skipSpace()
	ofs, err := p.arg(false, nil)
	if err != nil {
		return err
	}
	if p.str(ofs) != "" {
		return errors.New("too many arguments")
	}
	return nil
}

// arg reads the next argument in place and returns its offset (libuci's
// next_arg); valid, when set, checks a non-empty one.
func (p *parser) arg(required bool, valid func(string) bool) (int, error) {
	p.skipSpace()
	val := p.pos
	if p.c() == ';' {
		p.set(p.pos, 0)
		p.pos++
	} else if err := p.word(val); err != nil {
		return 0, err
	}
	if p.at(val) == 0 {
		if required {
			return val, errors.New("insufficient arguments")
		}
		return val, nil
	}
	if valid != nil && !valid(p.str(val)) {
		return val, errors.New("invalid character in name field")
	}
	return val, nil
}

// addc copies the character at pos to target: unquoting in place.
func (p *parser) addc(target *int) {
	p.set(*target, p.c())
	*target++
	p.pos++
}

// word unquotes one argument into the buffer at target (parse_str).
func (p *parser) word(target int) error {
	next := true
loop:
	for {
		switch p.c() {
		case '\'':
			if err := p.singleQuoted(&target); err != nil {
				return err
			}
		case '"':
			if err := p.doubleQuoted(&target); err != nil {
				return err
			}
		case '#':
			p.set(p.pos, 0)
			break loop
		case 0:
			break loop
		case ';':
			next = false
			break loop
		case '\\':
			if p.backslash() {
				p.addc(&target)
			}
		default:
			p.addc(&target)
		}
		if p.c() == 0 || space(p.c()) {
			break
		}
	}
	if p.c() != 0 && next {
		p.pos++
	}
	p.set(target, 0)
	return nil
}

func (p *parser) singleQuoted(target *int) error {
	p.pos++
	for {
		switch p.c() {
		case '\'':
			p.pos++
			return nil
		case 0:
			p.getln(p.pos)
			if p.c() == 0 {
				return errors.New("EOF with unterminated '")
			}
		default:
			p.addc(target)
		}
	}
}

func (p *parser) doubleQuoted(target *int) error {
	p.pos++
	for {
		switch p.c() {
		case '"':
			p.pos++
			return nil
		case 0:
			p.getln(p.pos)
			if p.c() == 0 {
				return errors.New("EOF with unterminated \"")
			}
		case '\\':
			if p.backslash() {
				p.addc(target)
			}
		default:
			p.addc(target)
		}
	}
}

// backslash moves past a backslash and reports whether the character after
// it is taken as it is; at a line break (or the end of the buffer) it reads
// the next line in its place and reports false.
func (p *parser) backslash() bool {
	p.pos++
	c := p.c()
	if c == 0 || c == '\n' || (c == '\r' && p.at(p.pos+1) == '\n' && p.at(p.pos+2) == 0) {
		p.getln(p.pos)
		return false
	}
	return true
}
