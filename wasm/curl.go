package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/imdsplay/imdsplay/internal/shvars"
)

// Copy as curl: any request a script made (curl's own, ibmcloud's) written back as one curl
// command line, either with every value spelled out or with the session's variables in place
// of the values they hold, so that the copy runs again in the same session with whatever the
// variables hold then (a fresh token, say).

// minSubstituted is the shortest variable value replaced by its name: shorter values ("1",
// "ibm") appear by chance in too many places.
const minSubstituted = 8

// skippedHeaders are request headers curl sends by itself, left out of the copy.
var skippedHeaders = map[string]func(v string) bool{
	"Content-Length":  func(string) bool { return true },
	"Accept-Encoding": func(string) bool { return true },
	"Accept":          func(v string) bool { return v == "*/*" },
	"User-Agent":      func(v string) bool { return strings.HasPrefix(v, "curl/") || strings.HasPrefix(v, "Go-http-client/") },
}

// CurlCommand writes x as a curl command. With vars, a value of a variable (of at least
// minSubstituted bytes) is written as that variable, inside double quotes; without, every
// argument is single-quoted where the shell would otherwise read it differently.
func CurlCommand(x Exchange, vars map[string]string) string {
	q := quoter{vars: vars, order: byValueLength(vars)}
	var args []string
	method := strings.ToUpper(x.Method)
	switch {
	case method == http.MethodHead:
		args = append(args, "-I")
	case method == http.MethodGet && x.ReqBody == "":
	case method == "":
	default:
		args = append(args, "-X "+q.word(method))
	}
	args = append(args, q.word(x.URL))
	host := ""
	if u, err := url.Parse(x.URL); err == nil {
		host = u.Host
	}
	for _, h := range x.ReqHeaders {
		name, value := h[0], h[1]
		if strings.EqualFold(name, "Host") && value == host {
			continue
		}
		if skip, ok := skippedHeaders[http.CanonicalHeaderKey(name)]; ok && skip(value) {
			continue
		}
		args = append(args, "-H "+q.word(name+": "+value))
	}
	if x.ReqBody != "" {
		args = append(args, "--data-raw "+q.word(x.ReqBody))
	}
	return "curl " + strings.Join(args, " \\\n  ")
}

// quoter quotes shell words, substituting variables when it has some.
type quoter struct {
	vars  map[string]string
	order []string // names by decreasing value length
}

// segment is a literal run of text, or a variable reference when name is set.
type segment struct {
	text string
	name string
}

// split cuts s into literal segments and variable references, longest values first.
func (q quoter) split(s string) []segment {
	segs := []segment{{text: s}}
	for _, name := range q.order {
		v := q.vars[name]
		if len(v) < minSubstituted || !shvars.Keepable(name) {
			continue
		}
		var next []segment
		for _, sg := range segs {
			if sg.name != "" || !strings.Contains(sg.text, v) {
				next = append(next, sg)
				continue
			}
			parts := strings.Split(sg.text, v)
			for i, p := range parts {
				if i > 0 {
					next = append(next, segment{name: name})
				}
				if p != "" {
					next = append(next, segment{text: p})
				}
			}
		}
		segs = next
	}
	return segs
}

// word quotes s as one shell word.
func (q quoter) word(s string) string {
	segs := q.split(s)
	hasVar := false
	for _, sg := range segs {
		hasVar = hasVar || sg.name != ""
	}
	if !hasVar {
		return quoteLiteral(s)
	}
	var b strings.Builder
	b.WriteByte('"')
	for i, sg := range segs {
		if sg.name == "" {
			b.WriteString(escapeDouble(sg.text))
			continue
		}
		// ${name} when the next character would otherwise extend the name.
		if i+1 < len(segs) && segs[i+1].name == "" && startsIdent(segs[i+1].text) {
			b.WriteString("${" + sg.name + "}")
		} else {
			b.WriteString("$" + sg.name)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// startsIdent reports whether s begins with a character that continues a variable name.
func startsIdent(s string) bool {
	if s == "" {
		return false
	}
	c := s[0]
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// escapeDouble escapes what double quotes would not keep literally.
func escapeDouble(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '"', '$', '`':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// quoteLiteral quotes s as a literal word: bare when safe, else single-quoted, else (control
// characters, invalid UTF-8) ANSI-C quoted.
func quoteLiteral(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_@%+=:,./-", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' || r == 0x7f }) {
		return ansiC(s)
	}
	return singleQuote(s)
}

// ansiC quotes s as $'...', escaping bytes that are not printable UTF-8.
func ansiC(s string) string {
	var b strings.Builder
	b.WriteString("$'")
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\\' || r == '\'':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == utf8.RuneError && size == 1, r < 0x20, r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('\'')
	return b.String()
}
