package coreutils

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/imdsplay/imdsplay/shell/internal/builtin"
)

// sed implements the commonly pasted subset: s///[gpiN], d, p, q, y///, = with line-number,
// $ and /regex/ addresses, GNU's first~step, and ranges (also GNU's addr,+N, addr,~N and
// 0,/regex/), -n, -e, -E/-r and -i.

// sedAddr is one address. A second address may also be +N or ~N (GNU): the range ends N lines
// after the line that started it, or at the next line whose number is a multiple of N.
type sedAddr struct {
	line int // -1: the last line; 0 is valid only as 0,/regex/
	re   *regexp.Regexp
	// step makes first~step (GNU): every step-th line from line; 0 means line alone.
	step      int
	stepped   bool
	plus, mod bool // +N and ~N, N in line
}

type sedCmd struct {
	a1, a2  *sedAddr
	negate  bool
	op      byte
	re      *regexp.Regexp
	repl    string
	global  bool
	nth     int
	print   bool
	from    []rune
	to      []rune
	inRange bool
	end     int // the last line of an active range whose end is a line number
}

type sedParser struct {
	s   string
	i   int
	ere bool
}

func (p *sedParser) delimited(delim byte) (string, error) {
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '\\' && p.i+1 < len(p.s) {
			if p.s[p.i+1] == delim {
				b.WriteByte(delim)
			} else if p.s[p.i+1] == 'n' {
				b.WriteByte('\n')
			} else {
				b.WriteByte('\\')
				b.WriteByte(p.s[p.i+1])
			}
			p.i += 2
			continue
		}
		if c == delim {
			p.i++
			return b.String(), nil
		}
		b.WriteByte(c)
		p.i++
	}
	return "", fmt.Errorf("unterminated `s' command")
}

func (p *sedParser) compile(re string, icase bool) (*regexp.Regexp, error) {
	r, err := compileRegexp(re, p.ere, false, icase, false, false)
	if err != nil {
		return nil, fmt.Errorf("-e expression #1, char %d: %v", p.i, err)
	}
	return r, nil
}

func (p *sedParser) addr() (*sedAddr, error) {
	if p.i >= len(p.s) {
		return nil, nil
	}
	c := p.s[p.i]
	switch {
	case c == '$':
		p.i++
		return &sedAddr{line: -1}, nil
	case c >= '0' && c <= '9':
		a := &sedAddr{line: p.number()}
		if p.i < len(p.s) && p.s[p.i] == '~' {
			p.i++
			a.step, a.stepped = p.number(), true
		}
		return a, nil
	case c == '+' || c == '~':
		p.i++
		return &sedAddr{line: p.number(), plus: c == '+', mod: c == '~'}, nil
	case c == '/':
		p.i++
		re, err := p.delimited('/')
		if err != nil {
			return nil, fmt.Errorf("unterminated address regex")
		}
		r, err := p.compile(re, false)
		if err != nil {
			return nil, err
		}
		return &sedAddr{re: r}, nil
	}
	return nil, nil
}

// number reads a decimal number, 0 when there is none (GNU reads "2,~p" as 2,~0).
func (p *sedParser) number() int {
	j := p.i
	for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
		j++
	}
	n, _ := strconv.Atoi(p.s[p.i:j])
	p.i = j
	return n
}

func parseSed(script string, ere bool) ([]*sedCmd, error) {
	p := &sedParser{s: script, ere: ere}
	var cmds []*sedCmd
	for {
		for p.i < len(p.s) && strings.ContainsRune(" \t\n;", rune(p.s[p.i])) {
			p.i++
		}
		if p.i >= len(p.s) {
			return cmds, nil
		}
		cmd := &sedCmd{}
		var err error
		if cmd.a1, err = p.addr(); err != nil {
			return nil, err
		}
		if a := cmd.a1; a != nil && (a.plus || a.mod) {
			return nil, fmt.Errorf("-e expression #1, char %d: invalid usage of +N or ~N as first address", p.i)
		}
		if cmd.a1 != nil && p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			if cmd.a2, err = p.addr(); err != nil {
				return nil, err
			}
		}
		for p.i < len(p.s) && p.s[p.i] == ' ' {
			p.i++
		}
		if p.i < len(p.s) && p.s[p.i] == '!' {
			cmd.negate = true
			p.i++
		}
		if p.i >= len(p.s) {
			return nil, fmt.Errorf("-e expression #1, char %d: missing command", p.i)
		}
		cmd.op = p.s[p.i]
		p.i++
		if a := cmd.a1; a != nil && a.line == 0 && a.re == nil && !a.stepped {
			// 0 only starts a range that a regex may end on the first line already.
			if cmd.a2 == nil || cmd.a2.re == nil {
				return nil, fmt.Errorf("-e expression #1, char %d: invalid usage of line address 0", p.i)
			}
			cmd.inRange = true
		}
		switch cmd.op {
		case 'd', 'p', 'q', '=':
		case 's':
			if err := p.substitution(cmd); err != nil {
				return nil, err
			}
		case 'y':
			if err := p.transliteration(cmd); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("-e expression #1, char %d: unknown command: `%c'", p.i, cmd.op)
		}
		cmds = append(cmds, cmd)
	}
}

// substitution reads the rest of s/RE/REPL/FLAGS.
func (p *sedParser) substitution(cmd *sedCmd) error {
	unterminated := func() error { return fmt.Errorf("-e expression #1, char %d: unterminated `s' command", p.i) }
	if p.i >= len(p.s) {
		return unterminated()
	}
	delim := p.s[p.i]
	p.i++
	re, err := p.delimited(delim)
	if err != nil {
		return unterminated()
	}
	if cmd.repl, err = p.delimited(delim); err != nil {
		return unterminated()
	}
	icase := false
	for ; p.i < len(p.s) && !strings.ContainsRune(";\n} ", rune(p.s[p.i])); p.i++ {
		switch c := p.s[p.i]; {
		case c == 'g':
			cmd.global = true
		case c == 'p':
			cmd.print = true
		case c == 'i' || c == 'I':
			icase = true
		case c >= '0' && c <= '9':
			cmd.nth = cmd.nth*10 + int(c-'0')
		default:
			return fmt.Errorf("-e expression #1, char %d: unknown option to `s'", p.i+1)
		}
	}
	cmd.re, err = p.compile(re, icase)
	return err
}

// transliteration reads the rest of y/FROM/TO/.
func (p *sedParser) transliteration(cmd *sedCmd) error {
	if p.i >= len(p.s) {
		return fmt.Errorf("-e expression #1, char %d: unterminated `y' command", p.i)
	}
	delim := p.s[p.i]
	p.i++
	from, err1 := p.delimited(delim)
	to, err2 := p.delimited(delim)
	if err1 != nil || err2 != nil || len([]rune(from)) != len([]rune(to)) {
		return fmt.Errorf("-e expression #1, char %d: strings for `y' command are different lengths", p.i)
	}
	cmd.from, cmd.to = []rune(from), []rune(to)
	return nil
}

// expandRepl builds an s/// replacement: & is the match, \1-\9 groups.
func expandRepl(repl, src string, m []int) string {
	var b strings.Builder
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		switch {
		case c == '&':
			b.WriteString(src[m[0]:m[1]])
		case c == '\\' && i+1 < len(repl):
			i++
			n := repl[i]
			if n >= '0' && n <= '9' {
				g := int(n - '0')
				if 2*g+1 < len(m) && m[2*g] >= 0 {
					b.WriteString(src[m[2*g]:m[2*g+1]])
				}
			} else if n == 't' {
				b.WriteByte('\t')
			} else {
				b.WriteByte(n)
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func (c *sedCmd) matches(a *sedAddr, n int, last bool, line string) bool {
	switch {
	case a.re != nil:
		return a.re.MatchString(line)
	case a.stepped && a.step > 0:
		return n >= a.line && (n-a.line)%a.step == 0
	case a.line == -1:
		return last
	default:
		return a.line == n
	}
}

// rangeEnd is the last line of a range that a2 ends by number and that starts at line n; a
// result not after n makes the range that one line. A regex or $ ends a range by matching
// (ok false).
func rangeEnd(a2 *sedAddr, n int) (end int, ok bool) {
	switch {
	case a2.plus:
		return n + a2.line, true
	case a2.mod && a2.line <= 0:
		return n, true
	case a2.mod:
		return (n/a2.line + 1) * a2.line, true
	case a2.re == nil && a2.line >= 0:
		return a2.line, true
	}
	return 0, false
}

func (c *sedCmd) selected(n int, last bool, line string) bool {
	var sel bool
	switch {
	case c.a1 == nil:
		sel = true
	case c.a2 == nil:
		sel = c.matches(c.a1, n, last, line)
	case c.inRange:
		sel = true
		if _, byNumber := rangeEnd(c.a2, n); byNumber && n >= c.end || !byNumber && c.matches(c.a2, n, last, line) {
			c.inRange = false
		}
	default:
		if c.matches(c.a1, n, last, line) {
			sel = true
			end, byNumber := rangeEnd(c.a2, n)
			c.inRange, c.end = !byNumber || end > n, end
		}
	}
	return sel != c.negate
}

// sedScript is a parsed sed program and the options that change how it runs.
type sedScript struct {
	cmds  []*sedCmd
	quiet bool
}

func sed(e *builtin.Env) int {
	var quiet, ere, inPlace bool
	var scripts []string
	rest, err := builtin.Parse(builtin.GNU, append([]builtin.Option{
		{Short: 'n', Long: "quiet", Flag: builtin.Set(&quiet)}, {Long: "silent", Flag: builtin.Set(&quiet)},
		{Short: 'e', Long: "expression", Value: builtin.Add(&scripts)},
		{Short: 'E', Long: "regexp-extended", Flag: builtin.Set(&ere)}, {Short: 'r', Flag: builtin.Set(&ere)},
		{Short: 'i', Long: "in-place", Optional: true, Value: func(string) error { inPlace = true; return nil }},
		{Short: 's', Long: "separate", Flag: builtin.Ignore}, {Short: 'u', Long: "unbuffered", Flag: builtin.Ignore},
	}, builtin.Refused("f/file z/null-data")...), e.Args[1:])
	if err != nil {
		return e.Usage(err, 1)
	}
	if len(scripts) == 0 {
		if len(rest) == 0 {
			fmt.Fprintln(e.Stderr, "Usage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...")
			return 1
		}
		scripts, rest = rest[:1], rest[1:]
	}
	cmds, err := parseSed(strings.Join(scripts, "\n"), ere)
	if err != nil {
		fmt.Fprintf(e.Stderr, "sed: %v\n", err)
		return 1
	}
	sc := &sedScript{cmds: cmds, quiet: quiet}
	if inPlace {
		status := 0
		for _, f := range rest {
			data, err := e.ReadFile(f)
			if err != nil {
				fmt.Fprintf(e.Stderr, "sed: can't read %s: %s\n", f, builtin.Reason(err))
				status = 2
				continue
			}
			e.FS.WriteFile(e.Path(f), []byte(sc.run(data)), 0o644)
		}
		return status
	}
	var all []byte
	status := inputs(e, rest, func(_ string, data []byte) bool {
		all = append(all, data...)
		if len(data) > 0 && data[len(data)-1] != '\n' {
			all = append(all, '\n')
		}
		return true
	})
	e.Stdout.Write([]byte(sc.run(all)))
	if status != 0 {
		return 2
	}
	return 0
}

// run applies the script to every line of data and returns the output.
func (sc *sedScript) run(data []byte) string {
	var out strings.Builder
	ls := lines(string(data))
	for i, line := range ls {
		n, last := i+1, i == len(ls)-1
		deleted, quit := false, false
		for _, c := range sc.cmds {
			if !c.selected(n, last, line) {
				continue
			}
			switch c.op {
			case 'd':
				deleted = true
			case 'p':
				out.WriteString(line + "\n")
			case '=':
				fmt.Fprintf(&out, "%d\n", n)
			case 'q':
				quit = true
			case 'y':
				line = c.transliterate(line)
			case 's':
				if repl, done := c.substitute(line); done {
					line = repl
					if c.print {
						out.WriteString(line + "\n")
					}
				}
			}
			if deleted || quit {
				break
			}
		}
		if !deleted && !sc.quiet {
			out.WriteString(line + "\n")
		}
		if quit {
			break
		}
	}
	return out.String()
}

// transliterate is y/from/to/.
func (c *sedCmd) transliterate(line string) string {
	r := []rune(line)
	for k, ch := range r {
		if j := slices.Index(c.from, ch); j >= 0 {
			r[k] = c.to[j]
		}
	}
	return string(r)
}

// substitute is s///, with the g and N flags; done reports whether it replaced anything.
func (c *sedCmd) substitute(line string) (string, bool) {
	count, done := 0, false
	var b strings.Builder
	pos := 0
	for _, m := range c.re.FindAllStringSubmatchIndex(line, -1) {
		count++
		if (c.nth > 0 && count < c.nth) || (done && !c.global) {
			continue
		}
		b.WriteString(line[pos:m[0]])
		b.WriteString(expandRepl(c.repl, line, m))
		pos = m[1]
		done = true
		if !c.global {
			break
		}
	}
	if !done {
		return line, false
	}
	b.WriteString(line[pos:])
	return b.String(), true
}
