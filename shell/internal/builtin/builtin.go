// Package builtin defines what every external command of the shell sees when it runs: its
// arguments, its standard streams, the session's in-memory files and the environment. The shell
// package fills an Env from mvdan.cc/sh's handler context and calls a Func; each command lives in
// its own small package and knows nothing of the interpreter.
package builtin

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/imdsplay/imdsplay/shell/internal/limit"
	"github.com/imdsplay/imdsplay/shell/internal/memfs"
)

// Func runs one command and returns its exit status.
type Func func(env *Env) int

// Env is one command's view of the world.
type Env struct {
	Ctx    context.Context
	Args   []string // Args[0] is the command name
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// StdoutIsTerminal reports whether Stdout is the session's own output (not a pipe, a file or
	// a command substitution); curl and jq change their behaviour on it like the real tools.
	StdoutIsTerminal bool
	Dir              string
	FS               *memfs.FS
	Getenv           func(name string) string
	Environ          []string // the exported variables as NAME=value
}

// Name is the command name as typed, without any directory.
func (e *Env) Name() string {
	n := e.Args[0]
	if i := strings.LastIndexByte(n, '/'); i >= 0 {
		n = n[i+1:]
	}
	return n
}

// Path resolves name against the working directory.
func (e *Env) Path(name string) string { return memfs.Resolve(e.Dir, name) }

// ReadFile reads a file named on the command line; "-" is standard input.
func (e *Env) ReadFile(name string) ([]byte, error) {
	if name == "-" {
		return e.ReadStdin()
	}
	if name == "/dev/null" {
		return nil, nil
	}
	if name == "/dev/stdin" {
		return e.ReadStdin()
	}
	return e.FS.ReadFile(e.Path(name))
}

// WriteFile writes a file named on the command line; "-" and /dev/stdout are standard output,
// /dev/stderr standard error and /dev/null discards.
func (e *Env) WriteFile(name string, data []byte, perm fs.FileMode) error {
	switch name {
	case "-", "/dev/stdout":
		_, err := e.Stdout.Write(data)
		return err
	case "/dev/stderr":
		_, err := e.Stderr.Write(data)
		return err
	case "/dev/null":
		return nil
	}
	return e.FS.WriteFile(e.Path(name), data, perm)
}

// MaxStdin bounds how much a command reads whole from its standard input when it runs outside
// a bounded run; within one, the run's buffer limit (limit.Limits.Buffer) does.
const MaxStdin = 16 << 20

// ReadStdin reads standard input to the end (empty when there is none). Input past the run's
// buffer limit stops the run (see Fits) and returns its cause.
func (e *Env) ReadStdin() ([]byte, error) {
	if e.Stdin == nil {
		return nil, nil
	}
	max := int64(MaxStdin)
	run := e.Run()
	if run != nil {
		max = run.Limits().Buffer()
	}
	var rd io.Reader = ctxReader{e.Ctx, e.Stdin}
	if max > 0 {
		rd = io.LimitReader(rd, max+1)
	}
	b, err := io.ReadAll(rd)
	if errors.Is(err, os.ErrClosed) {
		err = nil
	}
	if max > 0 && int64(len(b)) > max {
		b = b[:max]
		if err := e.Fits(max+1, e.Name()+"'s standard input"); err != nil {
			return b, err
		}
	}
	return b, err
}

// Run is the bounded run the command belongs to, nil outside one.
func (e *Env) Run() *limit.Run { return limit.FromContext(e.Ctx) }

// Fits checks that a buffer of n bytes the command is about to hold stays within the run's
// buffer limit; past it, the run stops with a message naming what (e.g. "jq's standard
// input") and Fits returns the cause. Outside a bounded run it returns nil.
func (e *Env) Fits(n int64, what string) error {
	if r := e.Run(); r != nil {
		return r.Fits(n, what)
	}
	return nil
}

// Lines returns a scanner over standard input that stops when the command is cancelled.
func (e *Env) Lines() *bufio.Reader {
	if e.Stdin == nil {
		return bufio.NewReader(strings.NewReader(""))
	}
	return bufio.NewReader(ctxReader{e.Ctx, e.Stdin})
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if c.ctx != nil {
		limit.Pace()
		if err := c.ctx.Err(); err != nil {
			return 0, err
		}
	}
	return c.r.Read(p)
}

// Errorf writes "name: message" and a newline to standard error.
func (e *Env) Errorf(format string, args ...any) {
	fmt.Fprintf(e.Stderr, e.Name()+": "+format+"\n", args...)
}

// FileError writes a coreutils-style "name: file: reason" message for err.
func (e *Env) FileError(file string, err error) {
	e.Errorf("%s: %s", file, Reason(err))
}

// Reason extracts the C-library wording from a filesystem error.
func Reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Cancelled reports whether the command's context is done. Loops call it, so it is also a
// checkpoint of the run's limits and lets the browser's event loop run (see limit.Pace).
func (e *Env) Cancelled() bool {
	limit.Pace()
	return e.Ctx != nil && e.Ctx.Err() != nil
}
