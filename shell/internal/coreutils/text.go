package coreutils

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/imdsplay/imdsplay/shell/internal/builtin"
)

// span is one range of a cut list, 1-based and inclusive; hi 0 means "to the end".
type span struct{ lo, hi int }

func parseList(e *builtin.Env, list, what string) ([]span, bool) {
	var out []span
	for _, part := range strings.Split(list, ",") {
		lo, hi := 0, 0
		var err error
		switch {
		case part == "" || part == "-":
			fmt.Fprintf(e.Stderr, "cut: invalid range with no endpoint: -\n")
			return nil, false
		case strings.HasPrefix(part, "-"):
			lo = 1
			hi, err = strconv.Atoi(part[1:])
		case strings.HasSuffix(part, "-"):
			lo, err = strconv.Atoi(part[:len(part)-1])
		case strings.Contains(part, "-"):
			a, b, _ := strings.Cut(part, "-")
			lo, err = strconv.Atoi(a)
			if err == nil {
				hi, err = strconv.Atoi(b)
			}
			if err == nil && hi < lo {
				fmt.Fprintln(e.Stderr, "cut: invalid decreasing range")
				fmt.Fprintln(e.Stderr, "Try 'cut --help' for more information.")
				return nil, false
			}
		default:
			lo, err = strconv.Atoi(part)
			hi = lo
		}
		if err != nil {
			fmt.Fprintf(e.Stderr, "cut: invalid %s value '%s'\n", what, part)
			fmt.Fprintln(e.Stderr, "Try 'cut --help' for more information.")
			return nil, false
		}
		if lo == 0 {
			fmt.Fprintf(e.Stderr, "cut: %ss are numbered from 1\n", what)
			fmt.Fprintln(e.Stderr, "Try 'cut --help' for more information.")
			return nil, false
		}
		out = append(out, span{lo, hi})
	}
	return out, true
}

func (l spanList) has(i int) bool {
	for _, s := range l {
		if i >= s.lo && (s.hi == 0 || i <= s.hi) {
			return true
		}
	}
	return false
}

type spanList []span

// cutOptions is one cut command line.
type cutOptions struct {
	delim, mode, list, outDelim string
	hasDelim, hasOutDelim, only bool
	complement                  bool
}

// list returns the setter of -f, -c and -b, which exclude one another.
func (c *cutOptions) listOf(mode string) func(string) error {
	return func(v string) error {
		if c.mode != "" {
			return builtin.Hinted(errors.New("only one list may be specified"))
		}
		c.mode, c.list = mode, v
		return nil
	}
}

func cut(e *builtin.Env) int {
	c := cutOptions{delim: "\t"}
	files, err := builtin.Parse(builtin.GNU, append([]builtin.Option{
		{Short: 'd', Long: "delimiter", Value: func(v string) error { c.delim, c.hasDelim = v, true; return nil }},
		{Short: 'f', Long: "fields", Value: c.listOf("fields")},
		{Short: 'c', Long: "characters", Value: c.listOf("characters")},
		{Short: 'b', Long: "bytes", Value: c.listOf("bytes")},
		{Short: 's', Long: "only-delimited", Flag: builtin.Set(&c.only)},
		{Long: "complement", Flag: builtin.Set(&c.complement)},
		{Long: "output-delimiter", Value: func(v string) error { c.outDelim, c.hasOutDelim = v, true; return nil }},
		{Short: 'n', Flag: builtin.Ignore},
	}, builtin.Refused("z/zero-terminated")...), e.Args[1:])
	if err != nil {
		return e.Usage(err, 1)
	}
	switch {
	case c.mode == "":
		return e.UsageErrorf(1, "you must specify a list of bytes, characters, or fields")
	case c.hasDelim && c.mode != "fields":
		return e.UsageErrorf(1, "an input delimiter may be specified only when operating on fields")
	case utf8.RuneCountInString(c.delim) != 1:
		return e.UsageErrorf(1, "the delimiter must be a single character")
	}
	what := map[string]string{"fields": "field", "characters": "byte/character", "bytes": "byte/character"}[c.mode]
	spans, ok := parseList(e, c.list, what)
	if !ok {
		return 1
	}
	if !c.hasOutDelim {
		c.outDelim = c.delim
		if c.mode != "fields" {
			c.outDelim = ""
		}
	}
	return inputs(e, files, func(_ string, data []byte) bool {
		var b strings.Builder
		for _, line := range lines(string(data)) {
			c.line(&b, line, spanList(spans))
		}
		_, err := e.Stdout.Write([]byte(b.String()))
		return err == nil
	})
}

// line writes what cut keeps of one line.
func (c *cutOptions) line(b *strings.Builder, line string, sel spanList) {
	var parts []string
	if c.mode != "fields" {
		for i, ch := range []byte(line) {
			if sel.has(i+1) != c.complement {
				parts = append(parts, string(ch))
			}
		}
		b.WriteString(strings.Join(parts, c.outDelim) + "\n")
		return
	}
	if !strings.Contains(line, c.delim) {
		if !c.only {
			b.WriteString(line + "\n")
		}
		return
	}
	for i, f := range strings.Split(line, c.delim) {
		if sel.has(i+1) != c.complement {
			parts = append(parts, f)
		}
	}
	b.WriteString(strings.Join(parts, c.outDelim) + "\n")
}

// trUnescape reads the character at s[i], a backslash escape included, and returns it with the
// index after it.
func trUnescape(s string, i int) (byte, int) {
	if s[i] != '\\' || i+1 >= len(s) {
		return s[i], i + 1
	}
	c := s[i+1]
	if j := strings.IndexByte("ntrabfv\\", c); j >= 0 {
		return "\n\t\r\a\b\f\v\\"[j], i + 2
	}
	if c >= '0' && c <= '7' {
		j, v := i+1, 0
		for j < len(s) && j < i+4 && s[j] >= '0' && s[j] <= '7' {
			v = v*8 + int(s[j]-'0')
			j++
		}
		return byte(v), j
	}
	return c, i + 2
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// inClass reports whether c is in tr's [:name:] class (the C locale); ok is false for a name
// that is no class.
func inClass(name string, c byte) (in, ok bool) {
	switch name {
	case "alpha":
		return isAlpha(c), true
	case "digit":
		return isDigit(c), true
	case "alnum":
		return isAlpha(c) || isDigit(c), true
	case "upper":
		return c >= 'A' && c <= 'Z', true
	case "lower":
		return c >= 'a' && c <= 'z', true
	case "space":
		return c == ' ' || c >= '\t' && c <= '\r', true
	case "blank":
		return c == ' ' || c == '\t', true
	case "punct":
		return c > ' ' && c < 127 && !isAlpha(c) && !isDigit(c), true
	case "cntrl":
		return c < ' ' || c == 127, true
	case "print":
		return c >= ' ' && c < 127, true
	case "graph":
		return c > ' ' && c < 127, true
	case "xdigit":
		return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F', true
	}
	return false, false
}

// trSet expands a tr SET operand into bytes.
func trSet(s string) ([]byte, error) {
	var out []byte
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], "[:") {
			if j := strings.Index(s[i:], ":]"); j > 2 {
				name := s[i+2 : i+j]
				if _, ok := inClass(name, 0); !ok {
					return nil, fmt.Errorf("invalid character class '%s'", name)
				}
				for c := 0; c < 256; c++ {
					if in, _ := inClass(name, byte(c)); in {
						out = append(out, byte(c))
					}
				}
				i += j + 2
				continue
			}
		}
		c, next := trUnescape(s, i)
		if next < len(s)-1 && s[next] == '-' {
			hi, after := trUnescape(s, next+1)
			if hi < c {
				return nil, fmt.Errorf("range-endpoints of '%c-%c' are in reverse collating sequence order", c, hi)
			}
			for x := int(c); x <= int(hi); x++ {
				out = append(out, byte(x))
			}
			i = after
			continue
		}
		out = append(out, c)
		i = next
	}
	return out, nil
}

// trOptions is one tr command line.
type trOptions struct{ del, squeeze, compl bool }

func tr(e *builtin.Env) int {
	var o trOptions
	sets, err := builtin.Parse(builtin.GNU, append([]builtin.Option{
		{Short: 'd', Long: "delete", Flag: builtin.Set(&o.del)}, {Short: 's', Long: "squeeze-repeats", Flag: builtin.Set(&o.squeeze)},
		{Short: 'c', Long: "complement", Flag: builtin.Set(&o.compl)}, {Short: 'C', Flag: builtin.Set(&o.compl)},
	}, builtin.Refused("t/truncate-set1")...), e.Args[1:])
	if err != nil {
		return e.Usage(err, 1)
	}
	want := 2
	if o.del && !o.squeeze || o.squeeze && !o.del && len(sets) == 1 {
		want = 1
	}
	switch {
	case len(sets) == 0:
		return e.UsageErrorf(1, "missing operand")
	case len(sets) < want:
		e.Errorf("missing operand after '%s'", sets[len(sets)-1])
		fmt.Fprintln(e.Stderr, "Two strings must be given when translating.")
		return e.TryHelp(1)
	case len(sets) > want && !(o.del && o.squeeze):
		e.Errorf("extra operand '%s'", sets[want])
		if o.del && want == 1 {
			fmt.Fprintln(e.Stderr, "Only one string may be given when deleting without squeezing repeats.")
		}
		return e.TryHelp(1)
	}
	s1, err := trSet(sets[0])
	var s2 []byte
	if err == nil && len(sets) > 1 {
		s2, err = trSet(sets[1])
	}
	if err != nil {
		e.Errorf("%v", err)
		return 1
	}
	data, _ := e.ReadStdin()
	e.Stdout.Write(o.translate(data, s1, s2, len(sets) > 1))
	return 0
}

// translate deletes, maps and squeezes data with the expanded sets.
func (o trOptions) translate(data, s1, s2 []byte, two bool) []byte {
	var in1 [256]bool
	for _, c := range s1 {
		in1[c] = true
	}
	if o.compl {
		s1 = s1[:0]
		for c := range in1 {
			if in1[c] = !in1[c]; in1[c] {
				s1 = append(s1, byte(c))
			}
		}
	}
	var mapping [256]byte
	for i := range mapping {
		mapping[i] = byte(i)
	}
	if !o.del && len(s2) > 0 {
		for i, c := range s1 {
			mapping[c] = s2[min(i, len(s2)-1)]
		}
	}
	var sq [256]bool
	sqSet := s1
	if two {
		sqSet = s2
	}
	for _, c := range sqSet {
		sq[c] = true
	}
	out := make([]byte, 0, len(data))
	last := -1
	for _, c := range data {
		if o.del && in1[c] {
			continue
		}
		t := mapping[c]
		if o.squeeze && sq[t] && int(t) == last {
			continue
		}
		out = append(out, t)
		last = int(t)
	}
	return out
}

// countArg parses head/tail's -n/-c values, with the "+N" and "-N" forms.
func countArg(s string) (n int, plus, minus bool, ok bool) {
	switch {
	case strings.HasPrefix(s, "+"):
		plus, s = true, s[1:]
	case strings.HasPrefix(s, "-"):
		minus, s = true, s[1:]
	}
	mult := 1
	for suf, m := range map[string]int{"K": 1024, "k": 1000, "M": 1 << 20, "b": 512} {
		if strings.HasSuffix(s, suf) {
			s, mult = strings.TrimSuffix(s, suf), m
		}
	}
	n, err := strconv.Atoi(s)
	return n * mult, plus, minus, err == nil && n >= 0
}

// numericShorthand rewrites head -5 / tail -5 / tail +5 into -n forms.
func numericShorthand(args []string) []string {
	out := slices.Clone(args)
	for i, a := range out {
		if i > 0 && strings.Contains(" -n -c --lines --bytes ", " "+args[i-1]+" ") {
			continue
		}
		if len(a) > 1 && (a[0] == '-' || a[0] == '+') && a[1] >= '0' && a[1] <= '9' {
			if _, err := strconv.Atoi(a[1:]); err == nil {
				if a[0] == '-' {
					out[i] = "-n" + a[1:]
				} else {
					out[i] = "-n+" + a[1:]
				}
			}
		}
	}
	return out
}

// headOptions is one head or tail command line.
type headOptions struct {
	isHead, bytes, plus, minus, quiet, verbose bool
	n                                          int
}

// count returns the setter of -n (bytes false) and -c (bytes true).
func (h *headOptions) count(bytes bool) func(string) error {
	return func(v string) error {
		var ok bool
		if h.n, h.plus, h.minus, ok = countArg(v); !ok {
			what := "lines"
			if bytes {
				what = "bytes"
			}
			return fmt.Errorf("invalid number of %s: '%s'", what, v)
		}
		h.bytes = bytes
		return nil
	}
}

func headTail(e *builtin.Env, isHead bool) int {
	h := headOptions{isHead: isHead, n: 10}
	files, err := builtin.Parse(builtin.GNU, append([]builtin.Option{
		{Short: 'n', Long: "lines", Value: h.count(false)}, {Short: 'c', Long: "bytes", Value: h.count(true)},
		{Short: 'q', Long: "quiet", Flag: builtin.Set(&h.quiet)}, {Long: "silent", Flag: builtin.Set(&h.quiet)},
		{Short: 'v', Long: "verbose", Flag: builtin.Set(&h.verbose)},
	}, builtin.Refused("f/follow z/zero-terminated")...), numericShorthand(e.Args[1:]))
	if err != nil {
		return e.Usage(err, 1)
	}
	headers := h.verbose || len(files) > 1 && !h.quiet
	if isHead && !h.minus && !headers && (len(files) == 0 || len(files) == 1 && files[0] == "-") {
		return h.stream(e)
	}
	first := true
	return inputs(e, files, func(fname string, data []byte) bool {
		if headers {
			if !first {
				e.Stdout.Write([]byte("\n"))
			}
			if fname == "-" {
				fname = "standard input"
			}
			fmt.Fprintf(e.Stdout, "==> %s <==\n", fname)
		}
		first = false
		_, err := e.Stdout.Write(h.cut(data))
		return err == nil
	})
}

// stream is head on standard input: it stops reading once it has enough, so that
// `yes | head -n 1` ends.
func (h *headOptions) stream(e *builtin.Env) int {
	if h.bytes {
		io.CopyN(e.Stdout, e.Lines(), int64(h.n))
		return 0
	}
	r := e.Lines()
	for i := 0; i < h.n; i++ {
		line, err := r.ReadString('\n')
		e.Stdout.Write([]byte(line))
		if err != nil {
			break
		}
	}
	return 0
}

// cut returns the part of data that head or tail prints.
func (h *headOptions) cut(data []byte) []byte {
	if h.bytes {
		return pick(data, h.isHead, h.minus, h.plus, h.n)
	}
	return []byte(strings.Join(pick(splitKeep(string(data)), h.isHead, h.minus, h.plus, h.n), ""))
}

// pick selects head's first n (or all but the last n) and tail's last n (or from the nth on).
func pick[T any](s []T, isHead, minus, plus bool, n int) []T {
	switch {
	case isHead && minus:
		return s[:max(0, len(s)-n)]
	case isHead:
		return s[:min(n, len(s))]
	case plus:
		return s[min(max(n-1, 0), len(s)):]
	}
	return s[max(0, len(s)-n):]
}

func head(e *builtin.Env) int { return headTail(e, true) }
func tail(e *builtin.Env) int { return headTail(e, false) }

// wcOrder is the order in which wc prints its counts.
var wcOrder = []string{"lines", "words", "chars", "bytes", "max-line-length"}

func wc(e *builtin.Env) int {
	show := map[string]bool{}
	table := append(builtin.Flags("l/lines w/words m/chars c/bytes L/max-line-length", func(_ byte, k string) { show[k] = true }),
		builtin.Refused("files0-from")...)
	files, err := builtin.Parse(builtin.GNU, table, e.Args[1:])
	if err != nil {
		return e.Usage(err, 1)
	}
	if len(show) == 0 {
		show = map[string]bool{"lines": true, "words": true, "bytes": true}
	}
	type row struct {
		counts map[string]int
		name   string
	}
	var rows []row
	total := map[string]int{}
	status := inputs(e, files, func(fname string, data []byte) bool {
		c := wcCounts(data)
		for k, v := range c {
			if k == "max-line-length" {
				total[k] = max(total[k], v)
			} else {
				total[k] += v
			}
		}
		if fname == "-" && len(files) == 0 {
			fname = ""
		}
		rows = append(rows, row{c, fname})
		return true
	})
	if len(rows) > 1 {
		rows = append(rows, row{total, "total"})
	}
	// GNU wc pads to the width of the largest count it may print; reading only standard input
	// it cannot know that and uses 7, unless a single count is asked for.
	width := 1
	stdinOnly := len(files) == 0 || slices.Contains(files, "-")
	if stdinOnly && len(show) > 1 {
		width = 7
	} else if len(show) > 1 || len(rows) > 1 {
		width = len(strconv.Itoa(total["bytes"]))
	}
	var b strings.Builder
	for _, r := range rows {
		var parts []string
		for _, k := range wcOrder {
			if show[k] {
				parts = append(parts, fmt.Sprintf("%*d", width, r.counts[k]))
			}
		}
		if r.name != "" {
			parts = append(parts, r.name)
		}
		b.WriteString(strings.Join(parts, " ") + "\n")
	}
	e.Stdout.Write([]byte(b.String()))
	return status
}

// wcCounts counts one input.
func wcCounts(data []byte) map[string]int {
	c := map[string]int{
		"lines": bytes.Count(data, []byte("\n")),
		"words": countWords(data),
		"bytes": len(data),
		"chars": utf8.RuneCount(data),
	}
	for rest := data; len(rest) > 0; {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		c["max-line-length"] = max(c["max-line-length"], utf8.RuneCount(line))
	}
	return c
}

// countWords counts what strings.Fields would return, without making the strings: wc on a
// large input would otherwise hold a string header for every word.
func countWords(b []byte) int {
	n, in := 0, false
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		switch {
		case unicode.IsSpace(r):
			in = false
		case !in:
			in, n = true, n+1
		}
	}
	return n
}

func uniq(e *builtin.Env) int {
	f := map[string]bool{}
	table := append(builtin.Flags("c/count d/repeated u/unique i/ignore-case", func(_ byte, k string) { f[k] = true }),
		builtin.Refused("f/skip-fields s/skip-chars w/check-chars")...)
	files, err := builtin.Parse(builtin.GNU, table, e.Args[1:])
	if err != nil {
		return e.Usage(err, 1)
	}
	var output string
	switch {
	case len(files) > 2:
		return e.UsageErrorf(1, "extra operand '%s'", files[2])
	case len(files) == 2:
		files, output = files[:1], files[1]
	}
	return inputs(e, files, func(_ string, data []byte) bool {
		ls := lines(string(data))
		var b strings.Builder
		for i := 0; i < len(ls); {
			j := i + 1
			for j < len(ls) && (ls[j] == ls[i] || f["ignore-case"] && strings.EqualFold(ls[j], ls[i])) {
				j++
			}
			n := j - i
			if (!f["repeated"] || n > 1) && (!f["unique"] || n == 1) {
				if f["count"] {
					fmt.Fprintf(&b, "%7d %s\n", n, ls[i])
				} else {
					b.WriteString(ls[i] + "\n")
				}
			}
			i = j
		}
		if output != "" {
			if err := e.WriteFile(output, []byte(b.String()), 0o644); err != nil {
				e.FileError(output, err)
				return false
			}
			return true
		}
		_, err := e.Stdout.Write([]byte(b.String()))
		return err == nil
	})
}

func rev(e *builtin.Env) int {
	return inputs(e, e.Args[1:], func(_ string, data []byte) bool {
		var b strings.Builder
		for _, l := range lines(string(data)) {
			r := []rune(l)
			slices.Reverse(r)
			b.WriteString(string(r) + "\n")
		}
		_, err := e.Stdout.Write([]byte(b.String()))
		return err == nil
	})
}

func nl(e *builtin.Env) int {
	n := 0
	return inputs(e, e.Args[1:], func(_ string, data []byte) bool {
		var b strings.Builder
		for _, l := range lines(string(data)) {
			if strings.TrimSpace(l) == "" {
				b.WriteString("       " + l + "\n")
				continue
			}
			n++
			fmt.Fprintf(&b, "%6d\t%s\n", n, l)
		}
		_, err := e.Stdout.Write([]byte(b.String()))
		return err == nil
	})
}

func yes(e *builtin.Env) int {
	s := "y"
	if len(e.Args) > 1 {
		s = strings.Join(e.Args[1:], " ")
	}
	line := []byte(strings.Repeat(s+"\n", 64))
	for !e.Cancelled() {
		if _, err := e.Stdout.Write(line); err != nil {
			return 1
		}
	}
	return 130
}

func seq(e *builtin.Env) int {
	sep := "\n"
	args, err := builtin.Parse(builtin.GNU, append([]builtin.Option{
		{Short: 's', Long: "separator", Value: builtin.Str(&sep)},
	}, builtin.Refused("f/format w/equal-width")...), negativeOperands(e.Args[1:]))
	if err != nil {
		return e.Usage(err, 1)
	}
	nums := make([]float64, len(args))
	for i, a := range args {
		v, err := strconv.ParseFloat(a, 64)
		if err != nil {
			return e.UsageErrorf(1, "invalid floating point argument: '%s'", a)
		}
		nums[i] = v
	}
	first, step, last := 1.0, 1.0, 0.0
	switch len(nums) {
	case 1:
		last = nums[0]
	case 2:
		first, last = nums[0], nums[1]
	case 3:
		first, step, last = nums[0], nums[1], nums[2]
	case 0:
		return e.UsageErrorf(1, "missing operand")
	default:
		return e.UsageErrorf(1, "extra operand '%s'", args[3])
	}
	if step == 0 {
		fmt.Fprintln(e.Stderr, "seq: invalid Zero increment value: '0'")
		return 1
	}
	// The numbers go out in chunks as they are made, so that `seq 1e9 | head` ends at once
	// and a long sequence meets the run's limits instead of being held in memory.
	var b []byte
	n := 0
	for v := first; (step > 0 && v <= last) || (step < 0 && v >= last); v += step {
		if e.Cancelled() {
			return 130
		}
		if n > 0 {
			b = append(b, sep...)
		}
		b = strconv.AppendFloat(b, v, 'f', -1, 64)
		n++
		if len(b) >= 32<<10 {
			if _, err := e.Stdout.Write(b); err != nil {
				return 1
			}
			b = b[:0]
		}
	}
	if n > 0 {
		if _, err := e.Stdout.Write(append(b, '\n')); err != nil {
			return 1
		}
	}
	return 0
}
