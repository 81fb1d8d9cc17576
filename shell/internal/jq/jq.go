// Package jq is the shell's jq: github.com/itchyny/gojq evaluates the filter, and this package
// reproduces jq 1.7's command line around it — the flags the documentation uses (-r, -c, -e, -n,
// -s, --arg …), its two-space pretty printing, and its exit statuses and messages: a parse error
// in the input is "jq: parse error: … at line L, column C" with status 2, a runtime error is
// "jq: error (at <stdin>:N): …" with status 5, a bad filter is a compile error with status 3.
package jq

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/itchyny/gojq"

	"github.com/imdsplay/imdsplay/shell/internal/builtin"
	"github.com/imdsplay/imdsplay/shell/internal/limit"
)

// Version is the jq release being imitated.
const Version = "jq-1.7.1"

type options struct {
	raw, join, compact, exit, null, slurp, rawIn, tab, ascii bool
	fromFile, version                                        bool
	indent                                                   int
	names                                                    []string
	values                                                   []any
}

// fatal is a setter's failure that jq reports without its usage lines.
type fatal struct{ msg string }

func (f fatal) Error() string { return f.msg }

// table is jq's option table; jq spells options its own way (builtin.JQ): short ones cluster
// (-rc), long ones take their values in the following words, never after '='.
func (o *options) table(e *builtin.Env) []builtin.Option {
	variable := func(kind string) func(name, v string) error {
		return func(name, v string) error {
			val, err := o.variable(e, kind, name, v)
			if err != nil {
				return err
			}
			o.names = append(o.names, "$"+name)
			o.values = append(o.values, val)
			return nil
		}
	}
	return append([]builtin.Option{
		{Short: 'r', Long: "raw-output", Flag: builtin.Set(&o.raw)},
		{Short: 'j', Long: "join-output", Flag: func() { o.raw, o.join = true, true }},
		{Short: 'c', Long: "compact-output", Flag: builtin.Set(&o.compact)},
		{Short: 'e', Long: "exit-status", Flag: builtin.Set(&o.exit)},
		{Short: 'n', Long: "null-input", Flag: builtin.Set(&o.null)},
		{Short: 's', Long: "slurp", Flag: builtin.Set(&o.slurp)},
		{Short: 'R', Long: "raw-input", Flag: builtin.Set(&o.rawIn)},
		{Short: 'a', Long: "ascii-output", Flag: builtin.Set(&o.ascii)},
		{Long: "tab", Flag: builtin.Set(&o.tab)},
		{Short: 'f', Long: "from-file", Flag: builtin.Set(&o.fromFile)},
		{Short: 'V', Long: "version", Flag: builtin.Set(&o.version)},
		// Keys always come out sorted here (gojq), and there is no terminal colour to choose.
		{Short: 'S', Long: "sort-keys", Flag: builtin.Ignore}, {Short: 'C', Long: "color-output", Flag: builtin.Ignore},
		{Short: 'M', Long: "monochrome-output", Flag: builtin.Ignore}, {Long: "unbuffered", Flag: builtin.Ignore},
		{Long: "indent", Value: func(v string) error {
			n, err := strconv.Atoi(v)
			switch {
			case err != nil:
				return errors.New("--indent takes one parameter")
			case n > 7 || n < -1:
				return errors.New("--indent takes a number between -1 and 7")
			}
			o.indent = n
			return nil
		}},
		{Long: "arg", Pair: variable("arg")}, {Long: "argjson", Pair: variable("argjson")},
		{Long: "slurpfile", Pair: variable("slurpfile")}, {Long: "rawfile", Pair: variable("rawfile")},
	}, builtin.Refused("seq stream stream-errors args jsonargs raw-output0 L h/help")...)
}

// variable is the value of --arg, --argjson, --slurpfile or --rawfile.
func (o *options) variable(e *builtin.Env, kind, name, v string) (any, error) {
	switch kind {
	case "argjson":
		var x any
		d := json.NewDecoder(strings.NewReader(v))
		d.UseNumber()
		if err := d.Decode(&x); err != nil {
			return nil, errors.New("invalid JSON text passed to --argjson")
		}
		return x, nil
	case "slurpfile", "rawfile":
		data, err := e.ReadFile(v)
		if err != nil {
			return nil, fatal{fmt.Sprintf("jq: Bad JSON in --%s %s %s: Could not open %s: %s", kind, name, v, v, builtin.Reason(err))}
		}
		if kind == "rawfile" {
			return string(data), nil
		}
		all := []any{}
		d := json.NewDecoder(bytes.NewReader(data))
		d.UseNumber()
		for {
			var x any
			if err := d.Decode(&x); err != nil {
				return all, nil
			}
			all = append(all, x)
		}
	}
	return v, nil
}

// usageMessage words a refused command line as jq does.
func usageMessage(err error) string {
	u, ok := err.(*builtin.UsageError)
	switch {
	case !ok:
		return err.Error()
	case u.Problem == builtin.Invalid:
		return u.Err.Error()
	case u.Problem == builtin.NeedsValue && u.Name == "--indent":
		return "--indent takes one parameter"
	case u.Problem == builtin.NeedsValue:
		return fmt.Sprintf("%s takes two parameters (e.g. %s varname value)", u.Name, u.Name)
	case u.Problem == builtin.Unsupported:
		return "option " + u.Word + " is not supported in this emulator"
	}
	return "Unknown option " + u.Word
}

// usage prints jq's complaint about its command line, with its pointer to the help, and
// returns 2.
func usage(e *builtin.Env, msg string) int {
	fmt.Fprintf(e.Stderr, "jq: %s\n", msg)
	fmt.Fprintln(e.Stderr, "Use jq --help for help with command-line options,")
	fmt.Fprintln(e.Stderr, "or see the jq manpage, or online docs  at https://jqlang.github.io/jq")
	return 2
}

// Run is the jq command.
func Run(e *builtin.Env) int {
	o := options{indent: 2}
	operands, err := builtin.Parse(builtin.JQ, o.table(e), e.Args[1:])
	if f := (fatal{}); errors.As(err, &f) {
		fmt.Fprintln(e.Stderr, f.msg)
		return 2
	}
	if err != nil {
		return usage(e, usageMessage(err))
	}
	if o.version {
		fmt.Fprintln(e.Stdout, Version)
		return 0
	}
	src := "."
	if len(operands) > 0 {
		src, operands = operands[0], operands[1:]
	}
	if o.fromFile {
		b, err := e.ReadFile(src)
		if err != nil {
			fmt.Fprintf(e.Stderr, "jq: error: Could not open %s: %s\n", src, builtin.Reason(err))
			return 2
		}
		src = string(b)
	}
	in := &inputs{e: e, files: operands, o: &o}
	code, ok := o.compile(e, src, in)
	if !ok {
		return 3
	}
	return o.run(e, code, in)
}

// compile parses and compiles the filter with jq's variables and the functions that reach the
// command's streams; a failure is reported as jq's compile error.
func (o *options) compile(e *builtin.Env, src string, in *inputs) (*gojq.Code, bool) {
	query, err := gojq.Parse(src)
	var code *gojq.Code
	if err == nil {
		rewrite(query)
		code, err = gojq.Compile(query,
			gojq.WithFunction(keyIndexError, 1, 1, indexError),
			gojq.WithFunction(mulFunc, 2, 2, multiply(limit.FromContext(e.Ctx))),
			gojq.WithVariables(append([]string{"$ENV", "$__loc__"}, o.names...)),
			gojq.WithEnvironLoader(func() []string { return e.Environ }),
			gojq.WithFunction("debug", 0, 0, func(v any, _ []any) any {
				b, _ := gojq.Marshal([]any{"DEBUG:", v})
				fmt.Fprintf(e.Stderr, "%s\n", b)
				return v
			}),
			gojq.WithFunction("stderr", 0, 0, func(v any, _ []any) any {
				b, _ := gojq.Marshal(v)
				e.Stderr.Write(b)
				return v
			}),
			gojq.WithFunction("input_filename", 0, 0, func(any, []any) any {
				if in.name == "" || in.name == "<stdin>" {
					return nil
				}
				return in.name
			}),
			gojq.WithInputIter(in),
		)
	}
	if err != nil {
		fmt.Fprintf(e.Stderr, "jq: error: %v at <top-level>, line 1:\n%s\njq: 1 compile error\n", err, src)
		return nil, false
	}
	return code, true
}

// runner evaluates the compiled filter on each input and prints the results.
type runner struct {
	e        *builtin.Env
	o        *options
	code     *gojq.Code
	in       *inputs
	vals     []any
	out      bytes.Buffer
	status   int
	produced bool
	last     any
}

func (r *runner) flush() { r.e.Stdout.Write(r.out.Bytes()); r.out.Reset() }

// run is jq's main loop and its exit status (with -e, from the last output).
func (o *options) run(e *builtin.Env, code *gojq.Code, in *inputs) int {
	env := map[string]any{}
	for _, kv := range e.Environ {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	r := &runner{e: e, o: o, code: code, in: in,
		vals: append([]any{env, map[string]any{"file": "<top-level>", "line": 1}}, o.values...)}
	if st := r.inputs(); st >= 0 {
		return st
	}
	r.flush()
	switch {
	case r.status != 0:
		return r.status
	case o.exit && !r.produced:
		return 4
	case o.exit && (r.last == nil || r.last == false):
		return 1
	}
	return 0
}

// inputs runs the filter on every input (once on null with -n); it returns an exit status when
// reading the input ends the command, -1 otherwise.
func (r *runner) inputs() int {
	if r.o.null {
		r.one(nil)
		return -1
	}
	for {
		v, err := r.in.next()
		if err == io.EOF {
			return -1
		}
		if err != nil {
			r.flush()
			if st, ok := err.(statusError); ok {
				if st.msg != "" {
					fmt.Fprintln(r.e.Stderr, st.msg)
				}
				return st.status
			}
			fmt.Fprintf(r.e.Stderr, "jq: error (at %s:%d): %v\n", r.in.label(), r.in.line, err)
			return 2
		}
		if !r.one(v) {
			return -1
		}
		if r.e.Cancelled() {
			r.flush()
			return 130
		}
	}
}

// one runs the filter on one input and reports whether jq goes on to the next. The exit
// status is the last input's, as jq's.
func (r *runner) one(v any) bool {
	r.status = 0
	it := r.code.RunWithContext(r.e.Ctx, v, r.vals...)
	for {
		x, ok := it.Next()
		if !ok {
			return true
		}
		if err, ok := x.(error); ok {
			return r.fail(err)
		}
		r.produced, r.last = true, x
		r.o.write(&r.out, x, r.flush)
		if r.out.Len() > 64<<10 {
			r.flush()
		}
	}
}

// fail reports an error of the filter: halt and halt_error end jq with their status, a
// runtime error is reported with status 5 and jq goes on.
func (r *runner) fail(err error) bool {
	var halt *gojq.HaltError
	if errors.As(err, &halt) {
		if hv := halt.Value(); hv != nil {
			if s, ok := hv.(string); ok {
				fmt.Fprint(r.e.Stderr, s)
			} else {
				b, _ := gojq.Marshal(hv)
				fmt.Fprintf(r.e.Stderr, "%s\n", b)
			}
		}
		r.flush()
		r.status = halt.ExitCode()
		return false
	}
	r.flush()
	if r.e.Ctx != nil && r.e.Ctx.Err() != nil {
		// Stopped by the shell (a limit, Ctrl-C): not jq's error to report.
		r.status = 130
		return false
	}
	where := "<unknown>"
	if !r.o.null {
		where = fmt.Sprintf("%s:%d", r.in.label(), r.in.line)
	}
	fmt.Fprintf(r.e.Stderr, "jq: error (at %s): %s\n", where, message(err))
	r.status = 5
	return true
}

// message words a gojq runtime error the way jq does where they differ visibly.
func message(err error) string {
	msg := err.Error()
	if msg == "break" { // gojq's word for input/0 past the last input
		return "No more inputs"
	}
	// gojq: expected an object but got: string ("abc")
	if rest, ok := strings.CutPrefix(msg, "expected an object but got: "); ok {
		typ, _, _ := strings.Cut(rest, " ")
		return "Cannot index " + typ + " with string"
	}
	if rest, ok := strings.CutPrefix(msg, "expected an array but got: "); ok {
		typ, _, _ := strings.Cut(rest, " ")
		return "Cannot index " + typ + " with number"
	}
	return msg
}

// write prints one result into w; spill, if not nil, is called to empty w whenever it holds
// more than 64 KiB, so that one large result streams out (and meets the run's limits) instead
// of being held whole.
func (o *options) write(w *bytes.Buffer, v any, spill func()) {
	if s, ok := v.(string); ok && o.raw {
		w.WriteString(s)
	} else {
		indent := o.indent
		if o.compact {
			indent = 0
		}
		encode(w, v, indent, o.tab, 0, o.ascii, spill)
	}
	if !o.join {
		w.WriteByte('\n')
	}
}

// maxPrintDepth is jq's MAX_PRINT_DEPTH: deeper values print as "<skipped: too deep>".
const maxPrintDepth = 256

// encode writes v as jq prints it: two-space indentation by default, "key": value, empty
// containers as {} and [], keys sorted (jq keeps input order; the emulator's JSON is sorted),
// and, like jq, "<skipped: too deep>" past maxPrintDepth levels: a deeply nested value would
// otherwise print in a size that grows with the square of its depth. spill is as for write.
func encode(w *bytes.Buffer, v any, indent int, tab bool, level int, ascii bool, spill func()) {
	if level > maxPrintDepth {
		w.WriteString("<skipped: too deep>")
		return
	}
	if spill != nil && w.Len() > 64<<10 {
		spill()
	}
	nl := func(l int) {
		if indent == 0 && !tab {
			return
		}
		w.WriteByte('\n')
		if tab {
			w.WriteString(strings.Repeat("\t", l))
		} else {
			w.WriteString(strings.Repeat(" ", l*indent))
		}
	}
	colon := ": "
	if indent == 0 && !tab {
		colon = ":"
	}
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			w.WriteString("{}")
			return
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		w.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				w.WriteByte(',')
			}
			nl(level + 1)
			writeString(w, k, ascii)
			w.WriteString(colon)
			encode(w, v[k], indent, tab, level+1, ascii, spill)
		}
		nl(level)
		w.WriteByte('}')
	case []any:
		if len(v) == 0 {
			w.WriteString("[]")
			return
		}
		w.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				w.WriteByte(',')
			}
			nl(level + 1)
			encode(w, x, indent, tab, level+1, ascii, spill)
		}
		nl(level)
		w.WriteByte(']')
	case string:
		writeString(w, v, ascii)
	default:
		b, err := gojq.Marshal(v)
		if err != nil {
			b = []byte("null")
		}
		w.Write(b)
	}
}

func writeString(w *bytes.Buffer, s string, ascii bool) {
	b, _ := gojq.Marshal(s)
	if !ascii {
		w.Write(b)
		return
	}
	for _, r := range string(b) {
		if r < 0x80 {
			w.WriteRune(r)
		} else if r > 0xffff {
			r -= 0x10000
			fmt.Fprintf(w, "\\u%04x\\u%04x", 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		} else {
			fmt.Fprintf(w, "\\u%04x", r)
		}
	}
}
