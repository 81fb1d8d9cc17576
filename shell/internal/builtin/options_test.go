package builtin

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestParse pins each syntax's grammar: what the options recorded, the operands, and the
// problem reported. GNU's wording is checked against recordings of coreutils in
// ../coreutils/testdata; curl's, jq's and OpenSSL's in their packages.
func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name string
		syn  Syntax
		args string
		want string // the setters' log, then "| operands", or "error: problem word name"
	}{
		{"ok/gnu-cluster-and-attached", GNU, "-ab -n5 x", "a b n=5 | x"},
		{"ok/gnu-value-in-next-word", GNU, "-n 5 --lines 6", "n=5 n=6 |"},
		{"ok/gnu-long-equals", GNU, "--lines=7", "n=7 |"},
		{"ok/gnu-abbreviation", GNU, "--li=8 --als", "n=8 also |"},
		{"ok/gnu-exact-beats-abbreviation", GNU, "--all", "a |"},
		{"ok/gnu-permutes", GNU, "x -a y", "a | x y"},
		{"ok/gnu-double-dash-ends", GNU, "-a -- -b", "a | -b"},
		{"ok/gnu-lone-dash-is-operand", GNU, "- -a", "a | -"},
		{"ok/gnu-optional-attached", GNU, "--wrap=0 --wrap -w3", "w=0 w= w=3 |"},
		{"fail/gnu-unknown-short", GNU, "-az", "error: 1 -az -z"},
		{"fail/gnu-unknown-long", GNU, "--bogus=1", "error: 1 --bogus=1 --bogus=1"},
		{"fail/gnu-ambiguous", GNU, "--al", "error: 2 --al --al"},
		{"fail/gnu-missing-value", GNU, "-n", "error: 3 -n -n"},
		{"fail/gnu-missing-long-value", GNU, "--li", "error: 3 --li --lines"},
		{"fail/gnu-value-for-flag", GNU, "--all=x", "error: 4 --all=x --all"},
		{"fail/gnu-setter-refuses", GNU, "-n bad", "error: 6 -n -n"},
		{"fail/gnu-unsupported", GNU, "-R", "error: 7 -R -R"},
		{"ok/curl-no-equals-form", Curl, "--lines 5", "n=5 |"},
		{"fail/curl-equals-is-part-of-the-name", Curl, "--lines=5", "error: 1 --lines=5 --lines=5"},
		{"ok/curl-negated-flag", Curl, "--no-all -a", "a |"},
		{"fail/curl-negated-value", Curl, "--no-lines", "error: 5 --no-lines --no-lines"},
		{"fail/curl-no-abbreviation", Curl, "--lin 5", "error: 1 --lin --lin"},
		{"ok/openssl-single-dash", OpenSSL, "-lines 5 --all -lines=6", "n=5 a n=6 |"},
		{"ok/openssl-stops-at-operand", OpenSSL, "-all x -lines 5", "a | x -lines 5"},
		{"fail/openssl-no-clusters", OpenSSL, "-ab", "error: 1 -ab -ab"},
		{"ok/jq-pair", JQ, "--arg k v -a", "arg=k,v a |"},
		{"fail/jq-pair-short", JQ, "--arg k", "error: 3 --arg --arg"},
		{"ok/posix-stops-at-operand", POSIX, "-a x -b", "a | x -b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log []string
			set := func(name string) func(string) error {
				return func(v string) error {
					if v == "bad" {
						return errors.New("bad value")
					}
					log = append(log, name+"="+v)
					return nil
				}
			}
			flag := func(name string) func() { return func() { log = append(log, name) } }
			table := []Option{
				{Short: 'a', Long: "all", Flag: flag("a")}, {Short: 'b', Flag: flag("b")},
				{Long: "also", Flag: flag("also")},
				{Short: 'n', Long: "lines", Value: set("n")}, {Short: 'w', Long: "wrap", Optional: true, Value: set("w")},
				{Long: "arg", Pair: func(a, b string) error { log = append(log, "arg="+a+","+b); return nil }},
				{Short: 'R', Long: "recursive", Unsupported: true},
			}
			ops, err := Parse(tc.syn, table, strings.Fields(tc.args))
			got := strings.TrimSpace(strings.Join(log, " ") + " | " + strings.Join(ops, " "))
			if u, ok := err.(*UsageError); ok {
				got = fmt.Sprintf("error: %d %s %s", u.Problem, u.Word, u.Name)
			} else if err != nil {
				got = "error: " + err.Error()
			}
			if got != tc.want {
				t.Errorf("got %q; want %q", got, tc.want)
			}
		})
	}
}
