package awk

import (
	"bytes"
	"context"
	"reflect"
	"slices"

	"github.com/benhoyt/goawk/lexer"
	"github.com/benhoyt/goawk/parser"
)

// pollFunc is the native function instrument calls; the leading underscores keep it out of the
// way of the names programs use.
const pollFunc = "__imds_poll"

// pollCall is the statement instrument adds: a call whose error (the run's limit, Ctrl-C) ends
// the program at once.
const pollCall = pollFunc + "()"

// instrument returns src with a checkpoint at the top of the body of every loop and function
// that builds strings, so that a run's limits stop a program that grows a string
// exponentially (s = s s) before it has used all memory. goawk looks at its context only every
// thousand instructions (see awkCtx), which is often enough for time and for linear growth,
// but a loop that doubles a string runs out of memory in fewer iterations than that. goawk
// offers no hook per iteration, so the hook goes into the program text, at positions the parser
// recorded for each statement:
//
//	while (c) body          →  while (c) {__imds_poll(); body }
//	for (…) body            →  for (…) {__imds_poll(); body }
//	do body while (c)       →  do {__imds_poll(); body } while (c)
//	function f(a) { body }  →  function f(a) {__imds_poll(); body }
//
// Wrapping a body in a block changes nothing else, and the insertions add no line, so line
// numbers in messages stay right. A checkpoint costs a native call (some 300ns), so loops that
// do not build strings — no concatenation, sprintf, sub or gsub — are left alone. It returns
// ok false when the program's shape is not the one expected; the caller then runs the program
// as it is.
func instrument(src []byte, prog *parser.Program) (out []byte, ok bool) {
	defer func() {
		if recover() != nil { // an AST that does not look as expected
			out, ok = nil, false
		}
	}()
	lines := []int{0}
	for i, c := range src {
		if c == '\n' {
			lines = append(lines, i+1)
		}
	}
	offset := func(pos reflect.Value) int {
		line, col := int(pos.FieldByName("Line").Int()), int(pos.FieldByName("Column").Int())
		if line < 1 || line > len(lines) {
			return len(src)
		}
		return min(lines[line-1]+col-1, len(src))
	}
	var edits []*edit
	open := func(at int) { edits = append(edits, &edit{at, false, "{" + pollCall + ";"}) }
	shut := func(at int) { edits = append(edits, &edit{at, true, "}"}) }
	ok = true
	visit := func(v reflect.Value) {
		switch v.Type().Name() {
		case "WhileStmt", "ForStmt", "ForInStmt", "DoWhileStmt", "Function":
			if !grows(v) {
				return
			}
		}
		switch v.Type().Name() {
		case "WhileStmt", "ForStmt", "ForInStmt":
			open(offset(v.FieldByName("BodyStart")))
			shut(offset(v.FieldByName("End")))
		case "DoWhileStmt":
			at := skipBlank(src, offset(v.FieldByName("Start"))+len("do"))
			body := v.FieldByName("Body")
			switch {
			case at < len(src) && src[at] == '{':
				edits = append(edits, &edit{at + 1, false, pollCall + ";"})
			case at < len(src) && src[at] == ';':
				edits = append(edits, &edit{at, false, "{" + pollCall + "}"})
			case body.Len() == 1:
				open(at)
				shut(offset(body.Index(0).Elem().Elem().FieldByName("End")))
			default:
				ok = false
			}
		case "Function":
			// The body's brace follows the parameter list and perhaps newlines.
			at := offset(v.FieldByName("Pos"))
			paren := bytes.IndexByte(src[at:], ')')
			if paren < 0 {
				ok = false
				return
			}
			at = skipBlank(src, at+paren+1)
			if at >= len(src) || src[at] != '{' {
				ok = false
				return
			}
			edits = append(edits, &edit{at + 1, false, pollCall + ";"})
		}
	}
	walk(reflect.ValueOf(prog.ResolvedProgram.Program), visit)
	if !ok {
		return nil, false
	}
	return applyEdits(src, edits), true
}

// edit is an insertion into the program's source.
type edit struct {
	at    int
	close bool // a closing brace sorts before an opening one at the same place
	text  string
}

// applyEdits inserts the edits into src in order of position. They are pointers so that the
// sort shares its instantiation with the other pointer sorts in the wasm (a struct shape costs
// ~8 KB of code there).
func applyEdits(src []byte, edits []*edit) []byte {
	slices.SortStableFunc(edits, func(a, b *edit) int {
		if a.at != b.at {
			return a.at - b.at
		}
		switch {
		case a.close && !b.close:
			return -1
		case b.close && !a.close:
			return 1
		}
		return 0
	})
	var buf bytes.Buffer
	last := 0
	for _, e := range edits {
		buf.Write(src[last:e.at])
		buf.WriteString(e.text)
		last = e.at
	}
	buf.Write(src[last:])
	return buf.Bytes()
}

// grows reports whether the syntax tree below v can build a string larger than its parts:
// a concatenation, or a call of sprintf, sub or gsub.
func grows(v reflect.Value) bool {
	found := false
	walk(v, func(n reflect.Value) {
		switch n.Type().Name() {
		case "BinaryExpr":
			found = found || n.FieldByName("Op").Interface() == lexer.CONCAT
		case "CallExpr":
			switch n.FieldByName("Func").Interface() {
			case lexer.F_SPRINTF, lexer.F_SUB, lexer.F_GSUB:
				found = true
			}
		}
	})
	return found
}

// skipBlank skips what the awk lexer skips between tokens where newlines are allowed: blanks,
// newlines, line continuations and comments.
func skipBlank(src []byte, i int) int {
	for i < len(src) {
		switch c := src[i]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '\\' && i+1 < len(src) && src[i+1] == '\n':
			i += 2
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		default:
			return i
		}
	}
	return i
}

// walk calls visit for every struct in the syntax tree below v (goawk's AST types are internal
// to it, so they are told apart by name).
func walk(v reflect.Value, visit func(reflect.Value)) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walk(v.Elem(), visit)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walk(v.Index(i), visit)
		}
	case reflect.Struct:
		visit(v)
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				walk(v.Field(i), visit)
			}
		}
	}
}

// awkCtx is the context goawk gets. goawk reads Done once and, every thousand instructions,
// checks whether that channel is closed, which cannot notice a limit under js/wasm: the timer
// that would close it never fires while the program spins, and nothing lets the page's event
// loop deliver an interrupt. This Done channel is closed from the start, so goawk asks Err
// every thousand instructions instead, and Err is a checkpoint of the run (see package limit):
// it checks the deadline and the heap and gives the page a turn, and once the run is stopped
// it returns the error that ends the program.
type awkCtx struct{ context.Context }

var closed = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

func (awkCtx) Done() <-chan struct{} { return closed }
