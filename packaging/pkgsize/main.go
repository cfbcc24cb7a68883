// Command pkgsize prints how many bytes of code and data each Go package
// contributes to the file of a binary built with its symbols (`make size`), largest
// first: what to look at when the agent outgrows an AP's flash.
//
//	go run ./packaging/pkgsize [-n ROWS] build/pkg/capstan-agent.syms
package main

import (
	"cmp"
	"debug/elf"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
)

func main() {
	rowsMax := flag.Int("n", 0, "print only the largest n packages (0: all)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: pkgsize [-n ROWS] BINARY")
		os.Exit(2)
	}
	f, err := elf.Open(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "pkgsize:", err)
		os.Exit(1)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pkgsize:", err)
		os.Exit(1)
	}
	sizes := map[string]uint64{}
	for _, s := range syms {
		// Only what the file holds: .bss and .noptrbss cost RAM, not flash.
		if int(s.Section) >= len(f.Sections) || f.Sections[s.Section].Type == elf.SHT_NOBITS {
			continue
		}
		sizes[packageOf(s.Name)] += s.Size
	}
	type row struct {
		pkg  string
		size uint64
	}
	var rows []row
	for p, n := range sizes {
		rows = append(rows, row{p, n})
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Compare(b.size, a.size) })
	if *rowsMax > 0 && len(rows) > *rowsMax {
		rows = rows[:*rowsMax]
	}
	for _, r := range rows {
		fmt.Printf("%10d  %s\n", r.size, r.pkg)
	}
}

// packageOf is the import path of a Go symbol: what precedes the first
// dot after the last slash ("github.com/pion/dtls/v3.(*Conn).Read" is
// github.com/pion/dtls/v3); type and func metadata go under their kind.
func packageOf(name string) string {
	for _, prefix := range []string{"type:", "go:"} {
		if strings.HasPrefix(name, prefix) {
			return prefix + " (metadata)"
		}
	}
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = name[:i] // a generic instantiation belongs to its function's package
	}
	slash := strings.LastIndexByte(name, '/')
	if dot := strings.IndexByte(name[slash+1:], '.'); dot >= 0 {
		return name[:slash+1+dot]
	}
	return name
}
