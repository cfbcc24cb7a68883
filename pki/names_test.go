package pki

import (
	"math/rand/v2"
	"regexp"
	"testing"
)

// The hand-written name checks accept exactly what the regular
// expressions they replace accept.
func TestNameChecksMatchTheirRegexps(t *testing.T) {
	cases := []struct {
		name string
		re   *regexp.Regexp
		fn   func(string) bool
		seed []string
	}{
		{"validName", regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`), validName,
			[]string{"", "a", ".a", "a.", "a b", "A_-.9", "é", "a\x00", string(make([]byte, 64)), "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}},
		{"validCAPName", regexp.MustCompile(`^CAP-([0-9A-F]{12}|[0-9A-F]{16})$`), validCAPName,
			[]string{"CAP-", "CAP-0123456789AB", "CAP-0123456789ab", "CAP-0123456789ABCDEF", "CAP-0123456789ABC", "cap-0123456789AB", "CAP-0123456789AB\n", "XCAP-0123456789AB"}},
	}
	const alphabet = "CAP-09AFafz._ \x00é"
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range cases {
		inputs := append([]string(nil), c.seed...)
		for range 20000 {
			n := rng.IntN(70)
			b := []byte("CAP-")[:rng.IntN(5)]
			for range n {
				b = append(b, alphabet[rng.IntN(len(alphabet))])
			}
			inputs = append(inputs, string(b))
		}
		for _, in := range inputs {
			if got, want := c.fn(in), c.re.MatchString(in); got != want {
				t.Errorf("%s(%q) = %v, the regexp says %v", c.name, in, got, want)
			}
		}
	}
}
