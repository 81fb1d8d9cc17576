package shell

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/shell/internal/awk"
	"github.com/imdsplay/imdsplay/shell/internal/builtin"
	"github.com/imdsplay/imdsplay/shell/internal/coreutils"
	"github.com/imdsplay/imdsplay/shell/internal/curl"
	"github.com/imdsplay/imdsplay/shell/internal/ibmcloud"
	"github.com/imdsplay/imdsplay/shell/internal/jq"
	"github.com/imdsplay/imdsplay/shell/internal/limit"
	"github.com/imdsplay/imdsplay/shell/internal/memfs"
	"github.com/imdsplay/imdsplay/shell/internal/openssl"
)

// shellOnly prefixes the names of the session's versions of shell builtins (type, history,
// command -v) in the command table. call rewrites a builtin's name to the prefixed one; no
// typed word can contain the NUL byte, so a learner can never run them by name, and which,
// type and /usr/bin/NAME do not see them as installed programs.
const shellOnly = "\x00"

// isShellOnly reports whether name is one of the session's shell-builtin versions.
func isShellOnly(name string) bool { return strings.HasPrefix(name, shellOnly) }

// commands builds the table of external commands the session has.
func (s *Session) commands(user string) map[string]builtin.Func {
	tr := s.transport()
	cmds := coreutils.Commands(coreutils.Options{
		Now: s.clock.Now, Advance: s.clock.Advance, Hostname: s.cfg.Hostname, User: user,
	})
	c := &curl.Client{Transport: tr, Now: s.clock.Now, Addr: addr}
	cmds["curl"] = c.Run
	cmds["jq"] = jq.Run
	cmds["awk"] = awk.Run
	cmds["gawk"] = awk.Run
	cmds["mawk"] = awk.Run
	o := &openssl.Tool{KeySource: s.cfg.KeySource, Now: s.clock.Now}
	cmds["openssl"] = o.Run
	if s.cfg.Place == imds.OnWorkstation {
		ibm := &ibmcloud.CLI{Transport: tr, Now: s.clock.Now, State: &ibmcloud.State{Token: s.cfg.Login, Account: s.cfg.Account}}
		cmds["ibmcloud"] = ibm.Run
		cmds["ic"] = ibm.Run
	}
	cmds["bash"] = s.shCommand
	cmds["sh"] = s.shCommand
	cmds["xargs"] = s.xargs
	cmds[shellOnly+"history"] = s.historyCommand
	cmds["which"] = s.which
	cmds[shellOnly+"type"] = s.typeCommand
	cmds[shellOnly+"command"] = s.commandV
	cmds[pipeCmd] = s.pipeStatus
	cmds[timeCmd] = s.timeCommand
	cmds[refuseCommand] = func(e *builtin.Env) int {
		fmt.Fprintln(e.Stderr, e.Args[1])
		return 1
	}
	cmds[shellOnly+"help"] = s.helpCommand
	return cmds
}

// binPath is where a command "is installed".
func (s *Session) binPath(name string) string {
	if name == "ibmcloud" || name == "ic" {
		return "/usr/local/bin/" + name
	}
	return "/usr/bin/" + name
}

var binDirs = []string{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}

func (s *Session) execMiddleware(interp.ExecHandlerFunc) interp.ExecHandlerFunc {
	return s.exec
}

// exec runs one external command.
func (s *Session) exec(ctx context.Context, args []string) error {
	hc := interp.HandlerCtx(ctx)
	name := args[0]
	f, ok := s.cmds[name]
	if strings.Contains(name, "/") {
		dir, base := path.Split(name)
		if _, known := s.cmds[base]; known && slices.Contains(binDirs, path.Clean(dir)) && !isShellOnly(base) {
			f, ok = s.cmds[base], true
		} else {
			return s.runFile(ctx, hc, name, args)
		}
	}
	if !ok {
		fmt.Fprintf(hc.Stderr, "%s: command not found\n", name)
		if near := s.suggest(name); near != "" {
			fmt.Fprintf(hc.Stderr, "did you mean %s? (help lists the commands this shell has)\n", near)
		}
		return interp.ExitStatus(StatusNotFound)
	}
	s.cmu.Lock()
	term := s.termOut
	s.cmu.Unlock()
	stdout := hc.Stdout
	if sb, ok := stdout.(*strings.Builder); ok {
		// A command substitution collects the output in memory.
		stdout = &captured{sb: sb, ctx: ctx}
	}
	env := &builtin.Env{
		Ctx: ctx, Args: args, Stdin: stdin(hc.Stdin), Stdout: stdout, Stderr: hc.Stderr,
		StdoutIsTerminal: term != nil && hc.Stdout == io.Writer(term),
		Dir:              hc.Dir, FS: s.fs,
		Getenv:  func(n string) string { return hc.Env.Get(n).String() },
		Environ: environ(hc.Env),
	}
	if isShellOnly(name) {
		env.Args = append([]string{strings.TrimPrefix(name, shellOnly)}, args[1:]...)
	}
	status := runCommand(env, f)
	s.status.ran(name)
	if err := ctx.Err(); err != nil {
		return err
	}
	if status == 0 {
		return nil
	}
	return interp.ExitStatus(uint8(status))
}

// panicStacks adds the stack to internal errors (tests set it).
var panicStacks = false

// runCommand runs one command, turning a panic into an internal error: "imds sh: NAME: internal
// error: …" and StatusInternal, instead of a crashed page.
func runCommand(e *builtin.Env, f builtin.Func) (status int) {
	defer func() {
		if p := recover(); p != nil {
			msg := fmt.Sprint(p)
			if panicStacks {
				msg += "\n" + string(debug.Stack())
			}
			fmt.Fprintf(e.Stderr, "imds sh: %s: internal error: %s\n", e.Name(), msg)
			status = StatusInternal
		}
	}()
	return f(e)
}

// captured is the standard output of a command inside a command substitution, which the
// interpreter collects in a strings.Builder: it stops the run before that grows past the
// buffer limit.
type captured struct {
	sb  *strings.Builder
	ctx context.Context
}

func (c *captured) Write(p []byte) (int, error) {
	if run := limit.FromContext(c.ctx); run != nil {
		if err := run.Fits(int64(c.sb.Len()+len(p)), "the output of a command substitution"); err != nil {
			return 0, err
		}
	}
	return c.sb.Write(p)
}

// handlers are the interpreter's hooks into the session, the same for the session's own shell
// and for the child shells of scripts and bash -c.
func (s *Session) handlers() []interp.RunnerOption {
	return []interp.RunnerOption{
		interp.ExecHandlers(s.execMiddleware),
		interp.CallHandler(s.call),
		interp.OpenHandler(s.open),
		interp.StatHandler(s.stat),
		interp.ReadDirHandler2(s.readDir),
		interp.AccessHandler(s.access),
	}
}

// runFile runs ./script.sh: a file of the session that is executable runs as a bash script.
func (s *Session) runFile(ctx context.Context, hc interp.HandlerContext, name string, args []string) error {
	p := memfs.Resolve(hc.Dir, name)
	fi, err := s.fs.Stat(p)
	switch {
	case err != nil:
		fmt.Fprintf(hc.Stderr, "bash: %s: No such file or directory\n", name)
		return interp.ExitStatus(StatusNotFound)
	case fi.IsDir():
		fmt.Fprintf(hc.Stderr, "bash: %s: Is a directory\n", name)
		return interp.ExitStatus(126)
	case fi.Mode().Perm()&0o111 == 0:
		fmt.Fprintf(hc.Stderr, "bash: %s: Permission denied\n", name)
		return interp.ExitStatus(126)
	}
	src, _ := s.fs.ReadFile(p)
	return s.script(ctx, hc, src, name, args[1:], nil)
}

// script runs src in a child shell that shares the session's commands and files, inheriting
// the exported environment, as bash does for a script or `bash -c`.
func (s *Session) script(ctx context.Context, hc interp.HandlerContext, src []byte, name string, params []string, opts []string) error {
	file, err := syntax.NewParser().Parse(strings.NewReader(string(src)), name)
	if err != nil {
		fmt.Fprintln(hc.Stderr, syntaxMessage(err, string(src)))
		return interp.ExitStatus(StatusSyntax)
	}
	if msg := prepare(file.Stmts); msg != "" {
		fmt.Fprintln(hc.Stderr, msg)
		return interp.ExitStatus(1)
	}
	s.instrument(file.Stmts)
	r, err := s.newRunner(environ(hc.Env), int(s.lastPID.Add(1)), pidOf(hc),
		setDir(hc.Dir),
		interp.Params(append(opts, append([]string{"--"}, params...)...)...),
		interp.StdIO(stdin(hc.Stdin), hc.Stdout, hc.Stderr),
	)
	if err != nil {
		fmt.Fprintf(hc.Stderr, "bash: %v\n", err)
		return interp.ExitStatus(2)
	}
	err = r.Run(ctx, file)
	if e := ctx.Err(); e != nil {
		return e
	}
	if st := exitStatus(err); st != 0 {
		return interp.ExitStatus(uint8(st))
	}
	return nil
}

// shCommand is bash/sh: -c 'script', a script file, or a script on standard input.
func (s *Session) shCommand(e *builtin.Env) int {
	hc := interp.HandlerCtx(e.Ctx)
	args := e.Args[1:]
	var opts []string
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "-" && args[0] != "-c" {
		switch args[0] {
		case "-e", "-u", "-x", "-o", "+e", "-eu", "-ex", "-eux", "-l", "-i", "--login", "--norc", "--noprofile":
			if args[0] == "-o" && len(args) > 1 {
				opts = append(opts, "-o", args[1])
				args = args[2:]
				continue
			}
			if !strings.Contains("-l -i --login --norc --noprofile", args[0]) {
				opts = append(opts, args[0])
			}
			args = args[1:]
		default:
			fmt.Fprintf(e.Stderr, "%s: %s: invalid option\n", e.Name(), args[0])
			return 2
		}
	}
	var err error
	switch {
	case len(args) > 0 && args[0] == "-c":
		if len(args) < 2 {
			fmt.Fprintf(e.Stderr, "%s: -c: option requires an argument\n", e.Name())
			return 2
		}
		name := e.Name()
		params := []string{}
		if len(args) > 2 {
			name, params = args[2], args[3:]
		}
		err = s.script(e.Ctx, hc, []byte(args[1]), name, params, opts)
	case len(args) > 0:
		src, rerr := e.ReadFile(args[0])
		if rerr != nil {
			fmt.Fprintf(e.Stderr, "%s: %s: %s\n", e.Name(), args[0], builtin.Reason(rerr))
			return 127
		}
		err = s.script(e.Ctx, hc, src, args[0], args[1:], opts)
	default:
		src, _ := e.ReadStdin()
		err = s.script(e.Ctx, hc, src, e.Name(), nil, opts)
	}
	if err != nil && e.Ctx.Err() != nil {
		return StatusInterrupt
	}
	return exitStatus(err)
}

// xargs builds command lines from standard input and runs them.
func (s *Session) xargs(e *builtin.Env) int {
	n, repl := 0, ""
	// GNU xargs stops reading options at the command it is to run.
	args, err := builtin.Parse(builtin.Syntax{Cluster: true, Equals: true, Abbrev: true}, append([]builtin.Option{
		{Short: 'n', Long: "max-args", Value: func(v string) error {
			var err error
			if n, err = strconv.Atoi(v); err != nil || n < 1 {
				return fmt.Errorf("invalid number \"%s\" for -n option", v)
			}
			return nil
		}},
		{Short: 'I', Value: builtin.Str(&repl)},
		{Short: 'r', Long: "no-run-if-empty", Flag: builtin.Ignore},
	}, builtin.Refused("t/verbose 0/null P/max-procs d/delimiter L/max-lines")...), e.Args[1:])
	if err != nil {
		return e.Usage(err, 1)
	}
	if len(args) == 0 {
		args = []string{"echo"}
	}
	data, _ := e.ReadStdin()
	var items []string
	if repl != "" {
		items = strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		n = 1
	} else {
		items = strings.Fields(string(data))
	}
	if len(items) == 0 {
		return 0
	}
	if n <= 0 {
		n = len(items)
	}
	status := 0
	for i := 0; i < len(items); i += n {
		batch := items[i:min(i+n, len(items))]
		var line []string
		if repl != "" {
			for _, a := range args {
				line = append(line, strings.ReplaceAll(a, repl, batch[0]))
			}
		} else {
			line = append(append(line, args...), batch...)
		}
		hc := interp.HandlerCtx(e.Ctx)
		if f, ok := s.cmds[line[0]]; ok {
			env := *e
			env.Args = line
			env.Stdin = nil
			if st := runCommand(&env, f); st != 0 {
				status = 123
			}
			continue
		}
		if interp.IsBuiltin(line[0]) && line[0] == "echo" {
			fmt.Fprintln(e.Stdout, strings.Join(line[1:], " "))
			continue
		}
		fmt.Fprintf(hc.Stderr, "xargs: %s: No such file or directory\n", line[0])
		return 127
	}
	return status
}

func (s *Session) historyCommand(e *builtin.Env) int {
	var b strings.Builder
	for i, h := range s.history {
		fmt.Fprintf(&b, "%5d  %s\n", i+1, h)
	}
	io.WriteString(e.Stdout, b.String())
	return 0
}

func (s *Session) which(e *builtin.Env) int {
	status := 0
	for _, n := range e.Args[1:] {
		if strings.HasPrefix(n, "-") {
			continue
		}
		if _, ok := s.cmds[n]; ok && !isShellOnly(n) {
			fmt.Fprintln(e.Stdout, s.binPath(n))
		} else {
			status = 1
		}
	}
	return status
}

// kind says what a command name is, for type and command -v.
func (s *Session) kind(name string) string {
	switch {
	case syntax.IsKeyword(name):
		return "keyword"
	case s.runner.Funcs[name] != nil:
		return "function"
	case interp.IsBuiltin(name) || name == "type" || name == "command":
		return "builtin"
	}
	if _, ok := s.cmds[name]; ok && !isShellOnly(name) {
		return "file"
	}
	return ""
}

func (s *Session) typeCommand(e *builtin.Env) int {
	mode := ""
	status := 0
	for _, a := range e.Args[1:] {
		if a == "-t" || a == "-p" || a == "-P" || a == "-a" {
			mode = a
			continue
		}
		k := s.kind(a)
		switch {
		case k == "":
			if mode != "-t" && mode != "-p" {
				fmt.Fprintf(e.Stderr, "bash: type: %s: not found\n", a)
			}
			status = 1
		case mode == "-t":
			fmt.Fprintln(e.Stdout, k)
		case mode == "-p" || mode == "-P":
			if k == "file" {
				fmt.Fprintln(e.Stdout, s.binPath(a))
			}
		case k == "keyword":
			fmt.Fprintf(e.Stdout, "%s is a shell keyword\n", a)
		case k == "function":
			fmt.Fprintf(e.Stdout, "%s is a function\n", a)
		case k == "builtin":
			fmt.Fprintf(e.Stdout, "%s is a shell builtin\n", a)
		default:
			fmt.Fprintf(e.Stdout, "%s is %s\n", a, s.binPath(a))
		}
	}
	return status
}

// commandV is `command -v` / `command -V`.
func (s *Session) commandV(e *builtin.Env) int {
	verbose := e.Args[1] == "-V"
	status := 0
	for _, a := range e.Args[2:] {
		k := s.kind(a)
		switch {
		case k == "":
			if verbose {
				fmt.Fprintf(e.Stderr, "bash: command: %s: not found\n", a)
			}
			status = 1
		case verbose:
			e.Args = []string{"type", a}
			s.typeCommand(e)
		case k == "file":
			fmt.Fprintln(e.Stdout, s.binPath(a))
		default:
			fmt.Fprintln(e.Stdout, a)
		}
	}
	return status
}

// open is the shell's OpenHandler: redirections use the session's files.
func (s *Session) open(ctx context.Context, name string, flag int, perm os.FileMode) (io.ReadWriteCloser, error) {
	hc := interp.HandlerCtx(ctx)
	if strings.HasPrefix(name, sourcePrefix) {
		if f, ok := s.openSource(name); ok {
			return f, nil
		}
	}
	switch name {
	case "/dev/null":
		return devNull{}, nil
	case "/dev/stdout":
		return nopCloser{hc.Stdout}, nil
	case "/dev/stderr":
		return nopCloser{hc.Stderr}, nil
	}
	f, err := s.fs.OpenFile(memfs.Resolve(hc.Dir, name), flag, perm)
	if err != nil {
		return nil, &os.PathError{Op: "bash:", Path: name, Err: reason(err)}
	}
	return f, nil
}

func reason(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

func (s *Session) stat(ctx context.Context, name string, _ bool) (fs.FileInfo, error) {
	hc := interp.HandlerCtx(ctx)
	return s.fs.Stat(memfs.Resolve(hc.Dir, name))
}

func (s *Session) readDir(ctx context.Context, name string) ([]fs.DirEntry, error) {
	hc := interp.HandlerCtx(ctx)
	return s.fs.ReadDir(memfs.Resolve(hc.Dir, name))
}

func (s *Session) access(ctx context.Context, name string, mode interp.AccessMode) error {
	fi, err := s.fs.Stat(name)
	if err != nil {
		return err
	}
	if mode&interp.AccessExec != 0 && !fi.IsDir() && fi.Mode().Perm()&0o111 == 0 {
		return &fs.PathError{Op: "access", Path: name, Err: fs.ErrPermission}
	}
	return nil
}

type devNull struct{}

func (devNull) Read([]byte) (int, error)    { return 0, io.EOF }
func (devNull) Write(p []byte) (int, error) { return len(p), nil }
func (devNull) Close() error                { return nil }

type nopCloser struct{ w io.Writer }

func (n nopCloser) Read([]byte) (int, error)    { return 0, io.EOF }
func (n nopCloser) Write(p []byte) (int, error) { return n.w.Write(p) }
func (nopCloser) Close() error                  { return nil }
