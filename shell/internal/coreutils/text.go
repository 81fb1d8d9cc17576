package coreutils

import (
	"bytes"
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

func cut(e *builtin.Env) int {
	opts, files, err := builtin.Getopt("cut", e.Args[1:], []builtin.Option{
		{Short: 'd', Long: "delimiter", Arg: true}, {Short: 'f', Long: "fields", Arg: true},
		{Short: 'c', Long: "characters", Arg: true}, {Short: 'b', Long: "bytes", Arg: true},
		{Short: 's', Long: "only-delimited"}, {Long: "complement"}, {Long: "output-delimiter", Arg: true},
		{Short: 'n'},
	})
	if err != nil {
		return e.Usage(err, 1)
	}
	delim, hasDelim, mode, list, only, complement := "\t", false, "", "", false, false
	outDelim, hasOutDelim := "", false
	for _, o := range opts {
		switch o.Key {
		case "delimiter":
			delim, hasDelim = o.Value, true
		case "fields", "characters", "bytes":
			if mode != "" {
				fmt.Fprintln(e.Stderr, "cut: only one type of list may be specified")
				fmt.Fprintln(e.Stderr, "Try 'cut --help' for more information.")
				return 1
			}
			mode, list = o.Key, o.Value
		case "only-delimited":
			only = true
		case "complement":
			complement = true
		case "output-delimiter":
			outDelim, hasOutDelim = o.Value, true
		}
	}
	if mode == "" {
		fmt.Fprintln(e.Stderr, "cut: you must specify a list of bytes, characters, or fields")
		fmt.Fprintln(e.Stderr, "Try 'cut --help' for more information.")
		return 1
	}
	if hasDelim && mode != "fields" {
		fmt.Fprintln(e.Stderr, "cut: an input delimiter may be specified only when operating on fields")
		fmt.Fprintln(e.Stderr, "Try 'cut --help' for more information.")
		return 1
	}
	if utf8.RuneCountInString(delim) != 1 {
		fmt.Fprintln(e.Stderr, "cut: the delimiter must be a single character")
		fmt.Fprintln(e.Stderr, "Try 'cut --help' for more information.")
		return 1
	}
	what := map[string]string{"fields": "field", "characters": "byte/character", "bytes": "byte/character"}[mode]
	spans, ok := parseList(e, list, what)
	if !ok {
		return 1
	}
	sel := spanList(spans)
	pick := func(i int) bool { return sel.has(i) != complement }
	if !hasOutDelim {
		outDelim = delim
		if mode != "fields" {
			outDelim = ""
		}
	}
	return inputs(e, files, func(_ string, data []byte) bool {
		var b strings.Builder
		for _, line := range lines(string(data)) {
			if mode != "fields" {
				var parts []string
				for i, c := range []byte(line) {
					if pick(i + 1) {
						parts = append(parts, string(c))
					}
				}
				b.WriteString(strings.Join(parts, outDelim))
				b.WriteString("\n")
				continue
			}
			if !strings.Contains(line, delim) {
				if !only {
					b.WriteString(line + "\n")
				}
				continue
			}
			var parts []string
			for i, f := range strings.Split(line, delim) {
				if pick(i + 1) {
					parts = append(parts, f)
				}
			}
			b.WriteString(strings.Join(parts, outDelim) + "\n")
		}
		_, err := e.Stdout.Write([]byte(b.String()))
		return err == nil
	})
}

// trSet expands a tr SET operand into bytes.
func trSet(s string) ([]byte, error) {
	var out []byte
	unescape := func(i int) (byte, int) {
		if s[i] != '\\' || i+1 >= len(s) {
			return s[i], i + 1
		}
		c := s[i+1]
		switch c {
		case 'n':
			return '\n', i + 2
		case 't':
			return '\t', i + 2
		case 'r':
			return '\r', i + 2
		case 'a':
			return '\a', i + 2
		case 'b':
			return '\b', i + 2
		case 'f':
			return '\f', i + 2
		case 'v':
			return '\v', i + 2
		case '\\':
			return '\\', i + 2
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
	classes := map[string]func(byte) bool{
		"alpha": func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' },
		"digit": func(c byte) bool { return c >= '0' && c <= '9' },
		"alnum": func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' },
		"upper": func(c byte) bool { return c >= 'A' && c <= 'Z' },
		"lower": func(c byte) bool { return c >= 'a' && c <= 'z' },
		"space": func(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' },
		"blank": func(c byte) bool { return c == ' ' || c == '\t' },
		"punct": func(c byte) bool {
			return c > ' ' && c < 127 && !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9')
		},
		"cntrl":  func(c byte) bool { return c < ' ' || c == 127 },
		"print":  func(c byte) bool { return c >= ' ' && c < 127 },
		"graph":  func(c byte) bool { return c > ' ' && c < 127 },
		"xdigit": func(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' },
	}
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], "[:") {
			if j := strings.Index(s[i:], ":]"); j > 2 {
				name := s[i+2 : i+j]
				f, ok := classes[name]
				if !ok {
					return nil, fmt.Errorf("invalid character class '%s'", name)
				}
				for c := 0; c < 256; c++ {
					if f(byte(c)) {
						out = append(out, byte(c))
					}
				}
				i += j + 2
				continue
			}
		}
		c, next := unescape(i)
		if next < len(s)-1 && s[next] == '-' {
			hi, after := unescape(next + 1)
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

func tr(e *builtin.Env) int {
	opts, sets, err := builtin.Getopt("tr", e.Args[1:], []builtin.Option{
		{Short: 'd', Long: "delete"}, {Short: 's', Long: "squeeze-repeats"},
		{Short: 'c', Long: "complement"}, {Short: 'C'},
	})
	if err != nil {
		return e.Usage(err, 1)
	}
	del, squeeze, compl := false, false, false
	for _, o := range opts {
		switch o.Key {
		case "delete":
			del = true
		case "squeeze-repeats":
			squeeze = true
		case "complement", "C":
			compl = true
		}
	}
	want := 2
	if del && !squeeze || squeeze && !del && len(sets) == 1 {
		want = 1
	}
	if len(sets) < want {
		if len(sets) == 0 {
			fmt.Fprintln(e.Stderr, "tr: missing operand")
		} else {
			fmt.Fprintf(e.Stderr, "tr: missing operand after '%s'\n", sets[len(sets)-1])
			if want == 2 {
				fmt.Fprintln(e.Stderr, "Two strings must be given when translating.")
			}
		}
		fmt.Fprintln(e.Stderr, "Try 'tr --help' for more information.")
		return 1
	}
	if len(sets) > want && !(del && squeeze) {
		fmt.Fprintf(e.Stderr, "tr: extra operand '%s'\n", sets[want])
		fmt.Fprintln(e.Stderr, "Try 'tr --help' for more information.")
		return 1
	}
	s1, err := trSet(sets[0])
	if err != nil {
		e.Errorf("%v", err)
		return 1
	}
	var in1 [256]bool
	for _, c := range s1 {
		in1[c] = true
	}
	if compl {
		for c := range in1 {
			in1[c] = !in1[c]
		}
		s1 = s1[:0]
		for c := 0; c < 256; c++ {
			if in1[c] {
				s1 = append(s1, byte(c))
			}
		}
	}
	var s2 []byte
	if len(sets) > 1 {
		if s2, err = trSet(sets[1]); err != nil {
			e.Errorf("%v", err)
			return 1
		}
	}
	var mapping [256]int
	for i := range mapping {
		mapping[i] = i
	}
	if !del && len(s2) > 0 {
		for i, c := range s1 {
			t := s2[len(s2)-1]
			if i < len(s2) {
				t = s2[i]
			}
			mapping[c] = int(t)
		}
	}
	var sq [256]bool
	sqSet := s1
	if len(sets) > 1 {
		sqSet = s2
	}
	for _, c := range sqSet {
		sq[c] = true
	}
	data, _ := e.ReadStdin()
	out := make([]byte, 0, len(data))
	last := -1
	for _, c := range data {
		if del && in1[c] {
			continue
		}
		t := byte(mapping[c])
		if squeeze && sq[t] && int(t) == last {
			continue
		}
		out = append(out, t)
		last = int(t)
	}
	e.Stdout.Write(out)
	return 0
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

func headTail(e *builtin.Env, isHead bool) int {
	name := e.Name()
	opts, files, err := builtin.Getopt(name, numericShorthand(e.Args[1:]), []builtin.Option{
		{Short: 'n', Long: "lines", Arg: true}, {Short: 'c', Long: "bytes", Arg: true},
		{Short: 'q', Long: "quiet"}, {Short: 'v', Long: "verbose"}, {Short: 'f', Long: "follow"},
	})
	if err != nil {
		return e.Usage(err, 1)
	}
	n, bytesMode, plus, minus, quiet, verbose := 10, false, false, false, false, false
	for _, o := range opts {
		switch o.Key {
		case "lines", "bytes":
			var ok bool
			n, plus, minus, ok = countArg(o.Value)
			if !ok {
				what := "lines"
				if o.Key == "bytes" {
					what = "bytes"
				}
				fmt.Fprintf(e.Stderr, "%s: invalid number of %s: '%s'\n", name, what, o.Value)
				return 1
			}
			bytesMode = o.Key == "bytes"
		case "quiet":
			quiet = true
		case "verbose":
			verbose = true
		}
	}
	headers := verbose || len(files) > 1 && !quiet
	if isHead && !minus && !headers && (len(files) == 0 || len(files) == 1 && files[0] == "-") {
		// Stream: head stops reading once it has enough, so `yes | head -n 1` ends.
		if bytesMode {
			io.CopyN(e.Stdout, e.Lines(), int64(n))
			return 0
		}
		r := e.Lines()
		for i := 0; i < n; i++ {
			line, err := r.ReadString('\n')
			e.Stdout.Write([]byte(line))
			if err != nil {
				break
			}
		}
		return 0
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
		var out []byte
		if bytesMode {
			switch {
			case isHead && minus:
				out = data[:max(0, len(data)-n)]
			case isHead:
				out = data[:min(n, len(data))]
			case plus:
				out = data[min(max(n-1, 0), len(data)):]
			default:
				out = data[max(0, len(data)-n):]
			}
		} else {
			ls := splitKeep(string(data))
			var sel []string
			switch {
			case isHead && minus:
				sel = ls[:max(0, len(ls)-n)]
			case isHead:
				sel = ls[:min(n, len(ls))]
			case plus:
				sel = ls[min(max(n-1, 0), len(ls)):]
			default:
				sel = ls[max(0, len(ls)-n):]
			}
			out = []byte(strings.Join(sel, ""))
		}
		_, err := e.Stdout.Write(out)
		return err == nil
	})
}

func head(e *builtin.Env) int { return headTail(e, true) }
func tail(e *builtin.Env) int { return headTail(e, false) }

func wc(e *builtin.Env) int {
	opts, files, err := builtin.Getopt("wc", e.Args[1:], []builtin.Option{
		{Short: 'l', Long: "lines"}, {Short: 'w', Long: "words"}, {Short: 'c', Long: "bytes"},
		{Short: 'm', Long: "chars"}, {Short: 'L', Long: "max-line-length"},
	})
	if err != nil {
		return e.Usage(err, 1)
	}
	show := map[string]bool{}
	for _, o := range opts {
		show[o.Key] = true
	}
	if len(show) == 0 {
		show = map[string]bool{"lines": true, "words": true, "bytes": true}
	}
	order := []string{"lines", "words", "chars", "bytes", "max-line-length"}
	type row struct {
		counts map[string]int
		name   string
	}
	var rows []row
	total := map[string]int{}
	status := inputs(e, files, func(fname string, data []byte) bool {
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
		for _, k := range order {
			if show[k] {
				parts = append(parts, fmt.Sprintf("%*d", width, r.counts[k]))
			}
		}
		line := strings.Join(parts, " ")
		if r.name != "" {
			line += " " + r.name
		}
		b.WriteString(line + "\n")
	}
	e.Stdout.Write([]byte(b.String()))
	return status
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

func sortCmd(e *builtin.Env) int {
	opts, files, err := builtin.Getopt("sort", e.Args[1:], []builtin.Option{
		{Short: 'r', Long: "reverse"}, {Short: 'n', Long: "numeric-sort"}, {Short: 'u', Long: "unique"},
		{Short: 'f', Long: "ignore-case"}, {Short: 'k', Long: "key", Arg: true}, {Short: 't', Long: "field-separator", Arg: true},
	})
	if err != nil {
		return e.Usage(err, 2)
	}
	var rev, num, uniqOnly, fold bool
	key, sep := 0, ""
	for _, o := range opts {
		switch o.Key {
		case "reverse":
			rev = true
		case "numeric-sort":
			num = true
		case "unique":
			uniqOnly = true
		case "ignore-case":
			fold = true
		case "key":
			k, _, _ := strings.Cut(o.Value, ",")
			k, _, _ = strings.Cut(k, ".")
			key, _ = strconv.Atoi(strings.TrimRight(k, "bdfgiMhnRrV"))
		case "field-separator":
			sep = o.Value
		}
	}
	var all []string
	status := inputs(e, files, func(_ string, data []byte) bool {
		all = append(all, lines(string(data))...)
		return true
	})
	field := func(s string) string {
		if key <= 0 {
			return s
		}
		var fs []string
		if sep == "" {
			fs = strings.Fields(s)
		} else {
			fs = strings.Split(s, sep)
		}
		if key > len(fs) {
			return ""
		}
		return strings.Join(fs[key-1:], " ")
	}
	cmp := func(a, b string) int {
		a, b = field(a), field(b)
		if num {
			x, _ := strconv.ParseFloat(leadingNumber(a), 64)
			y, _ := strconv.ParseFloat(leadingNumber(b), 64)
			if x != y {
				if x < y {
					return -1
				}
				return 1
			}
			return 0
		}
		if fold {
			a, b = strings.ToLower(a), strings.ToLower(b)
		}
		return strings.Compare(a, b)
	}
	slices.SortStableFunc(all, func(a, b string) int {
		c := cmp(a, b)
		if c == 0 && !uniqOnly {
			c = strings.Compare(a, b)
		}
		if rev {
			return -c
		}
		return c
	})
	var b strings.Builder
	for i, l := range all {
		if uniqOnly && i > 0 && cmp(all[i-1], l) == 0 {
			continue
		}
		b.WriteString(l + "\n")
	}
	e.Stdout.Write([]byte(b.String()))
	if status != 0 {
		return 2
	}
	return 0
}

func leadingNumber(s string) string {
	s = strings.TrimSpace(s)
	end := 0
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == '.' || end == 0 && s[end] == '-') {
		end++
	}
	return s[:end]
}

func uniq(e *builtin.Env) int {
	opts, files, err := builtin.Getopt("uniq", e.Args[1:], []builtin.Option{
		{Short: 'c', Long: "count"}, {Short: 'd', Long: "repeated"}, {Short: 'u', Long: "unique"}, {Short: 'i', Long: "ignore-case"},
	})
	if err != nil {
		return e.Usage(err, 1)
	}
	f := map[string]bool{}
	for _, o := range opts {
		f[o.Key] = true
	}
	if len(files) > 1 {
		files = files[:1] // the second operand names an output file; not supported
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
	args := e.Args[1:]
	sep := "\n"
	for len(args) > 1 && strings.HasPrefix(args[0], "-s") {
		if args[0] == "-s" {
			sep, args = args[1], args[2:]
		} else {
			sep, args = args[0][2:], args[1:]
		}
	}
	nums := make([]float64, len(args))
	for i, a := range args {
		v, err := strconv.ParseFloat(a, 64)
		if err != nil {
			fmt.Fprintf(e.Stderr, "seq: invalid floating point argument: '%s'\n", a)
			fmt.Fprintln(e.Stderr, "Try 'seq --help' for more information.")
			return 1
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
	default:
		fmt.Fprintln(e.Stderr, "seq: missing operand")
		fmt.Fprintln(e.Stderr, "Try 'seq --help' for more information.")
		return 1
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
