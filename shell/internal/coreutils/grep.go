package coreutils

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
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

// grepOptions is one grep command line: the flags by long name, the patterns of -e, and the
// context to print around selected lines.
type grepOptions struct {
	f        map[string]bool
	patterns []string
	res      []*regexp.Regexp
	withName bool

	// before and after are -B and -A, -1 when not given; context is -C (or -NUM), which
	// stands in for whichever of the two is not given, in any order.
	before, after, context int
	separator              string // --group-separator, "--" by default
	noSeparator            bool
	used                   bool // a line has been printed, from any file: the next group is separated
}

// contextLength reads a context length as GNU grep does (xstrtoimax): blanks and a sign may
// lead, a value too large is the largest, and a negative one or any other text is refused.
func contextLength(dst *int) func(string) error {
	return func(v string) error {
		s := strings.TrimLeft(v, " \t\n\v\f\r")
		s = strings.TrimPrefix(s, "+")
		if s == "" || strings.Trim(s, "0123456789") != "" {
			return fmt.Errorf("%s: invalid context length argument", v)
		}
		n, err := strconv.Atoi(s)
		if errors.Is(err, strconv.ErrRange) {
			n = math.MaxInt
		}
		*dst = n
		return nil
	}
}

// contextShorthand rewrites grep's -NUM (the same as --context=NUM) into its long form; words
// that are the values of options are left alone.
func contextShorthand(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(out, args[i:]...)
		case a == "-e" || a == "-f" || a == "-m" || a == "-A" || a == "-B" || a == "-C":
			out = append(out, a)
			if i+1 < len(args) {
				i++
				out = append(out, args[i])
			}
			continue
		case len(a) > 1 && a[0] == '-' && strings.Trim(a[1:], "0123456789") == "":
			a = "--context=" + a[1:]
		}
		out = append(out, a)
	}
	return out
}

func (g *grepOptions) table() []builtin.Option {
	t := builtin.Flags("i/ignore-case v/invert-match c/count n/line-number o/only-matching q/quiet silent "+
		"E/extended-regexp F/fixed-strings G/basic-regexp w/word-regexp x/line-regexp l/files-with-matches "+
		"h/no-filename H/with-filename s/no-messages P/perl-regexp a/text", func(_ byte, name string) { g.f[name] = true })
	t = append(t, builtin.Option{Short: 'y', Flag: func() { g.f["ignore-case"] = true }}) // an obsolete -i
	t = append(t, builtin.Refused("r/recursive R f/file m/max-count L/files-without-match z/null-data")...)
	return append(t,
		builtin.Option{Short: 'e', Long: "regexp", Value: builtin.Add(&g.patterns)},
		builtin.Option{Short: 'A', Long: "after-context", Value: contextLength(&g.after)},
		builtin.Option{Short: 'B', Long: "before-context", Value: contextLength(&g.before)},
		builtin.Option{Short: 'C', Long: "context", Value: contextLength(&g.context)},
		builtin.Option{Long: "group-separator", Value: builtin.Str(&g.separator)},
		builtin.Option{Long: "no-group-separator", Flag: builtin.Set(&g.noSeparator)},
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
	g := &grepOptions{f: map[string]bool{}, before: -1, after: -1, context: -1, separator: "--"}
	rest, err := builtin.Parse(builtin.GNU, g.table(), contextShorthand(e.Args[1:]))
	var u *builtin.UsageError
	if errors.As(err, &u) && u.Problem == builtin.Invalid {
		// A bad context length is reported alone, without the usage lines.
		fmt.Fprintf(e.Stderr, "grep: %v\n", u.Err)
		return 2
	}
	if err != nil {
		return grepUsage(e, builtin.GNUMessage("grep", err))
	}
	if g.before < 0 {
		g.before = g.context
	}
	if g.after < 0 {
		g.after = g.context
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

// file greps one input into out and reports whether any line was selected. Around selected
// lines it prints -B and -A lines of context (separated by "-" where a selected line has ":"),
// and a separator line before each group that does not follow the last line printed, in this
// file or, for the first group of a file, in an earlier one; with -o, context lines count as
// printed but show nothing, as in GNU grep.
func (g *grepOptions) file(out *strings.Builder, name string, data []byte) bool {
	label := name
	if name == "-" {
		label = "(standard input)"
	}
	quiet := g.f["quiet"] || g.f["silent"] || g.f["count"] || g.f["files-with-matches"]
	grouped := (g.before >= 0 || g.after >= 0) && !g.noSeparator
	last := -1   // the last line printed in this file
	pending := 0 // lines of after-context still to print
	count := 0
	ls := lines(string(data))
	emit := func(i int, sep string, hits [][]int) {
		if grouped && g.used && i != last+1 {
			out.WriteString(g.separator + "\n")
		}
		g.used, last = true, i
		prefix := ""
		if g.withName {
			prefix += label + sep
		}
		if g.f["line-number"] {
			prefix += strconv.Itoa(i+1) + sep
		}
		switch {
		case !g.f["only-matching"]:
			out.WriteString(prefix + ls[i] + "\n")
		case sep == ":" && !g.f["invert-match"]:
			for _, h := range hits {
				if h[1] > h[0] {
					out.WriteString(prefix + ls[i][h[0]:h[1]] + "\n")
				}
			}
		}
	}
	for i, l := range ls {
		var hits [][]int
		for _, re := range g.res {
			hits = append(hits, re.FindAllStringIndex(l, -1)...)
		}
		if (len(hits) > 0) == g.f["invert-match"] {
			if pending > 0 && !quiet {
				emit(i, "-", nil)
				pending--
			}
			continue
		}
		count++
		if quiet {
			continue
		}
		for j := max(last+1, i-max(g.before, 0)); j < i; j++ {
			emit(j, "-", nil)
		}
		emit(i, ":", hits)
		pending = max(g.after, 0)
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
