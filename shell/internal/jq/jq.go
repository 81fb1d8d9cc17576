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
)

type options struct {
	raw, join, compact, exit, null, slurp, rawIn, tab, ascii bool
	indent                                                   int
	names                                                    []string
	values                                                   []any
}

func usage(e *builtin.Env, msg string) int {
	fmt.Fprintf(e.Stderr, "jq: %s\n", msg)
	fmt.Fprintln(e.Stderr, "Use jq --help for help with command-line options,")
	fmt.Fprintln(e.Stderr, "or see the jq manpage, or online docs  at https://jqlang.github.io/jq")
	return 2
}

// Run is the jq command.
func Run(e *builtin.Env) int {
	o := options{indent: 2}
	var filter *string
	var files []string
	args := e.Args[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			for _, r := range args[i+1:] {
				if filter == nil {
					filter = &r
				} else {
					files = append(files, r)
				}
			}
			break
		}
		if len(a) < 2 || a[0] != '-' {
			if filter == nil {
				filter = &args[i]
			} else {
				files = append(files, a)
			}
			continue
		}
		need := func(n int) ([]string, bool) {
			if i+n >= len(args) {
				return nil, false
			}
			v := args[i+1 : i+1+n]
			i += n
			return v, true
		}
		switch a {
		case "--raw-output":
			o.raw = true
		case "--join-output":
			o.raw, o.join = true, true
		case "--compact-output":
			o.compact = true
		case "--exit-status":
			o.exit = true
		case "--null-input":
			o.null = true
		case "--slurp":
			o.slurp = true
		case "--raw-input":
			o.rawIn = true
		case "--tab":
			o.tab = true
		case "--ascii-output":
			o.ascii = true
		case "--sort-keys", "--color-output", "--monochrome-output", "--unbuffered", "--seq":
		case "--indent":
			v, ok := need(1)
			n, err := strconv.Atoi(strings.Join(v, ""))
			if !ok || err != nil {
				return usage(e, "--indent takes one parameter")
			}
			if n > 7 {
				return usage(e, "Cannot indent more than 7 characters")
			}
			o.indent = n
		case "--arg", "--argjson", "--slurpfile", "--rawfile":
			v, ok := need(2)
			if !ok {
				return usage(e, a+" takes two parameters (e.g. "+a+" varname value)")
			}
			var val any = v[1]
			switch a {
			case "--argjson":
				var x any
				d := json.NewDecoder(strings.NewReader(v[1]))
				d.UseNumber()
				if err := d.Decode(&x); err != nil {
					return usage(e, "Invalid JSON text passed to --argjson")
				}
				val = x
			case "--slurpfile", "--rawfile":
				data, err := e.ReadFile(v[1])
				if err != nil {
					fmt.Fprintf(e.Stderr, "jq: Bad JSON in --%s %s %s: Could not open %s: %s\n", a[2:], v[0], v[1], v[1], builtin.Reason(err))
					return 2
				}
				if a == "--rawfile" {
					val = string(data)
				} else {
					var all []any
					d := json.NewDecoder(bytes.NewReader(data))
					d.UseNumber()
					for {
						var x any
						if err := d.Decode(&x); err != nil {
							break
						}
						all = append(all, x)
					}
					val = all
				}
			}
			o.names = append(o.names, "$"+v[0])
			o.values = append(o.values, val)
		default:
			if strings.HasPrefix(a, "--") {
				return usage(e, "Unknown option: "+a)
			}
			for _, c := range a[1:] {
				switch c {
				case 'r':
					o.raw = true
				case 'j':
					o.raw, o.join = true, true
				case 'c':
					o.compact = true
				case 'e':
					o.exit = true
				case 'n':
					o.null = true
				case 's':
					o.slurp = true
				case 'R':
					o.rawIn = true
				case 'a':
					o.ascii = true
				case 'S', 'C', 'M':
				default:
					return usage(e, "Unknown option: "+a)
				}
			}
		}
	}
	src := "."
	if filter != nil {
		src = *filter
	}
	query, err := gojq.Parse(src)
	if err != nil {
		fmt.Fprintf(e.Stderr, "jq: error: %v at <top-level>, line 1:\n%s\njq: 1 compile error\n", err, src)
		return 3
	}
	in := &inputs{e: e, files: files, o: &o}
	code, err := gojq.Compile(query,
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
	if err != nil {
		fmt.Fprintf(e.Stderr, "jq: error: %v at <top-level>, line 1:\n%s\njq: 1 compile error\n", err, src)
		return 3
	}
	env := map[string]any{}
	for _, kv := range e.Environ {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	vals := append([]any{env, map[string]any{"file": "<top-level>", "line": 1}}, o.values...)

	var out bytes.Buffer
	flush := func() { e.Stdout.Write(out.Bytes()); out.Reset() }
	status, produced := 0, false
	var last any
	run := func(v any) bool {
		it := code.RunWithContext(e.Ctx, v, vals...)
		for {
			r, ok := it.Next()
			if !ok {
				return true
			}
			if err, ok := r.(error); ok {
				var halt *gojq.HaltError
				if errors.As(err, &halt) {
					if hv := halt.Value(); hv != nil {
						if s, ok := hv.(string); ok {
							fmt.Fprint(e.Stderr, s)
						} else {
							b, _ := gojq.Marshal(hv)
							fmt.Fprintf(e.Stderr, "%s\n", b)
						}
					}
					flush()
					status = halt.ExitCode()
					return false
				}
				flush()
				if e.Ctx != nil && e.Ctx.Err() != nil {
					// Stopped by the shell (a limit, Ctrl-C): not jq's error to report.
					status = 130
					return false
				}
				where := "<unknown>"
				if !o.null {
					where = fmt.Sprintf("%s:%d", in.label(), in.line)
				}
				fmt.Fprintf(e.Stderr, "jq: error (at %s): %s\n", where, message(err))
				status = 5
				return true
			}
			produced, last = true, r
			o.write(&out, r, flush)
			if out.Len() > 64<<10 {
				flush()
			}
		}
	}
	if o.null {
		run(nil)
	} else {
		for {
			v, err := in.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				flush()
				if st, ok := err.(statusError); ok {
					fmt.Fprintln(e.Stderr, st.msg)
					return st.status
				}
				fmt.Fprintf(e.Stderr, "jq: error (at %s:%d): %v\n", in.label(), in.line, err)
				return 2
			}
			if !run(v) {
				break
			}
			if e.Cancelled() {
				flush()
				return 130
			}
		}
	}
	flush()
	if status != 0 {
		return status
	}
	if o.exit {
		switch {
		case !produced:
			return 4
		case last == nil || last == false:
			return 1
		}
	}
	return 0
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
