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

// grepOptions is one grep command line: the flags by long name, and the patterns of -e.
type grepOptions struct {
	f        map[string]bool
	patterns []string
	res      []*regexp.Regexp
	withName bool
}

func (g *grepOptions) table() []builtin.Option {
	t := builtin.Flags("i/ignore-case v/invert-match c/count n/line-number o/only-matching q/quiet silent "+
		"E/extended-regexp F/fixed-strings G/basic-regexp w/word-regexp x/line-regexp l/files-with-matches "+
		"h/no-filename H/with-filename s/no-messages P/perl-regexp a/text", func(_ byte, name string) { g.f[name] = true })
	t = append(t, builtin.Option{Short: 'y', Flag: func() { g.f["ignore-case"] = true }}) // an obsolete -i
	t = append(t, builtin.Refused("r/recursive R f/file A/after-context B/before-context C/context m/max-count L/files-without-match z/null-data")...)
	return append(t,
		builtin.Option{Short: 'e', Long: "regexp", Value: builtin.Add(&g.patterns)},
		builtin.Option{Long: "color", Optional: true, Value: builtin.IgnoreValue}, builtin.Option{Long: "colour", Optional: true, Value: builtin.IgnoreValue},
	)
}

// grepUsage is grep's complaint about its command line: the message, its usage line and the
// hint, status 2.
func grepUsage(e *builtin.Env, msg string) int {
	if msg != "" {
		fmt.Fprintln(e.Stderr, msg)
	}
	fmt.Fprintln(e.Stderr, "Usage: grep [OPTION]... PATTERNS [FILE]...")
	return e.TryHelp(2)
}

func grep(e *builtin.Env) int {
	g := &grepOptions{f: map[string]bool{}}
	rest, err := builtin.Parse(builtin.GNU, g.table(), e.Args[1:])
	if err != nil {
		return grepUsage(e, builtin.GNUMessage("grep", err))
	}
	if len(g.patterns) == 0 {
		if len(rest) == 0 {
			return grepUsage(e, "")
		}
		g.patterns, rest = strings.Split(rest[0], "\n"), rest[1:]
	}
	extended := g.f["extended-regexp"] || g.f["perl-regexp"] || e.Name() == "egrep"
	fixed := g.f["fixed-strings"] || e.Name() == "fgrep"
	for _, p := range g.patterns {
		re, err := compileRegexp(p, extended, fixed, g.f["ignore-case"], g.f["word-regexp"], g.f["line-regexp"])
		if err != nil {
			fmt.Fprintf(e.Stderr, "grep: %v\n", err)
			return 2
		}
		g.res = append(g.res, re)
	}
	g.withName = len(rest) > 1 && !g.f["no-filename"] || g.f["with-filename"]
	quiet := g.f["quiet"] || g.f["silent"]
	matched, status := false, 0
	if len(rest) == 0 {
		rest = []string{"-"}
	}
	var out strings.Builder
	for _, name := range rest {
		data, err := e.ReadFile(name)
		if err != nil {
			if !g.f["no-messages"] {
				e.FileError(name, err)
			}
			status = 2
			continue
		}
		if g.file(&out, name, data) {
			matched = true
			if quiet {
				return 0
			}
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

// file greps one input into out and reports whether any line was selected.
func (g *grepOptions) file(out *strings.Builder, name string, data []byte) bool {
	label := name
	if name == "-" {
		label = "(standard input)"
	}
	count := 0
	for i, l := range lines(string(data)) {
		var hits [][]int
		for _, re := range g.res {
			hits = append(hits, re.FindAllStringIndex(l, -1)...)
		}
		if (len(hits) > 0) == g.f["invert-match"] {
			continue
		}
		count++
		if g.f["quiet"] || g.f["silent"] || g.f["count"] || g.f["files-with-matches"] {
			continue
		}
		prefix := ""
		if g.withName {
			prefix += label + ":"
		}
		if g.f["line-number"] {
			prefix += fmt.Sprintf("%d:", i+1)
		}
		if !g.f["only-matching"] || g.f["invert-match"] {
			out.WriteString(prefix + l + "\n")
			continue
		}
		for _, h := range hits {
			if h[1] > h[0] {
				out.WriteString(prefix + l[h[0]:h[1]] + "\n")
			}
		}
	}
	switch {
	case g.f["files-with-matches"] && count > 0:
		out.WriteString(label + "\n")
	case g.f["count"] && !g.f["files-with-matches"]:
		if g.withName {
			out.WriteString(label + ":")
		}
		fmt.Fprintf(out, "%d\n", count)
	}
	return count > 0
}
