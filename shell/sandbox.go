package shell

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"

	"github.com/imdsplay/imdsplay/shell/internal/limit"
	"github.com/imdsplay/imdsplay/shell/internal/memfs"
)

// The interpreter reaches the host in a few places its handlers do not cover (mvdan.cc/sh
// v3.14.1); each is closed here, by construction rather than by a list of forbidden words:
//
//   - Runner.open hands a path straight to os.OpenFile, bypassing the open handler, when it
//     lies in the runner's temporary directory and starts with "sh-interp-" (the named pipes
//     of process substitution), and process substitution makes those pipes there with
//     mkfifo. The directory is read once, from $TMPDIR, when a runner is first reset. Every
//     runner of the session is reset with noTempDir, a path with a NUL byte: no path equal
//     to it can be opened or made (the system refuses names with NUL before any system
//     call), whatever TMPDIR a script sets, in the session or in a child bash.
//   - type, command -v and source look commands and scripts up in the host's $PATH with
//     os.Stat, and pwd -P resolves symbolic links on the host; the call handler sends them to
//     the session's versions (see call).
//   - eval, source, trap and alias parse code at run time, after prepare checked the script;
//     the call handler prepares that code too (see prepare.go).
//   - A runner reads the host's user and process IDs, and $HOME, for the variables its
//     environment lacks; startEnv supplies the session's.

// noTempDir is the temporary directory of every runner (see above).
const noTempDir = "/\x00imds-sh-has-no-temporary-directory"

// Process IDs the session shows for $$ and $PPID: the session's shell, the terminal it runs
// in, and a new one for each child bash.
const (
	sessionPID  = 4242
	terminalPID = 4241
)

// startEnv is the environment a runner starts from: the variables it inherits, and the
// values the interpreter would otherwise read from the host.
type startEnv struct {
	expand.Environ
	resetting bool // true while the runner is first reset: TMPDIR reads as noTempDir
	pid, ppid int
	uid       string
}

func strVar(s string) expand.Variable {
	return expand.Variable{Set: true, Kind: expand.String, Str: s}
}

func (e *startEnv) Get(name string) expand.Variable {
	switch name {
	case "TMPDIR":
		if e.resetting {
			return strVar(noTempDir)
		}
	case pidVar:
		return strVar(strconv.Itoa(e.pid))
	case ppidVar:
		return strVar(strconv.Itoa(e.ppid))
	}
	vr := e.Environ.Get(name)
	if vr.IsSet() {
		return vr
	}
	switch name {
	case "UID", "EUID", "GID":
		return strVar(e.uid)
	case "HOME":
		if e.resetting {
			return strVar("")
		}
	}
	return vr
}

// newRunner makes a runner with the session's handlers over env, reset at once with
// noTempDir (see above).
func (s *Session) newRunner(env []string, pid, ppid int, opts ...interp.RunnerOption) (*interp.Runner, error) {
	start := &startEnv{Environ: withPipeStatus{expand.ListEnviron(env...), &s.status}, resetting: true, pid: pid, ppid: ppid, uid: s.uid}
	r, err := interp.New(append(append(s.handlers(), interp.Env(start)), opts...)...)
	if err != nil {
		return nil, err
	}
	r.Reset()
	start.resetting = false
	return r, nil
}

// pidOf is the process ID a handler context's shell shows as $$.
func pidOf(hc interp.HandlerContext) int {
	n, _ := strconv.Atoi(hc.Env.Get(pidVar).String())
	return n
}

// sources holds the prepared text of the files that source is about to read, under the names
// the call handler gave them (see openSource).
type sources struct {
	mu   sync.Mutex
	next int
	m    map[string]string
}

// sourcePrefix starts the names of prepared sources: with a NUL byte, the interpreter's own
// look-up of the name in $PATH fails before any system call, and the open handler receives it.
const sourcePrefix = "\x00source:"

func (p *sources) add(text string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]string{}
	}
	p.next++
	name := sourcePrefix + strconv.Itoa(p.next)
	p.m[name] = text
	return name
}

func (p *sources) take(name string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.m[name]
	delete(p.m, name)
	return t, ok
}

// reset forgets the sources of a run that ended before reading them.
func (p *sources) reset() {
	p.mu.Lock()
	p.m = nil
	p.mu.Unlock()
}

// refuseCommand is the session's command that prints why a command line was refused
// (args[1]) and fails.
const refuseCommand = shellOnly + "refuse"

func refuse(msg string) []string { return []string{refuseCommand, msg} }

// call rewrites, before it runs, each command whose interpreter version would reach the host
// or run code prepare has not seen (see above), and runs the guards of prepared code.
func (s *Session) call(ctx context.Context, args []string) ([]string, error) {
	limit.Pace() // every simple command, so that busy shell loops stay interruptible in wasm
	if args[0] == guardName {
		return runGuard(ctx, args)
	}
	if run := limit.FromContext(ctx); run != nil {
		if err := run.Started(); err != nil {
			return nil, err
		}
	}
	s.checkVars(ctx)
	s.status.ran(args[0])
	// builtin NAME and command NAME run the builtin NAME: look at that one.
	i := 0
	for i+1 < len(args) && (args[i] == "builtin" || (args[i] == "command" && !strings.HasPrefix(args[i+1], "-"))) {
		i++
	}
	name, rest := args[i], args[i+1:]
	wrapped := i > 0
	switch name {
	case "type":
		if wrapped || s.runner.Funcs["type"] == nil {
			return append([]string{shellOnly + "type"}, rest...), nil
		}
	case "history":
		if wrapped || s.runner.Funcs["history"] == nil {
			return append([]string{shellOnly + "history"}, rest...), nil
		}
	case "help":
		if wrapped || s.runner.Funcs["help"] == nil {
			return append([]string{shellOnly + "help"}, rest...), nil
		}
	case "command":
		if len(rest) > 0 && (rest[0] == "-v" || rest[0] == "-V") {
			return append([]string{shellOnly + "command"}, rest...), nil
		}
	case "pwd":
		// The session has no symbolic links: the physical directory is the logical one.
		out := []string{"pwd"}
		for _, a := range rest {
			if a != "-P" {
				out = append(out, a)
			}
		}
		return out, nil
	case "eval":
		code, msg := prepareText(strings.Join(rest, " "))
		if msg != "" {
			return refuse(msg), nil
		}
		return []string{"eval", code}, nil
	case "source", ".":
		if len(rest) == 0 {
			return args, nil // the interpreter says it needs a file name
		}
		return s.source(ctx, name, rest), nil
	case "trap":
		if len(rest) >= 2 && !strings.HasPrefix(rest[0], "-") {
			code, msg := prepareText(rest[0])
			if msg != "" {
				return refuse(msg), nil
			}
			return append([]string{"trap", code}, rest[1:]...), nil
		}
	case "alias":
		out := []string{"alias"}
		for _, a := range rest {
			if n, v, ok := strings.Cut(a, "="); ok {
				w, msg := prepareWords(v)
				if msg != "" {
					return refuse(msg), nil
				}
				a = n + "=" + w
			}
			out = append(out, a)
		}
		return out, nil
	case "test", "[":
		return append(append(args[:i:i], name), ownerTests(rest)...), nil
	case "unset":
		for _, a := range rest {
			if a == "" {
				return refuse("bash: unset: `': not a valid identifier"), nil
			}
		}
	case "declare", "typeset", "local", "export", "readonly":
		if nameref(rest) {
			for _, a := range rest {
				if strings.HasSuffix(a, "=") && !strings.HasPrefix(a, "-") {
					return refuse(fmt.Sprintf("bash: %s: `': not a valid identifier", name)), nil
				}
			}
		}
	case "printf":
		if err := checkPrintf(ctx, rest); err != nil {
			return nil, err
		}
	}
	return args, nil
}

// source finds a script as bash's source does, in the session's files ($PATH first for a
// name without a slash, then the working directory), prepares it, and has the interpreter
// read the prepared text under a name only the open handler knows.
func (s *Session) source(ctx context.Context, name string, args []string) []string {
	hc := interp.HandlerCtx(ctx)
	file := args[0]
	p := memfs.Resolve(hc.Dir, file)
	if !strings.Contains(file, "/") {
		for _, dir := range strings.Split(hc.Env.Get("PATH").String(), ":") {
			if dir == "" {
				continue
			}
			if fi, err := s.fs.Stat(memfs.Resolve(dir, file)); err == nil && fi.Mode().IsRegular() {
				p = memfs.Resolve(dir, file)
				break
			}
		}
	}
	src, err := s.fs.ReadFile(p)
	if err != nil {
		return refuse(fmt.Sprintf("bash: %s: %s", file, reason(err)))
	}
	f, err := syntax.NewParser().Parse(strings.NewReader(string(src)), file)
	if err != nil {
		return refuse(syntaxMessage(err, string(src)))
	}
	if msg := prepare(f.Stmts); msg != "" {
		return refuse(msg)
	}
	return append([]string{name, s.sources.add(printNode(f))}, args[1:]...)
}

// openSource opens a prepared source (see source).
func (s *Session) openSource(name string) (io.ReadWriteCloser, bool) {
	text, ok := s.sources.take(name)
	if !ok {
		return nil, false
	}
	return textFile{strings.NewReader(text)}, true
}

// textFile is a read-only file of text.
type textFile struct{ *strings.Reader }

func (textFile) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }
func (textFile) Close() error              { return nil }

// nameref reports whether declare's options make references (-n).
func nameref(args []string) bool {
	for _, a := range args {
		if strings.HasPrefix(a, "-") && strings.Contains(a, "n") {
			return true
		}
	}
	return false
}

// ownerTests rewrites test's -O and -G (owned by the user, by the group) as -e: every file of
// the session is its user's, and the interpreter would read the host's user database (see
// prepare). An operand that happens to read -O is left alone. It also gives -v and -R a name
// no variable has in place of an empty one, on which the interpreter panics.
func ownerTests(args []string) []string {
	out := append([]string(nil), args...)
	end := len(out)
	if end > 0 && out[end-1] == "]" {
		end--
	}
	for i := 0; i+1 < end; i++ {
		unary := i == 0 || out[i-1] == "!" || out[i-1] == "(" || out[i-1] == "-a" || out[i-1] == "-o"
		switch {
		case !unary:
		case out[i] == "-O" || out[i] == "-G":
			out[i] = "-e"
		case (out[i] == "-v" || out[i] == "-R") && out[i+1] == "":
			out[i+1] = noVar // the interpreter panics on an empty name
		}
	}
	return out
}

// checkPrintf refuses a printf whose field widths or precisions would build more than a
// buffer: Go's fmt pads in memory before anything is written.
func checkPrintf(ctx context.Context, args []string) error {
	run := limit.FromContext(ctx)
	if run == nil || len(args) == 0 || run.Limits().Buffer() <= 0 {
		return nil
	}
	max := run.Limits().Buffer()
	format, rest := args[0], args[1:]
	if format == "--" && len(rest) > 0 {
		format, rest = rest[0], rest[1:]
	}
	width, convs, star := formatWidths(format)
	if star {
		for _, a := range rest {
			if n, err := strconv.ParseInt(strings.TrimSpace(a), 0, 64); err == nil && (n > max || -n > max) {
				width = max + 1
			}
		}
	}
	passes := int64(1)
	if convs > 0 {
		passes = int64((len(rest) + convs - 1) / convs)
	}
	if width > 0 && passes > 0 && width > max/passes {
		run.OverMemory(fmt.Sprintf("printf would build more than %s", limit.Bytes(max)))
		return errGuard
	}
	return nil
}

// formatWidths sums the field widths and precisions of a printf format, counts its
// conversions, and reports whether a width comes from an argument (*).
func formatWidths(f string) (sum int64, convs int, star bool) {
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		i++
		if i < len(f) && f[i] == '%' {
			continue
		}
		for i < len(f) && strings.IndexByte("-+ #0", f[i]) >= 0 {
			i++
		}
		for part := 0; part < 2 && i < len(f); part++ {
			if f[i] == '*' {
				star = true
				i++
			} else {
				j := i
				for i < len(f) && f[i] >= '0' && f[i] <= '9' {
					i++
				}
				if n, err := strconv.ParseInt(f[j:i], 10, 64); err == nil {
					sum += n
				} else if i > j {
					sum += 1 << 62
				}
			}
			if part == 0 && i < len(f) && f[i] == '.' {
				i++
				continue
			}
			break
		}
		convs++
	}
	return sum, convs, star
}
