package coreutils

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/imdsplay/imdsplay/shell/internal/builtin"
)

// sortOrder is how one key (or, without keys, the whole line) compares: GNU sort's ordering
// options, global or per key.
type sortOrder struct {
	blankStart, blankEnd bool // b: leading blanks do not count (at the key's start, at its end field)
	dict, fold, print    bool // d, f, i
	kind                 byte // 0 for text, or 'n'
	reverse              bool // r
}

// any reports whether a key names an ordering option of its own, in which case it inherits
// none of the global ones (GNU: "a key with options of its own ignores the global ones").
func (o sortOrder) any() bool { return o != sortOrder{} }

// sortKey is one -k POS1[,POS2]: fields count from 1, chars from 1 (end char 0 = end of field),
// endField 0 = to the end of the line.
type sortKey struct {
	field, char, endField, endChar int
	sortOrder
}

// sortOptions is one sort command line.
type sortOptions struct {
	global        sortOrder
	keys          []sortKey
	tab           string // "" splits at blank-to-non-blank transitions
	unique        bool
	stable        bool
	check, quiet  bool
	output        string
	hasTab, zeros bool
}

// orderFlags are the one-letter ordering options, global (-n) and per key (-k2n); refusedFlags
// are GNU's others, which this sort refuses (-g, -h, -M cost the wasm build more than the
// documented commands need them).
const (
	orderFlags   = "bdfinr"
	refusedFlags = "ghMRV"
)

// set applies an ordering letter; end says whether it follows the end position of a key.
func (o *sortOrder) set(c byte, end bool) {
	switch c {
	case 'b':
		if end {
			o.blankEnd = true
		} else {
			o.blankStart = true
		}
	case 'd':
		o.dict = true
	case 'f':
		o.fold = true
	case 'i':
		o.print = true
	case 'r':
		o.reverse = true
	default:
		o.kind = c
	}
}

func (s *sortOptions) table() []builtin.Option {
	// GNU lists --sort before --stable when --s is ambiguous: the refused options come first.
	t := builtin.Refused("sort debug R/random-sort V/version-sort m/merge z/zero-terminated g/general-numeric-sort " +
		"M/month-sort h/human-numeric-sort")
	t = append(t, builtin.Flags("b/ignore-leading-blanks d/dictionary-order f/ignore-case "+
		"i/ignore-nonprinting n/numeric-sort r/reverse", func(c byte, _ string) {
		s.global.set(c, false)
		s.global.blankEnd = s.global.blankStart
	})...)
	return append(t,
		builtin.Option{Short: 'k', Long: "key", Value: s.addKey},
		builtin.Option{Short: 't', Long: "field-separator", Value: s.setTab},
		builtin.Option{Short: 'u', Long: "unique", Flag: builtin.Set(&s.unique)},
		builtin.Option{Short: 's', Long: "stable", Flag: builtin.Set(&s.stable)},
		builtin.Option{Short: 'c', Flag: builtin.Set(&s.check)},
		builtin.Option{Long: "check", Optional: true, Value: func(v string) error {
			s.check, s.quiet = true, v == "quiet" || v == "silent"
			return nil
		}},
		builtin.Option{Short: 'C', Flag: func() { s.check, s.quiet = true, true }},
		builtin.Option{Short: 'o', Long: "output", Value: builtin.Str(&s.output)},
		builtin.Option{Short: 'S', Long: "buffer-size", Value: builtin.IgnoreValue},
		builtin.Option{Short: 'T', Long: "temporary-directory", Value: builtin.IgnoreValue},
		builtin.Option{Long: "parallel", Value: builtin.IgnoreValue},
	)
}

func (s *sortOptions) setTab(v string) error {
	switch {
	case v == "":
		return errors.New("empty tab")
	case len(v) > 1 && v != `\0`:
		return fmt.Errorf("multi-character tab '%s'", v)
	case s.hasTab && v != s.tab:
		return errors.New("incompatible tabs")
	}
	s.tab, s.hasTab = v, true
	return nil
}

// addKey parses a KEYDEF, F[.C][OPTS][,F[.C][OPTS]], with GNU's diagnostics.
func (s *sortOptions) addKey(spec string) error {
	var k sortKey
	rest, err := k.pos(spec, spec, false)
	if err != nil {
		return err
	}
	if rest, ok := strings.CutPrefix(rest, ","); ok {
		if rest, err = k.pos(spec, rest, true); err != nil {
			return err
		}
		if rest != "" {
			return fmt.Errorf("stray character in field spec: invalid field specification '%s'", spec)
		}
	} else if rest != "" {
		return fmt.Errorf("stray character in field spec: invalid field specification '%s'", spec)
	}
	s.keys = append(s.keys, k)
	return nil
}

// pos reads one position of a key and its ordering letters, returning what follows.
func (k *sortKey) pos(spec, s string, end bool) (string, error) {
	field, rest, ok := leadingInt(s)
	if !ok {
		where := "at field start"
		if end {
			where = "after ','"
		}
		return "", fmt.Errorf("invalid number %s: invalid count at start of '%s'", where, s)
	}
	s = rest
	char := 0
	if rest, dot := strings.CutPrefix(s, "."); dot {
		if char, s, ok = leadingInt(rest); !ok {
			return "", fmt.Errorf("invalid number after '.': invalid count at start of '%s'", rest)
		}
		if char == 0 && !end {
			return "", fmt.Errorf("character offset is zero: invalid field specification '%s'", spec)
		}
	}
	if field == 0 {
		return "", fmt.Errorf("field number is zero: invalid field specification '%s'", spec)
	}
	for s != "" && strings.IndexByte(orderFlags+refusedFlags, s[0]) >= 0 {
		if strings.IndexByte(refusedFlags, s[0]) >= 0 {
			return "", fmt.Errorf("key ordering option '%c' is not supported in this emulator", s[0])
		}
		k.set(s[0], end)
		s = s[1:]
	}
	if end {
		k.endField, k.endChar = field, char
	} else {
		k.field, k.char = field, max(char, 1)
	}
	return s, nil
}

// leadingInt reads the decimal number at the start of s.
func leadingInt(s string) (int, string, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, err := strconv.Atoi(s[:i])
	return n, s[i:], err == nil
}

func sortCmd(e *builtin.Env) int {
	var s sortOptions
	files, err := builtin.Parse(builtin.GNU, s.table(), e.Args[1:])
	if err != nil {
		return e.Usage(err, 2)
	}
	if len(s.keys) == 0 {
		s.keys = []sortKey{{field: 1, char: 1, sortOrder: s.global}}
	}
	for i := range s.keys {
		if !s.keys[i].any() {
			s.keys[i].sortOrder = s.global
		}
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	var all []string
	for _, f := range files {
		data, err := e.ReadFile(f)
		if err != nil {
			e.Errorf("cannot read: %s: %s", f, builtin.Reason(err))
			return 2
		}
		all = append(all, lines(string(data))...)
	}
	if s.check {
		return s.checkSorted(e, all)
	}
	slices.SortStableFunc(all, s.compare)
	var b strings.Builder
	for i, l := range all {
		if s.unique && i > 0 && s.compareKeys(all[i-1], l) == 0 {
			continue
		}
		b.WriteString(l + "\n")
	}
	if s.output != "" {
		if err := e.WriteFile(s.output, []byte(b.String()), 0o644); err != nil {
			e.Errorf("open failed: %s: %s", s.output, builtin.Reason(err))
			return 2
		}
	} else {
		e.Stdout.Write([]byte(b.String()))
	}
	return 0
}

// checkSorted is -c and -C: the first line out of order is reported (by -c) and the status is 1.
func (s *sortOptions) checkSorted(e *builtin.Env, all []string) int {
	for i := 1; i < len(all); i++ {
		c := s.compare(all[i-1], all[i])
		if c > 0 || c == 0 && s.unique {
			if !s.quiet {
				e.Errorf("-:%d: disorder: %s", i+1, all[i])
			}
			return 1
		}
	}
	return 0
}

// compare orders two lines: by the keys, then (unless -s or -u) by the whole line in bytes,
// reversed too by a global -r, as GNU sort's last-resort comparison.
func (s *sortOptions) compare(a, b string) int {
	if c := s.compareKeys(a, b); c != 0 || s.stable || s.unique {
		return c
	}
	c := strings.Compare(a, b)
	if s.global.reverse {
		return -c
	}
	return c
}

func (s *sortOptions) compareKeys(a, b string) int {
	for _, k := range s.keys {
		c := k.compare(s.extract(k, a), s.extract(k, b))
		if k.reverse {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// fields returns the start offsets of a line's fields: without -t a field begins with the
// blanks before it, with -t it begins after the separator.
func (s *sortOptions) fields(line string) []int {
	starts := []int{0}
	if s.hasTab {
		sep := s.tab
		if sep == `\0` {
			sep = "\x00"
		}
		for i := 0; i < len(line); i++ {
			if line[i] == sep[0] {
				starts = append(starts, i+1)
			}
		}
		return starts
	}
	for i := 1; i < len(line); i++ {
		if isBlank(line[i]) && !isBlank(line[i-1]) {
			starts = append(starts, i)
		}
	}
	return starts
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// extract returns the part of line a key covers.
func (s *sortOptions) extract(k sortKey, line string) string {
	starts := s.fields(line)
	fieldEnd := func(f int) int { // the end of field f (1-based), excluding a -t separator
		if f < len(starts) {
			end := starts[f]
			if s.hasTab {
				end--
			}
			return end
		}
		return len(line)
	}
	at := func(f, char int, blanks bool) int {
		if f > len(starts) {
			return len(line)
		}
		i := starts[f-1]
		if blanks {
			for i < fieldEnd(f) && isBlank(line[i]) {
				i++
			}
		}
		return min(i+char, fieldEnd(f))
	}
	start := at(k.field, k.char-1, k.blankStart)
	end := len(line)
	if k.endField > 0 {
		if k.endChar == 0 {
			end = fieldEnd(min(k.endField, len(starts)))
			if k.endField > len(starts) {
				end = len(line)
			}
		} else {
			end = at(k.endField, k.endChar, k.blankEnd)
		}
	}
	if end < start {
		return ""
	}
	return line[start:end]
}

// compare orders two keys by the key's ordering options.
func (o sortOrder) compare(a, b string) int {
	if o.kind == 'n' {
		return numCompare(a, b)
	}
	if o.dict || o.fold || o.print {
		a, b = o.translate(a), o.translate(b)
	}
	return strings.Compare(a, b)
}

// translate drops what -d and -i ignore and folds case for -f.
func (o sortOrder) translate(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if o.dict && !(isBlank(c) || isAlpha(c) || isDigit(c)) || o.print && (c < ' ' || c > '~') {
			continue
		}
		if o.fold && c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// numPrefix splits the number at the start of s (after blanks) into sign, integer digits without
// leading zeros and fraction digits without trailing zeros, as -n reads it in the C locale.
func numPrefix(s string) (neg bool, whole, frac string) {
	s = strings.TrimLeft(s, " \t")
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		neg, s = true, rest
	}
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	whole = strings.TrimLeft(s[:i], "0")
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		frac = strings.TrimRight(s[i+1:j], "0")
	}
	if whole == "" && frac == "" {
		neg = false // -0 is 0, and so is a line without a number
	}
	return neg, whole, frac
}

// numCompare compares two -n keys exactly, digit by digit, as GNU sort does.
func numCompare(a, b string) int {
	na, wa, fa := numPrefix(a)
	nb, wb, fb := numPrefix(b)
	if na != nb {
		if na {
			return -1
		}
		return 1
	}
	c := len(wa) - len(wb)
	if c == 0 {
		c = strings.Compare(wa, wb)
	}
	if c == 0 {
		c = strings.Compare(fa, fb)
	}
	if na {
		return -c
	}
	return c
}
