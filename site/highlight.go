package site

import (
	"strings"

	"github.com/imdsplay/imdsplay/web"
)

// Token classes emitted by the highlighters; css/site.css styles them.
const (
	tokCmd  = "tok-cmd"  // a command name
	tokFlag = "tok-flag" // an option, -H or --data
	tokStr  = "tok-str"  // a quoted string or a here-document body
	tokVar  = "tok-var"  // $name, ${name}, $1, and the name in name=value
	tokCom  = "tok-com"  // a comment
	tokOp   = "tok-op"   // | && || ; redirections, $( ), line continuation
	tokKey  = "tok-key"  // a JSON object key
	tokNum  = "tok-num"  // a JSON number
	tokLit  = "tok-lit"  // true, false, null
)

// highlight tokenizes src for lang. It never fails and never loses a byte: the
// tokens' texts always concatenate to src, which the live-block contract needs.
func highlight(lang, src string) []web.Token {
	switch lang {
	case "sh", "bash", "shell", "console":
		return highlightSh(src)
	case "json":
		return highlightJSON(src)
	}
	if src == "" {
		return nil
	}
	return []web.Token{{Text: src}}
}

// tokens accumulates tokens, merging neighbours of the same class.
type tokens []web.Token

func (t *tokens) add(class, text string) {
	if text == "" {
		return
	}
	if n := len(*t); n > 0 && (*t)[n-1].Class == class {
		(*t)[n-1].Text += text
		return
	}
	*t = append(*t, web.Token{Class: class, Text: text})
}

// highlightSh is a small lexer for the POSIX shell subset documentation uses:
// commands, options, quoting, parameter expansion, command substitution,
// pipelines, redirections, comments and here-documents. It is a highlighter,
// not a parser: on anything it does not understand it emits plain text.
func highlightSh(src string) []web.Token {
	var out tokens
	cmdPos := true         // the next word is a command name
	depth := 0             // open $( … ) substitutions
	var heredocs []heredoc // pending here-documents, read after the newline
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == '\n':
			out.add("", "\n")
			i++
			cmdPos = true
			for _, h := range heredocs {
				i = h.read(src, i, &out)
			}
			heredocs = nil
		case c == ' ' || c == '\t':
			j := i
			for j < len(src) && (src[j] == ' ' || src[j] == '\t') {
				j++
			}
			out.add("", src[i:j])
			i = j
		case c == '\\' && i+1 < len(src) && src[i+1] == '\n':
			out.add(tokOp, "\\")
			out.add("", "\n")
			i += 2
		case c == '#':
			j := strings.IndexByte(src[i:], '\n')
			if j < 0 {
				j = len(src) - i
			}
			out.add(tokCom, src[i:i+j])
			i += j
		case c == '|' || c == '&' || c == ';' || c == '(':
			j := i + 1
			if j < len(src) && (src[j] == c) && c != '(' {
				j++
			}
			out.add(tokOp, src[i:j])
			i = j
			cmdPos = true
		case c == ')':
			out.add(tokOp, ")")
			if depth > 0 {
				depth--
			}
			i++
			cmdPos = false
		case c == '<' && strings.HasPrefix(src[i:], "<<"):
			j := i + 2
			strip := false
			if j < len(src) && src[j] == '-' {
				strip = true
				j++
			}
			out.add(tokOp, src[i:j])
			i = j
			for i < len(src) && (src[i] == ' ' || src[i] == '\t') {
				out.add("", src[i:i+1])
				i++
			}
			w := i
			for w < len(src) && !isShBreak(src[w]) {
				w++
			}
			if w > i {
				delim := strings.Trim(src[i:w], `'"`)
				out.add(tokOp, src[i:w])
				heredocs = append(heredocs, heredoc{delim: delim, strip: strip})
				i = w
			}
		case c == '>' || c == '<' || (c >= '0' && c <= '9' && i+1 < len(src) && src[i+1] == '>' && atWordStart(src, i)):
			j := i
			if c != '>' && c != '<' {
				j++ // the fd number
			}
			j++
			for j < len(src) && (src[j] == '>' || src[j] == '&') {
				j++
			}
			out.add(tokOp, src[i:j])
			i = j
		default:
			i = lexShWord(src, i, &out, &cmdPos, &depth)
		}
	}
	return out
}

// heredoc is a here-document whose body starts after the current line.
type heredoc struct {
	delim string
	strip bool // <<- : leading tabs are ignored when looking for the delimiter
}

// read emits the body and the delimiter line starting at i and returns where
// the next line starts.
func (h heredoc) read(src string, i int, out *tokens) int {
	for i < len(src) {
		j := strings.IndexByte(src[i:], '\n')
		end := len(src)
		if j >= 0 {
			end = i + j + 1
		}
		line := strings.TrimSuffix(src[i:end], "\n")
		if h.strip {
			line = strings.TrimLeft(line, "\t")
		}
		if line == h.delim {
			out.add(tokOp, strings.TrimSuffix(src[i:end], "\n"))
			if end > i && src[end-1] == '\n' {
				out.add("", "\n")
			}
			return end
		}
		out.add(tokStr, src[i:end])
		i = end
	}
	return i
}

// isShBreak reports whether c ends an unquoted word.
func isShBreak(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '|', '&', ';', '(', ')', '<', '>':
		return true
	}
	return false
}

// atWordStart reports whether position i begins a word.
func atWordStart(src string, i int) bool {
	return i == 0 || isShBreak(src[i-1])
}

// lexShWord emits one word starting at i and returns the index after it.
func lexShWord(src string, i int, out *tokens, cmdPos *bool, depth *int) int {
	start := i
	class := ""
	if *cmdPos {
		class = tokCmd
		// name=value before a command is an assignment, not the command.
		if n := shNameLen(src[i:]); n > 0 && i+n < len(src) && src[i+n] == '=' {
			out.add(tokVar, src[i:i+n])
			out.add(tokOp, "=")
			i += n + 1
			class = ""
			start = -1 // still in command position after the assignment
		}
	} else if src[i] == '-' {
		class = tokFlag
	}
	for i < len(src) && !isShBreak(src[i]) {
		switch c := src[i]; {
		case c == '\'':
			j := strings.IndexByte(src[i+1:], '\'')
			end := len(src)
			if j >= 0 {
				end = i + 1 + j + 1
			}
			out.add(tokStr, src[i:end])
			i = end
		case c == '"':
			i = lexShDouble(src, i, out)
		case c == '$':
			if strings.HasPrefix(src[i:], "$(") && !strings.HasPrefix(src[i:], "$((") {
				out.add(tokOp, "$(")
				*depth++
				*cmdPos = true
				return i + 2
			}
			i = lexShDollar(src, i, out)
		case c == '\\' && i+1 < len(src):
			out.add(class, src[i:i+2])
			i += 2
		default:
			out.add(class, src[i:i+1])
			i++
		}
	}
	if start >= 0 {
		*cmdPos = false
	}
	return i
}

// lexShDouble emits a double-quoted string starting at i, with the
// expansions inside it highlighted as variables.
func lexShDouble(src string, i int, out *tokens) int {
	out.add(tokStr, `"`)
	i++
	for i < len(src) {
		switch c := src[i]; {
		case c == '"':
			out.add(tokStr, `"`)
			return i + 1
		case c == '\\' && i+1 < len(src):
			out.add(tokStr, src[i:i+2])
			i += 2
		case c == '$' && i+1 < len(src) && src[i+1] != '"':
			i = lexShDollar(src, i, out)
		default:
			out.add(tokStr, src[i:i+1])
			i++
		}
	}
	return i
}

// lexShDollar emits one expansion starting at the '$' at i.
func lexShDollar(src string, i int, out *tokens) int {
	rest := src[i+1:]
	switch {
	case strings.HasPrefix(rest, "{"):
		j := strings.IndexByte(rest, '}')
		if j < 0 {
			out.add(tokVar, src[i:])
			return len(src)
		}
		out.add(tokVar, src[i:i+1+j+1])
		return i + 1 + j + 1
	case strings.HasPrefix(rest, "(("):
		j := strings.Index(rest, "))")
		if j < 0 {
			out.add(tokVar, src[i:])
			return len(src)
		}
		out.add(tokVar, src[i:i+1+j+2])
		return i + 1 + j + 2
	case rest != "" && strings.IndexByte("?#@*!$-0123456789", rest[0]) >= 0:
		out.add(tokVar, src[i:i+2])
		return i + 2
	}
	if n := shNameLen(rest); n > 0 {
		out.add(tokVar, src[i:i+1+n])
		return i + 1 + n
	}
	out.add("", "$")
	return i + 1
}

// shNameLen is the length of the shell name (letters, digits, _) at s's start.
func shNameLen(s string) int {
	n := 0
	for n < len(s) {
		c := s[n]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || n > 0 && c >= '0' && c <= '9' {
			n++
			continue
		}
		break
	}
	return n
}

// highlightJSON marks keys, strings, numbers and literals. Sample output in
// the docs is often elided ("…"), so it does not insist on valid JSON.
func highlightJSON(src string) []web.Token {
	var out tokens
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == '"':
			j := i + 1
			for j < len(src) && src[j] != '"' && src[j] != '\n' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			if j < len(src) && src[j] == '"' {
				j++
			}
			if j > len(src) {
				j = len(src)
			}
			class := tokStr
			k := j
			for k < len(src) && (src[k] == ' ' || src[k] == '\t') {
				k++
			}
			if k < len(src) && src[k] == ':' {
				class = tokKey
			}
			out.add(class, src[i:j])
			i = j
		case c == '-' || c >= '0' && c <= '9':
			j := i + 1
			for j < len(src) && strings.IndexByte("0123456789.eE+-", src[j]) >= 0 {
				j++
			}
			out.add(tokNum, src[i:j])
			i = j
		case strings.HasPrefix(src[i:], "true") || strings.HasPrefix(src[i:], "null"):
			out.add(tokLit, src[i:i+4])
			i += 4
		case strings.HasPrefix(src[i:], "false"):
			out.add(tokLit, src[i:i+5])
			i += 5
		default:
			out.add("", src[i:i+1])
			i++
		}
	}
	return out
}
