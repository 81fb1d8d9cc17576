// Package shell runs documented shell snippets verbatim against the emulator, without forking
// a process, opening a socket or touching the real filesystem.
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
	"time"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"

	"github.com/imdsplay/imdsplay/imds/vclock"
	"github.com/imdsplay/imdsplay/shell/internal/builtin"
	"github.com/imdsplay/imdsplay/shell/internal/memfs"
	"github.com/imdsplay/imdsplay/shell/internal/netsim"
)

// Places a session can run in.
const (
	Instance    = "instance"
	Workstation = "workstation"
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
	// Place is Instance ("" means Instance) or Workstation.
	Place string
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
type Limits struct {
	// RunTime is the longest a Run may take in real time; default 60s. Virtual time (sleep,
	// timeouts) does not count.
	RunTime time.Duration
	// Output is the most bytes a Run may write to stdout and stderr together; default 4 MiB.
	Output int64
}

// Default limits.
const (
	DefaultRunTime = 60 * time.Second
	DefaultOutput  = 4 << 20
)

// Exit statuses the session itself produces.
const (
	StatusSyntax    = 2   // the script does not parse
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

	cmu       sync.Mutex
	dir       string // the working directory as of the end of the last run
	cancelRun context.CancelCauseFunc
	termOut   *terminal // the current run's stdout, to tell "is a terminal" apart
	// Interactive's state, for an Interrupt that arrives while it waits for input.
	replOut    io.Writer
	idlePrompt string
	discard    bool
}

var errInterrupted = errors.New("interrupted")

// New creates a session.
func New(cfg Config) *Session {
	if cfg.Place == "" {
		cfg.Place = Instance
	}
	if cfg.Limits.RunTime <= 0 {
		cfg.Limits.RunTime = DefaultRunTime
	}
	if cfg.Limits.Output <= 0 {
		cfg.Limits.Output = DefaultOutput
	}
	if cfg.KeySource == nil {
		cfg.KeySource = goKeys.get
	}
	s := &Session{cfg: cfg, clock: cfg.Clock}
	if s.clock == nil {
		s.clock = vclock.Following(nil)
	}
	if cfg.Hostname == "" {
		s.cfg.Hostname = map[string]string{Instance: "my-virtual-server-2", Workstation: "laptop"}[cfg.Place]
		if s.cfg.Hostname == "" {
			s.cfg.Hostname = cfg.Place
		}
	}
	user := "root"
	s.home = "/root"
	if cfg.Place == Workstation {
		user, s.home = "learner", "/home/learner"
	}
	s.fs = memfs.New(s.clock.Now)
	for _, d := range []string{s.home, "/tmp", "/etc", "/usr/bin", "/dev"} {
		s.fs.MkdirAll(d, 0o755)
	}
	s.fs.WriteFile("/etc/hostname", []byte(s.cfg.Hostname+"\n"), 0o644)
	s.cmds = s.commands(user)

	env := map[string]string{
		"HOME": s.home, "USER": user, "LOGNAME": user, "SHELL": "/bin/bash", "TERM": "xterm-256color",
		"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
		"HOSTNAME": s.cfg.Hostname, "UID": "0", "EUID": "0", "GID": "0", "TMPDIR": "/tmp",
	}
	if user != "root" {
		env["UID"], env["EUID"], env["GID"] = "1000", "1000", "1000"
	}
	switch cfg.Place {
	case Workstation:
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
	r, err := interp.New(
		interp.Env(expand.ListEnviron(pairs...)),
		setDir(s.home),
		interp.ExecHandlers(s.execMiddleware),
		interp.CallHandler(s.call),
		interp.OpenHandler(s.open),
		interp.StatHandler(s.stat),
		interp.ReadDirHandler2(s.readDir),
		interp.AccessHandler(s.access),
		interp.StdIO(nil, io.Discard, io.Discard),
	)
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
func (s *Session) Place() string { return s.cfg.Place }

// Prompt is the interactive prompt, which names the place: "instance$ " or "workstation$ ".
func (s *Session) Prompt() string { return s.cfg.Place + "$ " }

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

// Interrupt cancels the command that is running, as Ctrl-C does. While Interactive waits at
// its prompt, it abandons any continued command line and prompts again.
func (s *Session) Interrupt() {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	switch {
	case s.cancelRun != nil:
		s.cancelRun(errInterrupted)
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
	if msg := unsupported(stmts); msg != "" {
		fmt.Fprintln(stderr, msg)
		s.setStatus(1)
		return 1
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	ctx, stop := context.WithTimeoutCause(ctx, s.cfg.Limits.RunTime, errRunTime)
	defer stop()
	lim := &limiter{max: s.cfg.Limits.Output, cancel: cancel}
	out := &terminal{w: stdout, lim: lim}
	errw := &terminal{w: stderr, lim: lim}
	s.cmu.Lock()
	s.cancelRun, s.termOut = cancel, out
	s.cmu.Unlock()
	defer func() {
		s.cmu.Lock()
		s.cancelRun, s.termOut, s.dir = nil, nil, s.runner.Dir
		s.cmu.Unlock()
	}()
	interp.StdIO(nil, out, errw)(s.runner)

	status := 0
	for _, st := range stmts {
		err := s.runner.Run(ctx, st)
		status = exitStatus(err)
		if cause := context.Cause(ctx); cause != nil {
			switch {
			case errors.Is(cause, errOutput):
				fmt.Fprintf(stderr, "\nimds sh: output limit reached (%d bytes); the command was stopped\n", s.cfg.Limits.Output)
				status = StatusLimit
			case errors.Is(cause, errRunTime):
				fmt.Fprintf(stderr, "\nimds sh: the command ran for more than %v and was stopped\n", s.cfg.Limits.RunTime)
				status = StatusLimit
			default:
				status = StatusInterrupt
			}
			s.setStatus(status)
			return status
		}
		if err != nil && status == 1 && !isExitStatus(err) {
			fmt.Fprintf(errw, "imds sh: %v\n", err)
		}
		if s.runner.Exited() {
			break
		}
	}
	return status
}

var (
	errOutput  = errors.New("output limit reached")
	errRunTime = errors.New("run time limit reached")
)

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

// unsupported reports constructs the session cannot run without a real OS.
func unsupported(stmts []*syntax.Stmt) string {
	msg := ""
	for _, st := range stmts {
		syntax.Walk(st, func(n syntax.Node) bool {
			switch n := n.(type) {
			case *syntax.ProcSubst:
				msg = "bash: process substitution <(…) is not available in this emulated shell; use a pipe or a file"
			case *syntax.Stmt:
				if n.Background || n.Coprocess {
					msg = "bash: background jobs (&) are not available in this emulated shell"
				}
			}
			return msg == ""
		})
	}
	return msg
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
// terminal (curl then shows no progress meter).
type terminal struct {
	w   io.Writer
	lim *limiter
	mu  sync.Mutex
}

func (t *terminal) Write(p []byte) (int, error) {
	if err := t.lim.take(len(p)); err != nil {
		return 0, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.w.Write(p)
}

// limiter counts the bytes a run writes and stops it past the limit.
type limiter struct {
	mu     sync.Mutex
	n, max int64
	cancel context.CancelCauseFunc
}

func (l *limiter) take(n int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n += int64(n)
	if l.n > l.max {
		l.cancel(errOutput)
		return errOutput
	}
	return nil
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
