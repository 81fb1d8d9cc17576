// Package shell runs documented shell snippets verbatim against the emulator, without forking
// a process, opening a socket or touching the real filesystem: every path the interpreter
// opens, stats or lists goes through the session's in-memory filesystem, and the few places
// where mvdan.cc/sh would reach the host by itself are closed (see sandbox.go and
// prepare.go; escape_test.go tries them).
//
// A Session is one shell: mvdan.cc/sh parses and interprets the script (quoting, expansion,
// pipes, redirections, $?, set -e, functions), and every external command is one of the
// builtins of this package — curl, jq, awk, openssl, base64, cut, ibmcloud and friends —
// reading and writing an in-memory filesystem that lives as long as the session. Network
// commands send their requests through Config.Transport, normally the emulator's in-process
// network as seen from an instance or from a workstation. Time is virtual: `sleep 300` moves
// Config.Clock forward at once, and a request that would time out ends at once with curl's
// timeout message after the clock has moved by the timeout.
//
// # Where a session runs
//
// Config.Place is "instance" (inside the virtual server, where the metadata host resolves) or
// "workstation" (a laptop on the internet with the ibmcloud CLI logged in, where only IAM and
// the VPC API resolve). The place picks the prompt, the preset variables and the commands that
// exist: ibmcloud is installed on the workstation only, as on a fresh instance image.
//
// # State between runs
//
// Variables, functions, options (set -e), the working directory and files persist from one
// Run to the next, as in one terminal. A script that calls exit ends only that Run.
//
// # Limits
//
// Every Run is bounded in real time, in output and in memory (Config.Limits; 60s, 4 MiB and
// 64 MiB by default). A run that hits a limit stops with a message on stderr that names it,
// "imds sh: script stopped: it used more than 64 MiB of memory (limit)", and status 124, and
// the session goes on. The limits reach inside awk and jq programs and every builtin's loops,
// also under js/wasm, where a busy loop cannot be preempted and instead hands the page's event
// loop a turn now and then, so that Ctrl-C (Interrupt) still works. A command that panics
// prints an internal error and returns StatusInternal rather than taking the page down.
package shell

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/vclock"
	"github.com/imdsplay/imdsplay/shell/internal/builtin"
	"github.com/imdsplay/imdsplay/shell/internal/limit"
	"github.com/imdsplay/imdsplay/shell/internal/memfs"
	"github.com/imdsplay/imdsplay/shell/internal/netsim"
)

// Config configures a Session. The zero value is a session on the instance with no network
// (every host fails to resolve), a clock that follows real time, and default limits.
type Config struct {
	// Transport carries every request of curl and ibmcloud, normally
	// (*imds.Emulator).Transport for the session's place. Its errors become curl's exit codes:
	// a *net.DNSError is 6, imds.ErrConnRefused 7, imds.ErrNoAnswer 28 after the clock has
	// moved by the client's timeout. Nil means no network.
	Transport http.RoundTripper
	// Clock is the virtual clock shared with the emulator. Nil means a clock that follows
	// real time.
	Clock *vclock.Clock
	// KeySource generates RSA keys for openssl. Nil means crypto/rsa.GenerateKey, with one key
	// of each size used generated ahead in the background (natively), so that only the first
	// `openssl req -newkey rsa:4096` of a process waits for prime search. The WebAssembly
	// build passes one backed by WebCrypto, because Go's RSA key generation is too slow there.
	KeySource func(ctx context.Context, bits int) (*rsa.PrivateKey, error)
	// Place is where the session runs: imds.OnInstance ("" means the instance) or
	// imds.OnWorkstation.
	Place imds.Place
	// Hostname is the machine's name, for hostname and uname -n. "" means
	// "my-virtual-server-2" (the default scenario's instance) on the instance and "laptop"
	// on the workstation.
	Hostname string
	// Env holds variables preset in the session, exported; they override the defaults. The
	// defaults are HOME, USER, PATH and friends (root in /root on the instance, learner in
	// /home/learner on the workstation) and the endpoints of the documentation:
	// vpc_metadata_api_endpoint=http://api.metadata.cloud.ibm.com on the instance;
	// vpc_api_endpoint=https://us-south.iaas.cloud.ibm.com and, when Login is set,
	// iam_token=Login on the workstation.
	Env map[string]string
	// Login is the IAM access token the ibmcloud command uses ("" means not logged in, and
	// ibmcloud says so). `ibmcloud login --apikey` replaces it within the session.
	Login string
	// Account is the account name ibmcloud prints in its messages ("" derives one from the
	// token's account ID).
	Account string
	// OnExchange, if set, is called after every HTTP exchange, from the goroutine running
	// the command (two commands of one pipeline may call it at the same time).
	OnExchange func(Exchange)
	// Limits bounds each Run.
	Limits Limits
}

// Limits bounds one Run (or one command line of Interactive). Zero fields mean the defaults.
// A run that hits a limit stops at once: the session prints why on stderr, as
//
//	imds sh: script stopped: it ran for more than 60s (limit)
//	imds sh: script stopped: it wrote more than 4 MiB of output (limit)
//	imds sh: script stopped: it used more than 64 MiB of memory (limit)
//	imds sh: script stopped: variable x took more than 16 MiB of memory (limit)
//	imds sh: script stopped: file /root/f would grow past 16 MiB (limit)
//
// and Run returns StatusLimit. The session stays usable: variables, files and the working
// directory are as the stopped command left them, but for a variable larger than the limit of
// one (see Memory), which is unset when the run ends, with a message, so that it does not stop
// every later run.
type Limits struct {
	// RunTime is the longest a Run may take in real time; default 60s. Virtual time (sleep,
	// timeouts) does not count. It is checked between statements, inside awk and jq programs
	// and in every builtin's loops, also under js/wasm where nothing preempts a busy loop.
	RunTime time.Duration
	// Output is the most bytes a Run may write to stdout and stderr together; default 4 MiB.
	Output int64
	// Memory bounds the memory a Run may take; default 64 MiB. It is the growth of the heap
	// and of goroutine stacks during the run, sampled every millisecond or so and confirmed
	// by a garbage collection, so that variables, arrays and the data of awk and jq programs
	// all count; a run may also have at most 1000 commands running at once. A quarter of it
	// (16 MiB by default) bounds exactly, before they are built, the expansions that can
	// multiply memory in one step ($x$x, ${x//a/$y}, brace expansion, array assignments,
	// printf's widths, jq's string repetition), and, when they would grow past it, any single
	// file, any variable (checked before commands), the output a command substitution
	// captures, the standard input a command reads whole (jq, base64, sort …), awk's input
	// files, curl's request and response bodies and base64's output. The session's files
	// together may hold Memory bytes, across runs.
	Memory int64
}

// Default limits.
const (
	DefaultRunTime = 60 * time.Second
	DefaultOutput  = 4 << 20
	DefaultMemory  = 64 << 20
)

// Exit statuses the session itself produces.
const (
	StatusSyntax    = 2   // the script does not parse
	StatusInternal  = 70  // a command failed inside the emulator (it panicked: a bug)
	StatusNotFound  = 127 // unknown command
	StatusLimit     = 124 // a limit stopped the run
	StatusInterrupt = 130 // the run was cancelled (Ctrl-C)
)

// Exchange is one HTTP exchange made by a command, for the playground's network panel.
type Exchange struct {
	Method         string
	URL            string
	RequestHeader  http.Header
	RequestBody    []byte
	Status         int // 0 when no response arrived (see Err)
	ResponseHeader http.Header
	ResponseBody   []byte
	Virtual        time.Duration // virtual time the exchange took (a timeout's wait)
	Real           time.Duration // real time spent in the emulator
	Err            error         // transport error: unknown host, refused, no answer
}

// Session is one shell. Its methods may be called from several goroutines, but runs are
// serialised: a Run waits for the previous one to end.
type Session struct {
	cfg    Config
	clock  *vclock.Clock
	fs     *memfs.FS
	home   string
	runner *interp.Runner
	cmds   map[string]builtin.Func

	mu      sync.Mutex // held for the duration of a Run
	history []string

	cmu     sync.Mutex
	dir     string     // the working directory as of the end of the last run
	cur     *limit.Run // the current run, nil between runs
	termOut *terminal  // the current run's stdout, to tell "is a terminal" apart
	// Interactive's state, for an Interrupt that arrives while it waits for input.
	replOut    io.Writer
	idlePrompt string
	discard    bool

	varsChecked atomic.Int64 // when checkVars last ran, in Unix nanoseconds
	status      statuses     // PIPESTATUS and time (status.go)

	uid     string       // the user's ID, for $UID
	lastPID atomic.Int64 // the last process ID given to a child bash
	sources sources      // prepared scripts that source is about to read
}

var errInterrupted = errors.New("interrupted")

// New creates a session.
func New(cfg Config) *Session {
	if cfg.Place == "" {
		cfg.Place = imds.OnInstance
	}
	if cfg.Limits.RunTime <= 0 {
		cfg.Limits.RunTime = DefaultRunTime
	}
	if cfg.Limits.Output <= 0 {
		cfg.Limits.Output = DefaultOutput
	}
	if cfg.Limits.Memory <= 0 {
		cfg.Limits.Memory = DefaultMemory
	}
	if cfg.KeySource == nil {
		cfg.KeySource = goKeys.get
	}
	s := &Session{cfg: cfg, clock: cfg.Clock}
	if s.clock == nil {
		s.clock = vclock.Following(nil)
	}
	if cfg.Hostname == "" {
		s.cfg.Hostname = map[imds.Place]string{imds.OnInstance: "my-virtual-server-2", imds.OnWorkstation: "laptop"}[cfg.Place]
		if s.cfg.Hostname == "" {
			s.cfg.Hostname = string(cfg.Place)
		}
	}
	user := "root"
	s.home, s.uid = "/root", "0"
	if cfg.Place == imds.OnWorkstation {
		user, s.home, s.uid = "learner", "/home/learner", "1000"
	}
	s.lastPID.Store(sessionPID)
	s.fs = memfs.New(s.clock.Now)
	s.fs.SetLimits(s.limits().Buffer(), cfg.Limits.Memory)
	s.fs.OnLimit = s.fileLimit
	for _, d := range []string{s.home, "/tmp", "/etc", "/usr/bin", "/dev"} {
		s.fs.MkdirAll(d, 0o755)
	}
	s.fs.WriteFile("/etc/hostname", []byte(s.cfg.Hostname+"\n"), 0o644)
	s.cmds = s.commands(user)

	env := map[string]string{
		"HOME": s.home, "USER": user, "LOGNAME": user, "SHELL": "/bin/bash", "TERM": "xterm-256color",
		"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
		"HOSTNAME": s.cfg.Hostname, "UID": s.uid, "EUID": s.uid, "GID": s.uid, "TMPDIR": "/tmp",
	}
	switch cfg.Place {
	case imds.OnWorkstation:
		env["vpc_api_endpoint"] = "https://us-south.iaas.cloud.ibm.com"
		if cfg.Login != "" {
			env["iam_token"] = cfg.Login
		}
	default:
		env["vpc_metadata_api_endpoint"] = "http://api.metadata.cloud.ibm.com"
	}
	for k, v := range cfg.Env {
		env[k] = v
	}
	var pairs []string
	for k, v := range env {
		pairs = append(pairs, k+"="+v)
	}
	sort.Strings(pairs)
	r, err := s.newRunner(pairs, sessionPID, terminalPID, setDir(s.home), interp.StdIO(nil, io.Discard, io.Discard))
	if err != nil {
		panic(fmt.Sprintf("shell: %v", err)) // only bad options fail, and ours are fixed
	}
	s.runner = r
	s.dir = s.home
	return s
}

// setDir sets the runner's directory without checking the real filesystem (interp.Dir does).
func setDir(dir string) interp.RunnerOption {
	return func(r *interp.Runner) error {
		r.Dir = dir
		return nil
	}
}

// Place reports where the session runs.
func (s *Session) Place() imds.Place { return s.cfg.Place }

// Prompt is the interactive prompt, which names the place: "instance$ " or "workstation$ ".
func (s *Session) Prompt() string { return string(s.cfg.Place) + "$ " }

// transport wraps the configured transport so that every exchange is buffered, timed and
// reported, and timeouts become virtual time.
func (s *Session) transport() http.RoundTripper {
	base := s.cfg.Transport
	if base == nil {
		base = noNetwork{}
	}
	return &netsim.Transport{
		Base: base, Now: s.clock.Now, Advance: s.clock.Advance,
		Observe: func(x netsim.Exchange) {
			if s.cfg.OnExchange != nil {
				s.cfg.OnExchange(Exchange(x))
			}
		},
	}
}

// noNetwork resolves nothing.
type noNetwork struct{}

func (noNetwork) RoundTrip(r *http.Request) (*http.Response, error) {
	return nil, &net.DNSError{Err: "no such host", Name: r.URL.Hostname(), IsNotFound: true}
}

// addr is the address a host "resolves" to, for curl -v: the metadata service's link-local
// address, and stable addresses from the documentation range for the rest.
func addr(host string) string {
	switch strings.ToLower(host) {
	case "api.metadata.cloud.ibm.com", "169.254.169.254":
		return "169.254.169.254"
	}
	if strings.Count(host, ".") == 3 && strings.Trim(host, "0123456789.") == "" {
		return host
	}
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(host)))
	return fmt.Sprintf("192.0.2.%d", 1+h.Sum32()%254)
}

// Var returns the value of a shell variable ("" if unset). It waits for a running Run to end.
func (s *Session) Var(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.runner.Vars[name]; ok {
		return v.String()
	}
	return s.runner.Env.Get(name).String()
}

// Dir returns the session's working directory as of the end of the last run.
func (s *Session) Dir() string {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	return s.dir
}

// Files lists the session's regular files as absolute paths, sorted.
func (s *Session) Files() []string { return s.fs.Files() }

// ReadFile reads a session file; a relative name is relative to the working directory.
func (s *Session) ReadFile(name string) ([]byte, error) {
	return s.fs.ReadFile(memfs.Resolve(s.Dir(), name))
}

// WriteFile writes a session file, creating its directory if needed; a relative name is
// relative to the working directory.
func (s *Session) WriteFile(name string, data []byte) error {
	p := memfs.Resolve(s.Dir(), name)
	if err := s.fs.MkdirAll(pathDir(p), 0o755); err != nil {
		return err
	}
	return s.fs.WriteFile(p, data, 0o644)
}

func pathDir(p string) string {
	if i := strings.LastIndexByte(p, '/'); i > 0 {
		return p[:i]
	}
	return "/"
}

// Busy reports whether a command is running.
func (s *Session) Busy() bool {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	return s.cur != nil
}

// Interrupt cancels the command that is running, as Ctrl-C does. While Interactive waits at
// its prompt, it abandons any continued command line and prompts again.
func (s *Session) Interrupt() {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	switch {
	case s.cur != nil:
		s.cur.Stop(errInterrupted)
	case s.replOut != nil && s.idlePrompt != "":
		// At the prompt, Ctrl-C abandons the line being typed (the terminal already dropped
		// it) and prompts again.
		s.discard = true
		io.WriteString(s.replOut, "\n"+s.idlePrompt)
	}
}

// Run runs script to completion and returns its exit status, as `bash -c script` would in a
// shell that keeps its state between calls. A script that does not parse prints bash's
// message and returns 2; cancelling ctx (or Interrupt) returns 130; hitting a Limit prints
// why and returns 124.
func (s *Session) Run(ctx context.Context, script string, stdout, stderr io.Writer) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	file, err := syntax.NewParser().Parse(strings.NewReader(script), "")
	if err != nil {
		fmt.Fprintln(stderr, syntaxMessage(err, script))
		s.setStatus(StatusSyntax)
		return StatusSyntax
	}
	return s.run(ctx, file.Stmts, stdout, stderr)
}

// setStatus makes $? hold status, for a script that failed before it ran.
func (s *Session) setStatus(status int) {
	st, _ := syntax.NewParser().Parse(strings.NewReader(fmt.Sprintf("(exit %d)", status)), "")
	s.runner.Run(context.Background(), st.Stmts[0])
}

func (s *Session) run(ctx context.Context, stmts []*syntax.Stmt, stdout, stderr io.Writer) int {
	if msg := prepare(stmts); msg != "" {
		fmt.Fprintln(stderr, msg)
		s.setStatus(1)
		return 1
	}
	s.instrument(stmts)
	run, ctx := limit.Start(ctx, s.limits())
	defer run.End()
	defer s.sources.reset()
	out := &terminal{w: stdout, run: run}
	errw := &terminal{w: stderr, run: run}
	s.cmu.Lock()
	s.cur, s.termOut = run, out
	s.cmu.Unlock()
	defer func() {
		s.cmu.Lock()
		s.cur, s.termOut, s.dir = nil, nil, s.runner.Dir
		s.cmu.Unlock()
	}()
	interp.StdIO(nil, out, errw)(s.runner)

	status := 0
	for _, st := range stmts {
		err := s.runner.Run(ctx, st)
		status = exitStatus(err)
		if cause := run.Err(); cause != nil {
			status = StatusInterrupt
			var le *limit.Error
			if errors.As(cause, &le) {
				fmt.Fprintf(stderr, "\nimds sh: script stopped: %v\n", le)
				status = StatusLimit
			}
			s.setStatus(status)
			break
		}
		if err != nil && status == 1 && !isExitStatus(err) {
			fmt.Fprintf(errw, "imds sh: %v\n", err)
		}
		if s.runner.Exited() {
			break
		}
	}
	s.dropBigVars(stderr, status)
	return status
}

// dropBigVars unsets, when a run ends, the variables that hold more than the buffer limit, and
// says so. A run can leave one behind when the heap's limit stopped it mid-growth or when its
// last statement built it; kept, it would stop every later run at its first command (see
// checkVars), even the `unset` that would free it.
func (s *Session) dropBigVars(stderr io.Writer, status int) {
	max := s.limits().Buffer()
	if max <= 0 {
		return
	}
	var names []string
	for name, vr := range s.runner.Vars {
		if vr.IsSet() && varSize(vr) > max && syntax.ValidName(name) {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(stderr, "imds sh: variable %s was unset: it held more than %s (limit)\n", n, limit.Bytes(max))
	}
	if st, err := syntax.NewParser().Parse(strings.NewReader("unset -v "+strings.Join(names, " ")), ""); err == nil {
		s.runner.Run(context.Background(), st.Stmts[0])
	}
	s.setStatus(status)
}

// varSize is the number of bytes a variable's value holds.
func varSize(vr expand.Variable) int64 {
	n := int64(len(vr.Str))
	for _, v := range vr.List {
		n += int64(len(v))
	}
	for k, v := range vr.Map {
		n += int64(len(k) + len(v))
	}
	return n
}

// limits are the session's limits in the form package limit takes.
func (s *Session) limits() limit.Limits {
	l := s.cfg.Limits
	return limit.Limits{RunTime: l.RunTime, Output: l.Output, Memory: l.Memory}
}

// fileLimit stops the current run when a write to a file is refused for its size.
func (s *Session) fileLimit(path string, e *memfs.Errno) {
	s.cmu.Lock()
	run := s.cur
	s.cmu.Unlock()
	if run == nil {
		return // Session.WriteFile: the caller gets the error
	}
	l := s.limits()
	if e == memfs.EFBIG {
		run.OverMemory(fmt.Sprintf("file %s would grow past %s", path, limit.Bytes(l.Buffer())))
		return
	}
	run.OverMemory(fmt.Sprintf("the session's files would take more than %s", limit.Bytes(l.Memory)))
}

// checkVars stops the run when a variable of the calling shell holds more than the buffer
// limit. The call handler runs it before commands, on the interpreter's goroutine, at most
// once a millisecond: a loop that doubles a variable spends longer than that on each step
// once the variable is large, and a script with large arrays does not pay for summing them
// before every command.
func (s *Session) checkVars(ctx context.Context) {
	run := limit.FromContext(ctx)
	if run == nil || run.Limits().Buffer() <= 0 {
		return
	}
	now := time.Now().UnixNano()
	if last := s.varsChecked.Load(); now-last < int64(time.Millisecond) || !s.varsChecked.CompareAndSwap(last, now) {
		return
	}
	max := run.Limits().Buffer()
	interp.HandlerCtx(ctx).Env.Each(func(name string, vr expand.Variable) bool {
		if n := varSize(vr); n > max {
			run.Fits(n, "variable "+name)
			return false
		}
		return true
	})
}

func isExitStatus(err error) bool {
	var es interp.ExitStatus
	return errors.As(err, &es)
}

func exitStatus(err error) int {
	if err == nil {
		return 0
	}
	var es interp.ExitStatus
	if errors.As(err, &es) {
		return int(es)
	}
	return 1
}

// syntaxMessage words a parse error the way bash does.
func syntaxMessage(err error, script string) string {
	var pe syntax.ParseError
	if !errors.As(err, &pe) {
		return "bash: " + err.Error()
	}
	line := int(pe.Pos.Line())
	last := strings.Count(strings.TrimRight(script, "\n"), "\n") + 1
	text := pe.Text
	switch {
	case strings.HasPrefix(text, "reached EOF without closing quote"):
		q := strings.Trim(strings.TrimPrefix(text, "reached EOF without closing quote"), " `")
		return fmt.Sprintf("bash: line %d: unexpected EOF while looking for matching `%s'", last, q)
	case strings.HasPrefix(text, "reached EOF without matching `$(`"), strings.HasPrefix(text, "reached EOF without matching `(`"):
		return fmt.Sprintf("bash: line %d: unexpected EOF while looking for matching `)'", last)
	case strings.HasSuffix(text, "must be followed by a word"),
		strings.HasPrefix(text, "a command can only contain words and redirects"),
		strings.HasSuffix(text, "must be followed by a statement") && !strings.HasPrefix(text, "`then`"):
		return fmt.Sprintf("bash: line %d: syntax error near unexpected token `%s'", line, unexpectedToken(script, pe))
	case syntax.IsIncomplete(err):
		return fmt.Sprintf("bash: line %d: syntax error: unexpected end of file", last)
	}
	return fmt.Sprintf("bash: line %d: syntax error: %s", line, text)
}

// unexpectedToken finds the token bash complains about: the one after the operator the
// parser stopped at ("newline" at the end of a line).
func unexpectedToken(script string, pe syntax.ParseError) string {
	off := int(pe.Pos.Offset())
	if off > len(script) {
		return "newline"
	}
	rest := script[off:]
	if strings.HasPrefix(pe.Text, "a command can only contain") {
		if i := strings.Index(pe.Text, "encountered `"); i >= 0 {
			return strings.TrimSuffix(pe.Text[i+len("encountered `"):], "`")
		}
	}
	// Skip the operator the message is about, then blanks.
	rest = strings.TrimLeft(rest, "<>&|;")
	rest = strings.TrimLeft(rest, " \t")
	if rest == "" || rest[0] == '\n' {
		return "newline"
	}
	for _, op := range []string{">>", "<<", "&&", "||", ">&", "<&", "&>", "<", ">", "|", "&", ";", "(", ")"} {
		if strings.HasPrefix(rest, op) {
			return op
		}
	}
	if i := strings.IndexAny(rest, " \t\n"); i >= 0 {
		return rest[:i]
	}
	return rest
}

// incomplete reports whether an interactive shell would ask for more input (PS2) rather than
// fail: unclosed quotes, a trailing | or &&, an open if or loop — but not a redirection without
// its word, which bash rejects at once.
func incomplete(err error) bool {
	var pe syntax.ParseError
	if errors.As(err, &pe) && strings.HasSuffix(pe.Text, "must be followed by a word") {
		return false
	}
	return syntax.IsIncomplete(err)
}

// terminal is the session's own output: a command whose stdout is this writer writes to the
// terminal (curl then shows no progress meter). It counts what the run writes against the
// output limit, and once the run is stopped it drops what commands still write (a builtin's
// complaint that its context was cancelled), so that the session's own message comes last.
type terminal struct {
	w   io.Writer
	run *limit.Run
	mu  sync.Mutex
}

func (t *terminal) Write(p []byte) (int, error) {
	if err := t.run.Err(); err != nil {
		return 0, err
	}
	if isHiddenTrace(p) {
		return len(p), nil
	}
	if err := t.run.Wrote(len(p)); err != nil {
		return 0, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.w.Write(p)
}

// stdin normalises the handler context's stdin: outside js/wasm it is an *os.File, which is
// nil (inside a non-nil interface) when the session has no input.
func stdin(r io.Reader) io.Reader {
	if f, ok := r.(*os.File); ok && f == nil {
		return nil
	}
	return r
}

// environ lists the exported variables of a handler context.
func environ(env expand.Environ) []string {
	var out []string
	env.Each(func(name string, vr expand.Variable) bool {
		if vr.Exported && vr.IsSet() && vr.Kind == expand.String {
			out = append(out, name+"="+vr.Str)
		}
		return true
	})
	slices.Sort(out)
	return out
}
