// Package tooltest checks the shell's builtins against recordings of the real tools they
// imitate (GNU coreutils, jq, OpenSSL, curl), for the builtin packages' table tests only: it
// runs processes and touches the real filesystem, so no package but a _test.go file may import
// it (shell's TestBoundaries sees to that), and it never reaches the wasm build.
//
// Each package keeps its recordings in testdata/recorded.txtar: per case, the standard
// output, standard error and exit status of the real tool. A normal test run compares the
// builtin with the recordings, and, where the real tool is installed, the real tool with the
// recordings too, so a recording that no longer matches the tool (a new Debian release) fails
// instead of going stale. `go test -update` records them again from the installed tool.
//
// The shell imitates versions Debian bookworm does not ship (jq 1.7, curl 8.5, OpenSSL 3.0.13);
// a case whose answer differs between the two carries the imitated version's answer in the
// table (Case.Want) with the reason (Case.Version), and is neither recorded nor compared with
// the installed tool. The real tools run in the C locale, in UTC, in a fresh directory holding
// the case's files.
package tooltest

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/shell/internal/builtin"
	"github.com/imdsplay/imdsplay/shell/internal/memfs"
)

var update = flag.Bool("update", false, "record the expectations again from the real tools")

// RequireEnv names the environment variable that makes a missing real tool a failure instead
// of a skip; CI (.ci/run) sets it.
const RequireEnv = "IMDS_REQUIRE_TOOLS"

// Case is one command line run by the builtin and by the real tool.
type Case struct {
	Name  string
	Args  []string          // the command line; Args[0] names the tool
	Stdin string            // standard input
	Files map[string]string // files in the working directory before the run
	// Version, when set, says why the real tool Debian installs answers otherwise than the
	// version the shell imitates; Want then holds the imitated version's answer.
	Version string
	// Differs, when set, names a known difference of the builtin from the real tool and its
	// cause; Want then holds the builtin's answer, and the recording is still made and checked
	// against the real tool, so that the difference stays written down.
	Differs string
	Want    Result
}

// Result is what a command did.
type Result struct {
	Stdout, Stderr string
	Status         int
}

// Suite is one package's recorded cases.
type Suite struct {
	// Golden is the recordings file, testdata/recorded.txtar by default.
	Golden string
	// Run runs a case with the builtin.
	Run func(t *testing.T, c Case) Result
	// Real runs a case with the real tool in dir; nil runs Args in dir (see RunReal). It
	// returns exec.ErrNotFound when the tool is not installed.
	Real func(c Case, dir string) (Result, error)
	// Normalize, if set, rewrites what the builtin and the real tool printed before they are
	// recorded or compared: addresses in OpenSSL's error stack, a port chosen at random, or a
	// new key, whose structure is compared rather than its bytes.
	Normalize func(Case, Result) Result
}

// Check runs the cases: each builtin against its recording (or Want), and each recording
// against the installed real tool.
func (s Suite) Check(t *testing.T, cases []Case) {
	t.Helper()
	golden := s.Golden
	if golden == "" {
		golden = filepath.Join("testdata", "recorded.txtar")
	}
	recorded, err := load(golden)
	if err != nil && !(*update && errors.Is(err, os.ErrNotExist)) {
		t.Fatal(err)
	}
	if *update {
		recorded = s.record(t, golden, cases, recorded)
	}
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.Name] {
			t.Fatalf("two cases named %s", c.Name)
		}
		seen[c.Name] = true
		t.Run(c.Name, func(t *testing.T) {
			want, ok := recorded[c.Name]
			if c.Version == "" && !ok {
				t.Fatalf("no recording of %s in %s: run go test -update where the real tool is installed", c.Name, golden)
			}
			if c.Version == "" && !*update {
				s.checkReal(t, c, want)
			}
			if c.Version != "" || c.Differs != "" {
				want = c.Want
			}
			got := s.Run(t, c)
			if s.Normalize != nil {
				got = s.Normalize(c, got)
			}
			compare(t, "the builtin", got, want)
		})
	}
}

// checkReal compares the installed real tool with the recording.
func (s Suite) checkReal(t *testing.T, c Case, want Result) {
	if runtime.GOOS == "js" {
		return // no processes under js/wasm: the native run checks the real tool
	}
	real, err := s.real(c, t.TempDir())
	if errors.Is(err, exec.ErrNotFound) {
		if os.Getenv(RequireEnv) != "" {
			t.Fatalf("%s is not installed, and %s is set", c.Args[0], RequireEnv)
		}
		t.Logf("%s is not installed: the recording is not checked against it", c.Args[0])
		return
	}
	if err != nil {
		t.Fatalf("running the real %s: %v", c.Args[0], err)
	}
	compare(t, "the real "+c.Args[0]+" (re-record with go test -update if it changed)", real, want)
}

func (s Suite) real(c Case, dir string) (Result, error) {
	for name, body := range c.Files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return Result{}, err
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return Result{}, err
		}
	}
	run := s.Real
	if run == nil {
		run = RunReal
	}
	r, err := run(c, dir)
	if err == nil && s.Normalize != nil {
		r = s.Normalize(c, r)
	}
	return r, err
}

// RunReal runs c.Args in dir with c.Stdin, in the C locale and UTC, and returns what the process
// did; exec.ErrNotFound means the tool is not installed.
func RunReal(c Case, dir string) (Result, error) {
	if _, err := exec.LookPath(c.Args[0]); err != nil {
		return Result{}, exec.ErrNotFound
	}
	cmd := exec.Command(c.Args[0], c.Args[1:]...)
	cmd.Dir = dir
	cmd.Env = []string{"LC_ALL=C", "TZ=UTC", "PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	cmd.Stdin = strings.NewReader(c.Stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return Result{}, err
	}
	return Result{Stdout: stdout.String(), Stderr: stderr.String(), Status: cmd.ProcessState.ExitCode()}, nil
}

// record runs every case that is not version-specific with the real tool and writes the file.
func (s Suite) record(t *testing.T, golden string, cases []Case, old map[string]Result) map[string]Result {
	out := map[string]Result{}
	for _, c := range cases {
		if c.Version != "" {
			continue
		}
		r, err := s.real(c, t.TempDir())
		if err != nil {
			if prev, ok := old[c.Name]; ok && errors.Is(err, exec.ErrNotFound) {
				t.Logf("%s is not installed: keeping the recording of %s", c.Args[0], c.Name)
				out[c.Name] = prev
				continue
			}
			t.Fatalf("recording %s: %v", c.Name, err)
		}
		out[c.Name] = r
	}
	if err := save(golden, out); err != nil {
		t.Fatal(err)
	}
	return out
}

func compare(t *testing.T, who string, got, want Result) {
	t.Helper()
	if got.Stdout != want.Stdout {
		t.Errorf("%s: stdout %q; want %q", who, got.Stdout, want.Stdout)
	}
	if got.Stderr != want.Stderr {
		t.Errorf("%s: stderr %q; want %q", who, got.Stderr, want.Stderr)
	}
	if got.Status != want.Status {
		t.Errorf("%s: status %d; want %d", who, got.Status, want.Status)
	}
}

// The recordings are in the txtar format, three files a case: NAME/stdout, NAME/stderr and
// NAME/status, so that a change of a recording reads as a plain diff. A part that does not end
// in a newline is marked so in its header, since txtar ends every file with one.

const noNewline = " (no newline at end)"

func load(name string) (map[string]Result, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	out := map[string]Result{}
	var file string
	var body []byte
	flush := func() error {
		if file == "" {
			return nil
		}
		f, trim := strings.CutSuffix(file, noNewline)
		if trim {
			body = bytes.TrimSuffix(body, []byte("\n"))
		}
		i := strings.LastIndexByte(f, '/')
		if i < 0 {
			return fmt.Errorf("%s: a recording named %q has no case", name, f)
		}
		c, part := f[:i], f[i+1:]
		r := out[c]
		switch part {
		case "stdout":
			r.Stdout = string(body)
		case "stderr":
			r.Stderr = string(body)
		case "status":
			n, err := strconv.Atoi(strings.TrimSpace(string(body)))
			if err != nil {
				return fmt.Errorf("%s: %s: %v", name, f, err)
			}
			r.Status = n
		default:
			return fmt.Errorf("%s: unknown part %q", name, f)
		}
		out[c] = r
		return nil
	}
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		if h, ok := bytes.CutPrefix(line, []byte("-- ")); ok && bytes.HasSuffix(h, []byte(" --\n")) {
			if err := flush(); err != nil {
				return nil, err
			}
			file, body = string(h[:len(h)-len(" --\n")]), nil
			continue
		}
		body = append(body, line...)
	}
	return out, flush()
}

func save(name string, recorded map[string]Result) error {
	names := make([]string, 0, len(recorded))
	for n := range recorded {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	b.WriteString("Recorded from the real tools by go test -update; see package tooltest.\n")
	part := func(file, data string) {
		if data != "" && !strings.HasSuffix(data, "\n") {
			file, data = file+noNewline, data+"\n"
		}
		fmt.Fprintf(&b, "-- %s --\n%s", file, data)
	}
	for _, n := range names {
		r := recorded[n]
		part(n+"/stdout", r.Stdout)
		part(n+"/stderr", r.Stderr)
		part(n+"/status", strconv.Itoa(r.Status)+"\n")
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	return os.WriteFile(name, b.Bytes(), 0o644)
}

// Dir is the working directory of a builtin run by Builtin; the case's files are there.
const Dir = "/work"

// Builtin runs c with the builtin command f over an in-memory filesystem holding the case's
// files in Dir, with now as its clock.
func Builtin(f builtin.Func, c Case, now func() time.Time) Result {
	fsys := memfs.New(now)
	fsys.MkdirAll(Dir, 0o755)
	for name, body := range c.Files {
		p := memfs.Resolve(Dir, name)
		fsys.MkdirAll(path.Dir(p), 0o755)
		fsys.WriteFile(p, []byte(body), 0o644)
	}
	var stdout, stderr bytes.Buffer
	env := &builtin.Env{
		Ctx: context.Background(), Args: c.Args, Stdin: strings.NewReader(c.Stdin),
		Stdout: &stdout, Stderr: &stderr, Dir: Dir, FS: fsys,
		Getenv: func(string) string { return "" },
	}
	status := f(env)
	return Result{Stdout: stdout.String(), Stderr: stderr.String(), Status: status}
}
