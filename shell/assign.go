package shell

import (
	"strings"
	"unicode/utf8"

	"mvdan.cc/sh/v3/syntax"
)

// unescapeParts works around mvdan.cc/sh v3.14.1, whose interpreter keeps the backslash of an
// escaped character in the unquoted parts of an assignment's value, where bash drops it
// (arguments are unaffected):
//
//	a=it\'s        # bash: it's    mvdan: it\'s
//	a='it'\''s'    # bash: it's    mvdan: it\'s
//
// prepare hands it the value of every assignment: plain, exported or declared, and before a
// command. It returns parts with each backslash-escaped character of their literals in a
// quoted part of its own, which the interpreter reads as that character alone, so tilde
// expansion and the rest stay bash's: a=\~ is a tilde, not $HOME.
func unescapeParts(parts []syntax.WordPart) []syntax.WordPart {
	var out []syntax.WordPart
	for i, p := range parts {
		lit, ok := p.(*syntax.Lit)
		if !ok || !strings.Contains(lit.Value, `\`) {
			if out != nil {
				out = append(out, p)
			}
			continue
		}
		if out == nil {
			out = append(make([]syntax.WordPart, 0, len(parts)+4), parts[:i]...)
		}
		piece := func(v string) *syntax.Lit {
			return &syntax.Lit{ValuePos: lit.ValuePos, ValueEnd: lit.ValueEnd, Value: v}
		}
		rest := lit.Value
		for {
			j := strings.IndexByte(rest, '\\')
			if j < 0 || j+1 >= len(rest) {
				break
			}
			if j > 0 {
				out = append(out, piece(rest[:j]))
			}
			_, size := utf8.DecodeRuneInString(rest[j+1:])
			c := rest[j+1 : j+1+size]
			if c == "'" {
				// A single quote cannot stand inside single quotes; double quotes hold it as is.
				out = append(out, &syntax.DblQuoted{Left: lit.ValuePos, Right: lit.ValueEnd, Parts: []syntax.WordPart{piece(c)}})
			} else {
				out = append(out, &syntax.SglQuoted{Left: lit.ValuePos, Right: lit.ValueEnd, Value: c})
			}
			rest = rest[j+1+size:]
		}
		if rest != "" {
			out = append(out, piece(rest))
		}
	}
	if out == nil {
		return parts
	}
	return out
}
