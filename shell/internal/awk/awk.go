// Package awk is the shell's awk, backed by github.com/benhoyt/goawk. Programs cannot reach the
// host: system(), pipes to commands and file redirections are refused, and input files are read
// from the session's in-memory filesystem by this package and handed to goawk as its input.
// The run's limits reach into the program: goawk consults the run's context every thousand
// instructions (see awkCtx), so that `awk 'BEGIN { while (1) {} }'` stops at the run-time
// limit, also under js/wasm, and loops that build strings check at every iteration (see
// instrument), so that `s = s s` stops at the memory limit.
package awk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/benhoyt/goawk/interp"
	"github.com/benhoyt/goawk/parser"

	"github.com/imdsplay/imdsplay/shell/internal/builtin"
)

var assignment = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[_a-zA-Z][_a-zA-Z0-9]*=`) })

func usage(e *builtin.Env) int {
	fmt.Fprintln(e.Stderr, "usage: awk [-F value] [-v var=value] [--] 'prog' [file ...]")
	fmt.Fprintln(e.Stderr, "       awk [-F value] [-v var=value] -f progfile [file ...]")
	return 2
}

// options is one awk command line.
type options struct {
	vars      []string // name, value pairs for goawk's Config.Vars
	progFiles []string
	version   bool
}

func (o *options) table() []builtin.Option {
	return []builtin.Option{
		{Short: 'F', Value: func(v string) error {
			if v == "t" {
				v = "\t"
			}
			o.vars = append(o.vars, "FS", v)
			return nil
		}},
		{Short: 'v', Value: func(v string) error {
			name, value, ok := strings.Cut(v, "=")
			if !ok {
				return fmt.Errorf("improper assignment: -v %s", v)
			}
			o.vars = append(o.vars, name, unescape(value))
			return nil
		}},
		{Short: 'f', Value: builtin.Add(&o.progFiles)},
		{Long: "version", Flag: builtin.Set(&o.version)}, {Short: 'W', Flag: builtin.Set(&o.version)},
	}
}

// Run is the awk command.
func Run(e *builtin.Env) int {
	var o options
	args, err := builtin.Parse(builtin.POSIX, o.table(), e.Args[1:])
	if u, ok := err.(*builtin.UsageError); ok {
		switch u.Problem {
		case builtin.Invalid:
			fmt.Fprintf(e.Stderr, "awk: %v\n", u.Err)
			return 2
		case builtin.Unknown:
			fmt.Fprintf(e.Stderr, "awk: not an option: %s\n", u.Word)
			return 2
		}
		return usage(e)
	}
	if o.version {
		fmt.Fprintln(e.Stdout, "awk (GoAWK) 1.31.0")
		return 0
	}
	src, args, ok := program(e, o.progFiles, args)
	if !ok {
		return 2
	}
	prog, funcs, ok := compile(e, src)
	if !ok {
		return 2
	}
	var stdin bytes.Buffer
	assigns, files, status := readInputs(e, args, &stdin, &o.vars)
	if status >= 0 {
		return status
	}
	in := e.Stdin
	if files > 0 || in == nil {
		in = &stdin
	}
	return execute(e, prog, funcs, &interp.Config{
		Stdin: in, Error: e.Stderr, Argv0: "awk", Args: assigns, Vars: o.vars,
		NoExec: true, NoFileWrites: true, NoFileReads: true,
		Environ: append([]string{}, envPairs(e.Environ)...), Funcs: funcs,
	})
}

// program is the source of -f files, or else the first operand, and the operands after it.
func program(e *builtin.Env, progFiles, args []string) ([]byte, []string, bool) {
	if len(progFiles) == 0 {
		if len(args) == 0 {
			usage(e)
			return nil, nil, false
		}
		return []byte(args[0]), args[1:], true
	}
	var src []byte
	for _, f := range progFiles {
		b, err := e.ReadFile(f)
		if err != nil {
			fmt.Fprintf(e.Stderr, "awk: couldn't open file %s: %s\n", f, builtin.Reason(err))
			return nil, nil, false
		}
		src = append(append(src, b...), '\n')
	}
	return src, args, true
}

// compile parses the program and instruments its loops with the run's checkpoint (see
// instrument); a program that does not parse is reported as awk does.
func compile(e *builtin.Env, src []byte) (*parser.Program, map[string]any, bool) {
	prog, err := parser.ParseProgram(src, nil)
	if err != nil {
		var pe *parser.ParseError
		if errors.As(err, &pe) {
			fmt.Fprintf(e.Stderr, "awk: line %d: %s\n", pe.Position.Line, pe.Message)
		} else {
			fmt.Fprintf(e.Stderr, "awk: %v\n", err)
		}
		return nil, nil, false
	}
	funcs := map[string]any{pollFunc: func() (int, error) {
		if r := e.Run(); r != nil {
			return 0, r.Poll()
		}
		if e.Ctx != nil {
			return 0, e.Ctx.Err()
		}
		return 0, nil
	}}
	if src2, ok := instrument(src, prog); ok {
		if prog2, err := parser.ParseProgram(src2, &parser.ParserConfig{Funcs: funcs}); err == nil {
			prog = prog2
		}
	}
	return prog, funcs, true
}

// readInputs reads the file operands from the session's files into stdin: goawk would open
// them itself. Operands of the form var=value are returned as assignments; FILENAME is right
// for a single file. It returns how many files there were, and an exit status when awk must
// stop (-1 otherwise).
func readInputs(e *builtin.Env, args []string, stdin *bytes.Buffer, vars *[]string) ([]string, int, int) {
	var assigns []string
	files := 0
	for _, a := range args {
		if assignment().MatchString(a) {
			assigns = append(assigns, a)
			continue
		}
		files++
		data, err := e.ReadFile(a)
		if err != nil {
			fmt.Fprintf(e.Stderr, "awk: cannot open \"%s\" (%s)\n", a, builtin.Reason(err))
			return nil, 0, 2
		}
		if err := e.Fits(int64(stdin.Len()+len(data)), "awk's input files"); err != nil {
			return nil, 0, 130 // the run is stopped
		}
		stdin.Write(data)
		if a != "-" {
			*vars = append(*vars, "FILENAME", a)
		}
	}
	return assigns, files, -1
}

// execute runs the program with goawk and returns awk's exit status.
func execute(e *builtin.Env, prog *parser.Program, funcs map[string]any, cfg *interp.Config) int {
	var out bytes.Buffer
	cfg.Output = &limited{w: &out, e: e}
	ip, err := interp.New(prog)
	if err != nil {
		fmt.Fprintf(e.Stderr, "awk: %v\n", err)
		return 2
	}
	ctx := e.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	status, err := ip.ExecuteContext(awkCtx{ctx}, cfg)
	e.Stdout.Write(out.Bytes())
	if e.Ctx != nil && e.Ctx.Err() != nil {
		return 130 // stopped by the shell (a limit, Ctrl-C): not awk's error to report
	}
	if err != nil {
		fmt.Fprintf(e.Stderr, "awk: %v\n", err)
		return 2
	}
	return status
}

func envPairs(environ []string) []string {
	var out []string
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		out = append(out, k, v)
	}
	return out
}

// limited flushes awk's output in chunks so a runaway program hits the session's output limit.
type limited struct {
	w *bytes.Buffer
	e *builtin.Env
}

func (l *limited) Write(p []byte) (int, error) {
	if l.e.Cancelled() {
		return 0, l.e.Ctx.Err()
	}
	n, _ := l.w.Write(p)
	if l.w.Len() > 64<<10 {
		if _, err := l.e.Stdout.Write(l.w.Bytes()); err != nil {
			return 0, err
		}
		l.w.Reset()
	}
	return n, nil
}

// unescape applies awk's escapes to a -v value, as awk does.
func unescape(s string) string {
	r := strings.NewReplacer(`\n`, "\n", `\t`, "\t", `\\`, `\`, `\"`, `"`, `\/`, "/", `\r`, "\r")
	return r.Replace(s)
}
