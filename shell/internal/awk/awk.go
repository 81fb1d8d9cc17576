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

	"github.com/benhoyt/goawk/interp"
	"github.com/benhoyt/goawk/parser"

	"github.com/imdsplay/imdsplay/shell/internal/builtin"
)

var assignment = regexp.MustCompile(`^[_a-zA-Z][_a-zA-Z0-9]*=`)

func usage(e *builtin.Env) int {
	fmt.Fprintln(e.Stderr, "usage: awk [-F value] [-v var=value] [--] 'prog' [file ...]")
	fmt.Fprintln(e.Stderr, "       awk [-F value] [-v var=value] -f progfile [file ...]")
	return 2
}

// Run is the awk command.
func Run(e *builtin.Env) int {
	args := e.Args[1:]
	var vars []string
	var progFiles []string
	fs := ""
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		val := func(opt string) (string, bool) {
			if len(a) > len(opt) {
				return a[len(opt):], true
			}
			if i+1 < len(args) {
				i++
				return args[i], true
			}
			return "", false
		}
		switch {
		case strings.HasPrefix(a, "-F"):
			v, ok := val("-F")
			if !ok {
				return usage(e)
			}
			if v == "t" {
				v = "\t"
			}
			fs = v
		case strings.HasPrefix(a, "-v"):
			v, ok := val("-v")
			if !ok || !strings.Contains(v, "=") {
				fmt.Fprintf(e.Stderr, "awk: improper assignment: -v %s\n", v)
				return 2
			}
			name, value, _ := strings.Cut(v, "=")
			vars = append(vars, name, unescape(value))
		case strings.HasPrefix(a, "-f"):
			v, ok := val("-f")
			if !ok {
				return usage(e)
			}
			progFiles = append(progFiles, v)
		case a == "--version" || a == "-W":
			fmt.Fprintln(e.Stdout, "awk (GoAWK) 1.31.0")
			return 0
		default:
			fmt.Fprintf(e.Stderr, "awk: not an option: %s\n", a)
			return 2
		}
	}
	args = args[i:]
	var src []byte
	if len(progFiles) > 0 {
		for _, f := range progFiles {
			b, err := e.ReadFile(f)
			if err != nil {
				fmt.Fprintf(e.Stderr, "awk: couldn't open file %s: %s\n", f, builtin.Reason(err))
				return 2
			}
			src = append(append(src, b...), '\n')
		}
	} else {
		if len(args) == 0 {
			return usage(e)
		}
		src, args = []byte(args[0]), args[1:]
	}
	prog, err := parser.ParseProgram(src, nil)
	if err != nil {
		var pe *parser.ParseError
		if errors.As(err, &pe) {
			fmt.Fprintf(e.Stderr, "awk: line %d: %s\n", pe.Position.Line, pe.Message)
		} else {
			fmt.Fprintf(e.Stderr, "awk: %v\n", err)
		}
		return 2
	}
	if fs != "" {
		vars = append(vars, "FS", fs)
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

	// goawk would open input files itself; read them here from the session's files instead and
	// pass their concatenation as standard input. FILENAME is right for a single file.
	var stdin bytes.Buffer
	var assigns []string
	files := 0
	for _, a := range args {
		if assignment.MatchString(a) {
			assigns = append(assigns, a)
			continue
		}
		files++
		data, err := e.ReadFile(a)
		if err != nil {
			fmt.Fprintf(e.Stderr, "awk: cannot open \"%s\" (%s)\n", a, builtin.Reason(err))
			return 2
		}
		if err := e.Fits(int64(stdin.Len()+len(data)), "awk's input files"); err != nil {
			return 130
		}
		stdin.Write(data)
		if a != "-" {
			vars = append(vars, "FILENAME", a)
		}
	}
	var in = e.Stdin
	if files > 0 {
		in = &stdin
	} else if in == nil {
		in = &stdin
	}
	var out bytes.Buffer
	ip, err := interp.New(prog)
	if err != nil {
		fmt.Fprintf(e.Stderr, "awk: %v\n", err)
		return 2
	}
	ctx := e.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	status, err := ip.ExecuteContext(awkCtx{ctx}, &interp.Config{
		Stdin:        in,
		Output:       &limited{w: &out, e: e},
		Error:        e.Stderr,
		Argv0:        "awk",
		Args:         assigns,
		Vars:         vars,
		NoExec:       true,
		NoFileWrites: true,
		NoFileReads:  true,
		Environ:      append([]string{}, envPairs(e.Environ)...),
		Funcs:        funcs,
	})
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
