package coreutils

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/imdsplay/imdsplay/shell/internal/builtin"
)

// breToERE turns a POSIX basic regular expression into the extended syntax Go's regexp reads:
// in a BRE, \( \) \{ \} \| \+ \? are operators and the bare characters are literals.
func breToERE(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			n := s[i+1]
			switch n {
			case '(', ')', '{', '}', '|', '+', '?':
				b.WriteByte(n)
			default:
				b.WriteByte('\\')
				b.WriteByte(n)
			}
			i++
			continue
		}
		switch c {
		case '(', ')', '{', '}', '|', '+', '?':
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

// compileRegexp compiles a grep/sed pattern in basic, extended or fixed-string syntax.
func compileRegexp(pat string, extended, fixed, icase, word, line bool) (*regexp.Regexp, error) {
	switch {
	case fixed:
		pat = regexp.QuoteMeta(pat)
	case !extended:
		pat = breToERE(pat)
	}
	pat = strings.ReplaceAll(pat, `\<`, `\b`)
	pat = strings.ReplaceAll(pat, `\>`, `\b`)
	for cls, re := range map[string]string{"[[:space:]]": `\s`, "[[:digit:]]": `\d`, "[[:alpha:]]": `[a-zA-Z]`, "[[:alnum:]]": `[a-zA-Z0-9]`, "[[:upper:]]": `[A-Z]`, "[[:lower:]]": `[a-z]`} {
		pat = strings.ReplaceAll(pat, cls, re)
	}
	if word {
		pat = `\b(?:` + pat + `)\b`
	}
	if line {
		pat = `^(?:` + pat + `)$`
	}
	if icase {
		pat = "(?i)" + pat
	}
	return regexp.Compile(pat)
}

func grep(e *builtin.Env) int {
	opts, rest, err := builtin.Getopt("grep", e.Args[1:], []builtin.Option{
		{Short: 'i', Long: "ignore-case"}, {Short: 'v', Long: "invert-match"}, {Short: 'c', Long: "count"},
		{Short: 'n', Long: "line-number"}, {Short: 'o', Long: "only-matching"}, {Short: 'q', Long: "quiet"},
		{Long: "silent"}, {Short: 'E', Long: "extended-regexp"}, {Short: 'F', Long: "fixed-strings"},
		{Short: 'G', Long: "basic-regexp"}, {Short: 'w', Long: "word-regexp"}, {Short: 'x', Long: "line-regexp"},
		{Short: 'l', Long: "files-with-matches"}, {Short: 'h', Long: "no-filename"}, {Short: 'H', Long: "with-filename"},
		{Short: 's', Long: "no-messages"}, {Short: 'e', Long: "regexp", Arg: true}, {Short: 'P', Long: "perl-regexp"},
		{Long: "color", OptionalArg: true}, {Long: "colour", OptionalArg: true}, {Short: 'a', Long: "text"},
	})
	if err != nil {
		fmt.Fprintln(e.Stderr, err.Error())
		fmt.Fprintln(e.Stderr, "Usage: grep [OPTION]... PATTERNS [FILE]...")
		fmt.Fprintln(e.Stderr, "Try 'grep --help' for more information.")
		return 2
	}
	f := map[string]bool{}
	var patterns []string
	for _, o := range opts {
		f[o.Key] = true
		if o.Key == "regexp" {
			patterns = append(patterns, o.Value)
		}
	}
	extended := f["extended-regexp"] || f["perl-regexp"] || e.Name() == "egrep"
	fixed := f["fixed-strings"] || e.Name() == "fgrep"
	if len(patterns) == 0 {
		if len(rest) == 0 {
			fmt.Fprintln(e.Stderr, "Usage: grep [OPTION]... PATTERNS [FILE]...")
			fmt.Fprintln(e.Stderr, "Try 'grep --help' for more information.")
			return 2
		}
		patterns, rest = strings.Split(rest[0], "\n"), rest[1:]
	}
	var res []*regexp.Regexp
	for _, p := range patterns {
		re, err := compileRegexp(p, extended, fixed, f["ignore-case"], f["word-regexp"], f["line-regexp"])
		if err != nil {
			fmt.Fprintf(e.Stderr, "grep: %v\n", err)
			return 2
		}
		res = append(res, re)
	}
	withName := len(rest) > 1 && !f["no-filename"] || f["with-filename"]
	quiet := f["quiet"] || f["silent"]
	matched, status := false, 0
	files := rest
	if len(files) == 0 {
		files = []string{"-"}
	}
	var out strings.Builder
	for _, name := range files {
		data, err := e.ReadFile(name)
		if err != nil {
			if !f["no-messages"] {
				e.FileError(name, err)
			}
			status = 2
			continue
		}
		label := name
		if name == "-" {
			label = "(standard input)"
		}
		count := 0
		for i, l := range lines(string(data)) {
			var hits [][]int
			for _, re := range res {
				hits = append(hits, re.FindAllStringIndex(l, -1)...)
			}
			if (len(hits) > 0) == f["invert-match"] {
				continue
			}
			count++
			matched = true
			if quiet {
				return 0
			}
			if f["count"] || f["files-with-matches"] {
				continue
			}
			prefix := ""
			if withName {
				prefix += label + ":"
			}
			if f["line-number"] {
				prefix += fmt.Sprintf("%d:", i+1)
			}
			if f["only-matching"] && !f["invert-match"] {
				for _, h := range hits {
					if h[1] > h[0] {
						out.WriteString(prefix + l[h[0]:h[1]] + "\n")
					}
				}
				continue
			}
			out.WriteString(prefix + l + "\n")
		}
		switch {
		case f["files-with-matches"] && count > 0:
			out.WriteString(label + "\n")
		case f["count"] && !f["files-with-matches"]:
			if withName {
				out.WriteString(label + ":")
			}
			fmt.Fprintf(&out, "%d\n", count)
		}
	}
	e.Stdout.Write([]byte(out.String()))
	if status != 0 && !(matched && quiet) {
		return status
	}
	if !matched {
		return 1
	}
	return 0
}
