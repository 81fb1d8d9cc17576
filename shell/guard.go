package shell

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/imdsplay/imdsplay/shell/internal/limit"
)

// Memory is bounded before allocation where the interpreter can build a large string in one
// step. mvdan.cc/sh has no hook inside expansion: a replacement ${x//a/$y} or a word such as
// $x$x$x is built whole before any checkpoint runs, so a 1 MiB x and a 1 KiB y make a 1 GiB
// string at once. What the interpreter does offer is command substitution, which runs through
// the call handler: prepare puts a guard, $(__imds_guard SPEC VALUES…), in front of each such
// expansion. The guard is expanded first; it receives the values the expansion will combine
// (the variables, as quoted copies of the parameter expansions) and the static facts of the
// word, and refuses, before the expansion builds anything, a result larger than one buffer
// (Limits.Buffer, a quarter of the memory limit): the call handler stops the run and returns an
// error, which aborts the expansion around it. Otherwise it expands to nothing.
//
// Guarded are:
//
//   - a replacement ${p//pat/with} (and ${p/pat/with}): the guard is the first part of with,
//     which the interpreter expands before the loop that builds the result. With a literal
//     pattern the count of matches is exact (strings.Count); with a glob pattern each byte may
//     match. A with that holds a command substitution or an arithmetic expansion adds nothing
//     to the estimate: those are not run twice.
//   - a word with two expansions or more, or with one inside a brace expansion ($x{,,,}), and
//     the value of an array assignment or of an append (a+=(…), x+=…): the sum of the values,
//     times the number of words brace expansion makes.
//
// A word with one expansion and no braces copies at most one variable, which the variable
// checks bound (see checkVars). Command substitutions are bounded by the buffer limit as they
// capture (see captured). The printf builtin's widths are checked by the call handler (see
// checkPrintf).

// guarder adds the guards to one piece of code. done holds the words already guarded as part
// of an assignment.
type guarder struct {
	done map[*syntax.Word]bool
}

// guard specs: the first argument of a guard.
const (
	specWords   = "w" // w MULT LITLEN VALUES…: (LITLEN + Σ len) × MULT
	specReplace = "r" // r ALL WITHLEN PATTERN NWITH WITHVALUES… SUBJECTVALUES…
	specVarName = "v" // v VALUES…: prints noVar when the values are all empty
)

// noVar is a name no variable has: [[ -v $x ]] with an empty x tests it (see varTest).
const noVar = "__imds_no_such_variable"

// varTest makes [[ -v W ]] and [[ -R W ]] test noVar when W expands to nothing: the
// interpreter panics on an empty variable name, which would take the process down.
func (g *guarder) varTest(t *syntax.UnaryTest) {
	if t.Op != syntax.TsVarSet && t.Op != syntax.TsRefVar {
		return
	}
	w, ok := t.X.(*syntax.Word)
	if !ok || isGuarded(w) {
		return
	}
	var vals []*syntax.Word
	for _, p := range w.Parts {
		switch p := p.(type) {
		case *syntax.ParamExp:
			vals = append(vals, &syntax.Word{Parts: []syntax.WordPart{&syntax.DblQuoted{Parts: []syntax.WordPart{p}}}})
		case *syntax.DblQuoted:
			vals = append(vals, &syntax.Word{Parts: []syntax.WordPart{p}})
		case *syntax.Lit, *syntax.SglQuoted:
			if !isEmptyLiteral(p) {
				return // never empty
			}
		default:
			return // a command substitution is not run twice
		}
	}
	g.done[w] = true
	w.Parts = append(w.Parts, guardCall(append([]*syntax.Word{litWord(specVarName)}, vals...)))
}

func isEmptyLiteral(p syntax.WordPart) bool {
	switch p := p.(type) {
	case *syntax.Lit:
		return p.Value == ""
	case *syntax.SglQuoted:
		return p.Value == ""
	}
	return false
}

// word guards a word with several expansions or with braces around one.
func (g *guarder) word(w *syntax.Word) {
	if g.done[w] || isGuarded(w) {
		return
	}
	vals, litLen := g.values(w.Parts, nil)
	mult := braceCount(w)
	if len(vals) == 0 || (len(vals) < 2 && mult < 2) {
		return
	}
	g.done[w] = true
	args := append([]*syntax.Word{litWord(specWords), litWord(itoa(mult)), litWord(itoa(litLen))}, vals...)
	w.Parts = append([]syntax.WordPart{guardCall(args)}, w.Parts...)
}

// assign guards the value of an array assignment or of an append, counting the variable's
// current value for an append.
func (g *guarder) assign(as *syntax.Assign) {
	if as.Naked || as.Name == nil || (as.Array == nil && !as.Append) {
		return
	}
	var first *syntax.Word
	var vals []*syntax.Word
	var litLen int64
	add := func(w *syntax.Word) {
		if w == nil {
			return
		}
		if first == nil {
			first = w
		}
		g.done[w] = true
		vs, n := g.values(w.Parts, nil)
		vals, litLen = append(vals, vs...), litLen+n
	}
	if as.Array != nil {
		for _, el := range as.Array.Elems {
			add(el.Value)
		}
	} else {
		add(as.Value)
	}
	if first == nil {
		return
	}
	if as.Append {
		cur := &syntax.ParamExp{Param: lit(as.Name.Value)}
		if as.Array != nil {
			cur.Index = &syntax.Word{Parts: []syntax.WordPart{lit("@")}}
		}
		vals = append(vals, quoted(plain(cur)))
	}
	if len(vals) == 0 {
		return
	}
	args := append([]*syntax.Word{litWord(specWords), litWord("1"), litWord(itoa(litLen))}, vals...)
	first.Parts = append([]syntax.WordPart{guardCall(args)}, first.Parts...)
}

// paramExp guards a replacement.
func (g *guarder) paramExp(pe *syntax.ParamExp) {
	if pe.Repl == nil || pe.Param == nil {
		return
	}
	with := pe.Repl.With
	if with == nil {
		with = &syntax.Word{}
		pe.Repl.With = with
	}
	if isGuarded(with) {
		return
	}
	g.done[with] = true
	withVals, withLen := g.values(with.Parts, func(p *syntax.ParamExp) *syntax.ParamExp {
		if p.Index != nil { // an array in with is joined
			p.Index = &syntax.Word{Parts: []syntax.WordPart{lit("*")}}
		}
		return p
	})
	pattern, ok := literalText(pe.Repl.Orig)
	if !ok {
		pattern = ""
	}
	all := "0"
	if pe.Repl.All {
		all = "1"
	}
	subject := plain(pe)
	args := []*syntax.Word{litWord(specReplace), litWord(all), litWord(itoa(withLen)), patternWord(pattern, ok),
		litWord(strconv.Itoa(len(withVals)))}
	args = append(append(args, withVals...), quoted(subject))
	with.Parts = append([]syntax.WordPart{guardCall(args)}, with.Parts...)
}

// values collects quoted copies of the parameter expansions of parts whose values end up in
// the result, and the length of their literal text. fix, if set, adjusts each copy.
func (g *guarder) values(parts []syntax.WordPart, fix func(*syntax.ParamExp) *syntax.ParamExp) ([]*syntax.Word, int64) {
	var vals []*syntax.Word
	var n int64
	for _, p := range parts {
		switch p := p.(type) {
		case *syntax.Lit:
			n += int64(len(p.Value))
		case *syntax.SglQuoted:
			n += int64(len(p.Value))
		case *syntax.DblQuoted:
			vs, m := g.values(p.Parts, fix)
			vals, n = append(vals, vs...), n+m
		case *syntax.ParamExp:
			if p.Length || p.Width || p.Names != 0 || p.Param == nil || isSmallSpecial(p.Param.Value) {
				continue
			}
			c := plain(p)
			if fix != nil {
				c = fix(c)
			}
			vals = append(vals, quoted(c))
		}
	}
	return vals, n
}

// isSmallSpecial reports whether a parameter is a special one whose value is a number or a few
// letters ($?, $#, $-, $!, $$ and the session's pid names).
func isSmallSpecial(name string) bool {
	switch name {
	case "?", "#", "-", "!", "$", pidVar, ppidVar:
		return true
	}
	return false
}

// plain is p without its operation: the value p works on, with "" for unset (set -u stays
// quiet), but for a whole array or the parameters, which must stay one value per element.
func plain(p *syntax.ParamExp) *syntax.ParamExp {
	c := &syntax.ParamExp{Param: p.Param, Index: p.Index, Excl: p.Excl}
	if !wholeList(p) {
		c.Exp = &syntax.Expansion{Op: syntax.DefaultUnset}
	}
	return c
}

// wholeList reports whether p is every element of an array or parameter list: a[@], a[*],
// $@ or $*.
func wholeList(p *syntax.ParamExp) bool {
	if p.Param != nil && (p.Param.Value == "@" || p.Param.Value == "*") {
		return true
	}
	w, ok := p.Index.(*syntax.Word)
	return ok && (w.Lit() == "@" || w.Lit() == "*")
}

// quoted is "${p}" as a word: one argument per value, as many as an array has elements.
func quoted(p *syntax.ParamExp) *syntax.Word {
	return &syntax.Word{Parts: []syntax.WordPart{&syntax.DblQuoted{Parts: []syntax.WordPart{p}}}}
}

// guardCall is the command substitution $(__imds_guard ARGS…).
func guardCall(args []*syntax.Word) *syntax.CmdSubst {
	call := &syntax.CallExpr{Args: append([]*syntax.Word{litWord(guardName)}, args...)}
	return &syntax.CmdSubst{Stmts: []*syntax.Stmt{{Cmd: call}}}
}

// isGuarded reports whether a word already starts with a guard (code printed back from a
// prepared one and prepared again).
func isGuarded(w *syntax.Word) bool {
	if len(w.Parts) == 0 {
		return false
	}
	cs, ok := w.Parts[0].(*syntax.CmdSubst)
	if !ok || len(cs.Stmts) != 1 {
		return false
	}
	call, ok := cs.Stmts[0].Cmd.(*syntax.CallExpr)
	return ok && len(call.Args) > 0 && call.Args[0].Lit() == guardName
}

// patternWord is the argument that carries a literal pattern ("" and ok false for a glob).
// Single quotes hold any text but a single quote itself; such a pattern is treated as a glob.
func patternWord(pattern string, ok bool) *syntax.Word {
	if !ok || strings.Contains(pattern, "'") {
		return litWord("-")
	}
	return &syntax.Word{Parts: []syntax.WordPart{&syntax.SglQuoted{Value: "=" + pattern}}}
}

// literalText returns the text a pattern word matches when it has no glob characters and no
// expansions.
func literalText(w *syntax.Word) (string, bool) {
	if w == nil {
		return "", false
	}
	var b strings.Builder
	for _, p := range w.Parts {
		switch p := p.(type) {
		case *syntax.Lit:
			v := p.Value
			for i := 0; i < len(v); i++ {
				switch c := v[i]; c {
				case '*', '?', '[', '(', '#', '%', '!', '+', '@':
					return "", false
				case '\\':
					if i+1 < len(v) {
						i++
						b.WriteByte(v[i])
					}
				default:
					b.WriteByte(c)
				}
			}
		case *syntax.SglQuoted:
			if p.Dollar {
				return "", false
			}
			b.WriteString(p.Value)
		case *syntax.DblQuoted:
			for _, q := range p.Parts {
				l, ok := q.(*syntax.Lit)
				if !ok || strings.ContainsAny(l.Value, `\$`+"`") {
					return "", false
				}
				b.WriteString(l.Value)
			}
		default:
			return "", false
		}
	}
	return b.String(), b.Len() > 0
}

// braceCount is the number of words brace expansion makes of w (at least 1), computed on a
// copy: the interpreter splits braces itself at run time.
func braceCount(w *syntax.Word) int64 {
	if !strings.Contains(w.Lit(), "{") && !hasBraceLit(w) {
		return 1
	}
	c := &syntax.Word{Parts: append([]syntax.WordPart(nil), w.Parts...)}
	if !syntax.SplitBraces(c) {
		return 1
	}
	return bracePartsCount(c.Parts)
}

func hasBraceLit(w *syntax.Word) bool {
	for _, p := range w.Parts {
		if l, ok := p.(*syntax.Lit); ok && strings.Contains(l.Value, "{") {
			return true
		}
	}
	return false
}

// maxBraceWords caps the count: the interpreter refuses more than 16Ki words anyway.
const maxBraceWords = 1 << 20

func bracePartsCount(parts []syntax.WordPart) int64 {
	n := int64(1)
	for _, p := range parts {
		b, ok := p.(*syntax.BraceExp)
		if !ok {
			continue
		}
		var k int64
		if b.Sequence && len(b.Elems) >= 2 {
			k = seqLen(b.Elems)
		} else {
			for _, e := range b.Elems {
				k += bracePartsCount(e.Parts)
			}
		}
		n = min(n*max(k, 1), maxBraceWords)
	}
	return n
}

// seqLen is the number of words of {a..b[..step]}.
func seqLen(elems []*syntax.Word) int64 {
	a, errA := strconv.ParseInt(elems[0].Lit(), 10, 64)
	b, errB := strconv.ParseInt(elems[1].Lit(), 10, 64)
	if errA != nil || errB != nil {
		// letters: at most the alphabet
		return 52
	}
	step := int64(1)
	if len(elems) > 2 {
		if s, err := strconv.ParseInt(elems[2].Lit(), 10, 64); err == nil && s != 0 {
			step = max(s, -s)
		}
	}
	d := b - a
	if d < 0 {
		d = -d
	}
	if d < 0 { // overflow
		return maxBraceWords
	}
	return min(d/step+1, maxBraceWords)
}

// stringHeader is what each value costs beside its bytes, as a string of a list: an array of
// empty elements that doubles grows all the same.
const stringHeader = 16

// errGuard is the error a guard returns to the interpreter: it aborts the expansion. The run
// is already stopped, with the reason the session prints.
var errGuard = errors.New("expansion refused")

// runGuard runs a guard (see above) and returns the command line that takes its place: no
// output (:) when the expansion may go on. When it would take more than a buffer it stops the
// run and returns errGuard.
func runGuard(ctx context.Context, args []string) ([]string, error) {
	if len(args) > 1 && args[1] == specVarName {
		if strings.Join(args[2:], "") == "" {
			return []string{"echo", noVar}, nil
		}
		return []string{":"}, nil
	}
	if err := checkGuard(ctx, args); err != nil {
		return nil, err
	}
	return []string{":"}, nil
}

// checkGuard checks the size of a guarded expansion: it returns nil when it fits in a buffer,
// and otherwise stops the run and returns errGuard.
func checkGuard(ctx context.Context, args []string) error {
	run := limit.FromContext(ctx)
	if run == nil || len(args) < 2 {
		return nil
	}
	max := run.Limits().Buffer()
	if max <= 0 {
		return nil
	}
	size, ok := guardSize(args[1:], max)
	if !ok || size <= max {
		return nil
	}
	run.OverMemory(fmt.Sprintf("an expansion would take more than %s", limit.Bytes(max)))
	return errGuard
}

// guardSize computes the size a guarded expansion would reach, stopping early past max. ok is
// false for arguments that are not a guard's.
func guardSize(a []string, max int64) (size int64, ok bool) {
	num := func(s string) int64 {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			ok = false
		}
		return n
	}
	ok = true
	switch {
	case len(a) >= 3 && a[0] == specWords:
		mult, n := num(a[1]), num(a[2])
		for _, v := range a[3:] {
			n += int64(len(v)) + stringHeader
		}
		if mult > 0 && n > max/mult {
			return max + 1, ok
		}
		return n * mult, ok
	case len(a) >= 5 && a[0] == specReplace:
		all := a[1] == "1"
		withLen := num(a[2])
		pattern, literal := strings.CutPrefix(a[3], "=")
		nWith := int(num(a[4]))
		if !ok || 5+nWith > len(a) {
			return 0, false
		}
		for _, v := range a[5 : 5+nWith] {
			withLen += int64(len(v))
		}
		for _, subject := range a[5+nWith:] {
			matches := int64(1)
			switch {
			case !all:
			case literal:
				matches = int64(strings.Count(subject, pattern))
			default:
				matches = int64(len(subject)) + 1
			}
			size += int64(len(subject))
			if withLen > 0 && matches > (max-size)/withLen {
				return max + 1, ok
			}
			size += matches * withLen
			if size > max {
				return size, ok
			}
		}
		return size, ok
	}
	return 0, false
}
