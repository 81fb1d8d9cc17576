package shell_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/vclock"
	"github.com/imdsplay/imdsplay/shell"
)

// plain is a session with no network, for tests of the shell itself.
func plain(t *testing.T) *shell.Session {
	return shell.New(shell.Config{Clock: vclock.Fixed(epoch), KeySource: fixtureKeys(t)})
}

type shellCase struct {
	name   string
	script string
	status int
	stdout string
	stderr string // substring; "" means stderr must be empty
}

func runCases(t *testing.T, newSession func(t *testing.T) *shell.Session, cases []shellCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, newSession(t), c.script)
			if r.status != c.status {
				t.Errorf("status %d; want %d\n%v", r.status, c.status, r)
			}
			if r.stdout != c.stdout {
				t.Errorf("stdout %q; want %q\n%v", r.stdout, c.stdout, r)
			}
			if c.stderr == "" && r.stderr != "" || !strings.Contains(r.stderr, c.stderr) {
				t.Errorf("stderr %q; want it to contain %q", r.stderr, c.stderr)
			}
		})
	}
}

func TestShellLanguage(t *testing.T) {
	runCases(t, plain, []shellCase{
		{name: "ok/single-quotes", script: `echo '$HOME "x" \n'`, stdout: "$HOME \"x\" \\n\n"},
		{name: "ok/double-quotes", script: `x=world; echo "hello $x" "${x}s" "\$x"`, stdout: "hello world worlds $x\n"},
		{name: "ok/multi-line-quoted", script: "echo '{\n  \"a\": 1\n}'", stdout: "{\n  \"a\": 1\n}\n"},
		{name: "ok/line-continuation", script: "echo a\\\n  b \\\n  c", stdout: "a b c\n"},
		{name: "ok/continuation-glues-words", script: "echo \"x\"\\\n-H", stdout: "x-H\n"},
		{name: "ok/command-substitution", script: `x=$(echo hi | tr a-z A-Z); echo "[$x]"`, stdout: "[HI]\n"},
		{name: "ok/backticks", script: "x=`echo a b | cut -d ' ' -f 2`; echo $x", stdout: "b\n"},
		{name: "ok/nested-substitution", script: `echo $(echo $(echo deep))`, stdout: "deep\n"},
		{name: "ok/pipes", script: `printf 'b\na\nc\n' | sort | head -n 2 | tr '\n' ,`, stdout: "a,b,"},
		{name: "ok/status-of-pipeline-is-last", script: `false | true; echo $?`, stdout: "0\n"},
		{name: "ok/pipefail", script: `set -o pipefail; false | true; echo $?`, stdout: "1\n"},
		{name: "ok/dollar-question", script: `false; echo $?; true; echo $?`, stdout: "1\n0\n"},
		{name: "ok/and-or", script: `false && echo no || echo yes`, stdout: "yes\n"},
		{name: "ok/if-test", script: `if [ -f nofile ]; then echo y; else echo n; fi; touch f; [ -f f ] && echo y`, stdout: "n\ny\n"},
		{name: "ok/for-loop", script: `for i in 1 2 3; do printf %s $i; done; echo`, stdout: "123\n"},
		{name: "ok/function", script: `greet() { echo "hi $1"; }; greet you`, stdout: "hi you\n"},
		{name: "ok/heredoc", script: "cat <<EOF\nline $((1+1))\nEOF", stdout: "line 2\n"},
		{name: "ok/redirect-and-read-back", script: `echo one > f.txt; echo two >> f.txt; cat < f.txt; wc -l f.txt`, stdout: "one\ntwo\n2 f.txt\n"},
		{name: "ok/stderr-redirect", script: `cat missing 2>/dev/null; echo $?; cat missing 2>&1 | tr a-z A-Z`, stdout: "1\nCAT: MISSING: NO SUCH FILE OR DIRECTORY\n"},
		{name: "ok/cat-file-substitution", script: `echo secret > t; x=$(<t); echo "$x"`, stdout: "secret\n"},
		{name: "ok/export-and-env", script: `export FOO=bar; printenv FOO; env | grep ^FOO=`, stdout: "bar\nFOO=bar\n"},
		{name: "ok/exit-ends-run", script: `echo a; exit 3; echo b`, status: 3, stdout: "a\n"},
		{name: "ok/cd-and-pwd", script: `mkdir -p d/e; cd d/e; pwd; cd; pwd`, stdout: "/root/d/e\n/root\n"},
		{name: "ok/type", script: `type curl; type echo; command -v jq; which openssl`, stdout: "curl is /usr/bin/curl\necho is a shell builtin\n/usr/bin/jq\n/usr/bin/openssl\n"},
		{name: "ok/absolute-command-path", script: `/usr/bin/echo hi | /bin/cat`, stdout: "hi\n"},
		{name: "ok/bash-c", script: `bash -c 'echo "$0 $1"; exit 4' name arg; echo $?`, stdout: "name arg\n4\n"},
		{name: "ok/script-file", script: "printf 'echo from script $1\\n' > s.sh; chmod +x s.sh; ./s.sh x; sh s.sh y", stdout: "from script x\nfrom script y\n"},
		{name: "ok/xargs", script: `echo a b c | xargs -n 1 echo item`, stdout: "item a\nitem b\nitem c\n"},
		{name: "ok/glob", script: `touch a.csr b.csr c.key; echo *.csr`, stdout: "a.csr b.csr\n"},
		// Escapes in assignment values, as bash reads them (mvdan.cc/sh keeps the backslash;
		// see unescapeAssignments).
		{name: "ok/assign-escaped-quote", script: `a=it\'s; echo "$a"`, stdout: "it's\n"},
		{name: "ok/assign-quote-idiom", script: `a='it'\''s'; export b='x'\''y'; c=q\"r env | grep ^b=; echo "$a"`, stdout: "b=x'y\nit's\n"},
		{name: "ok/assign-escapes", script: `a=x\ y\\z\$HOME\é; echo "$a"`, stdout: "x y\\z$HOMEé\n"},
		{name: "ok/assign-escaped-tilde", script: `a=\~/x b=~/x; echo "$a $b"`, stdout: "~/x /root/x\n"},
		{name: "ok/assign-in-function-and-script", script: "f() { local v=a\\'b; echo \"$v\"; }; f; printf 'w=c\\\\'\\''d; echo \"$w\"\\n' > s.sh; sh s.sh", stdout: "a'b\nc'd\n"},
		{name: "ok/sleep-is-virtual", script: `date +%s; sleep 3600; date +%s`, stdout: "1773318896\n1773322496\n"},
		{name: "fail/set-e-stops", script: "set -e\necho before\nfalse\necho after", status: 1, stdout: "before\n"},
		{name: "fail/set-e-ignores-conditions", script: "set -e\nif false; then :; fi\nfalse || true\necho survived", stdout: "survived\n"},
		{name: "fail/unknown-command", script: `nosuchcmd --flag; echo $?`, stdout: "127\n", stderr: "nosuchcmd: command not found"},
		{name: "fail/ibmcloud-not-on-instance", script: `ibmcloud is instances`, status: 127, stderr: "ibmcloud: command not found"},
		{name: "fail/missing-file-cat", script: `cat nope.txt`, status: 1, stderr: "cat: nope.txt: No such file or directory"},
		{name: "fail/missing-file-redirect", script: `tr a b < nope.txt; echo $?`, stdout: "1\n", stderr: "bash: nope.txt: No such file or directory"},
		{name: "fail/missing-script", script: `./nope.sh`, status: 127, stderr: "bash: ./nope.sh: No such file or directory"},
		{name: "fail/not-executable", script: `echo 'echo x' > s.sh; ./s.sh`, status: 126, stderr: "bash: ./s.sh: Permission denied"},
		{name: "fail/directory-as-file", script: `mkdir d; cat d`, status: 1, stderr: "cat: d: Is a directory"},
		{name: "fail/unclosed-quote", script: "echo 'abc\n", status: 2, stderr: "unexpected EOF while looking for matching `''"},
		{name: "fail/placeholder-redirect", script: `jwt decode <TOKEN>`, status: 2, stderr: "syntax error near unexpected token `newline'"},
		{name: "fail/process-substitution", script: `cat <(echo x)`, status: 1, stderr: "process substitution"},
		{name: "fail/background", script: `sleep 1 &`, status: 1, stderr: "background jobs"},
	})
}

func TestVariablesPersistBetweenRuns(t *testing.T) {
	s := plain(t)
	run(t, s, `token=abc; export REGION=us-south; f() { echo "f:$1"; }; set -o pipefail; cd /tmp`)
	r := run(t, s, `echo "$token $REGION $(f x) $(pwd)"; false | true; echo $?`)
	if r.stdout != "abc us-south f:x /tmp\n1\n" {
		t.Errorf("got %q", r.stdout)
	}
	if got := s.Var("token"); got != "abc" {
		t.Errorf("Var(token) = %q", got)
	}
	if got := s.Dir(); got != "/tmp" {
		t.Errorf("Dir() = %q", got)
	}
	// A failed run sets $? for the next one.
	run(t, s, `false`)
	if r := run(t, s, `echo $?`); r.stdout != "1\n" {
		t.Errorf("$? after a failed run: %q", r.stdout)
	}
	if r := run(t, s, `echo 'unclosed`); r.status != 2 {
		t.Fatalf("syntax error status %d", r.status)
	}
	if r := run(t, s, `echo $?`); r.stdout != "2\n" {
		t.Errorf("$? after a syntax error: %q", r.stdout)
	}
}

func TestPresetVariables(t *testing.T) {
	inst := shell.New(shell.Config{})
	if got := inst.Var("vpc_metadata_api_endpoint"); got != "http://api.metadata.cloud.ibm.com" {
		t.Errorf("instance endpoint %q", got)
	}
	if p := inst.Prompt(); p != "instance$ " {
		t.Errorf("prompt %q", p)
	}
	ws := shell.New(shell.Config{Place: imds.OnWorkstation, Login: "tok", Env: map[string]string{"extra": "1"}})
	for name, want := range map[string]string{"vpc_api_endpoint": "https://us-south.iaas.cloud.ibm.com", "iam_token": "tok", "extra": "1", "vpc_metadata_api_endpoint": ""} {
		if got := ws.Var(name); got != want {
			t.Errorf("workstation $%s = %q; want %q", name, got, want)
		}
	}
	if r := run(t, ws, `printenv iam_token`); r.stdout != "tok\n" {
		t.Errorf("presets should be exported: %v", r)
	}
}

func TestFiles(t *testing.T) {
	s := plain(t)
	if err := s.WriteFile("in/data.json", []byte(`{"a":[1,2]}`)); err != nil {
		t.Fatal(err)
	}
	r := run(t, s, `jq -c '.a' in/data.json > out.json; ls in`)
	if r.status != 0 || r.stdout != "data.json\n" {
		t.Fatalf("%v", r)
	}
	b, err := s.ReadFile("/root/out.json")
	if err != nil || string(b) != "[1,2]\n" {
		t.Errorf("ReadFile: %q, %v", b, err)
	}
	if got := strings.Join(s.Files(), " "); got != "/etc/hostname /root/in/data.json /root/out.json" {
		t.Errorf("Files() = %s", got)
	}
	if _, err := s.ReadFile("nope"); err == nil {
		t.Error("ReadFile of a missing file should fail")
	}
}

// TestInterrupt interrupts busy loops of the shell, awk and jq, as Ctrl-C does: under js/wasm
// the interrupt can only arrive when the loop lets the page's event loop run.
func TestInterrupt(t *testing.T) {
	for _, script := range []string{
		`while true; do :; done`,
		`for ((;;)); do x=1; done`,
		`awk 'BEGIN { while (1) {} }'`,
		`jq -n 'def f: f; f'`,
	} {
		t.Run(script, func(t *testing.T) {
			s := plain(t)
			done := make(chan result)
			go func() {
				var out, errb bytes.Buffer
				st := s.Run(context.Background(), script, &out, &errb)
				done <- result{st, out.String(), errb.String()}
			}()
			deadline := time.After(10 * time.Second)
			for {
				s.Interrupt()
				select {
				case r := <-done:
					if r.status != shell.StatusInterrupt || r.stderr != "" {
						t.Errorf("got %v; want status %d and nothing on stderr", r, shell.StatusInterrupt)
					}
					if r := run(t, s, `echo $?`); r.stdout != "130\n" {
						t.Errorf("$? after interrupt: %q", r.stdout)
					}
					return
				case <-deadline:
					t.Fatal("Interrupt did not stop the run")
				case <-time.After(5 * time.Millisecond):
				}
			}
		})
	}
}

func TestContextCancel(t *testing.T) {
	s := plain(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if st := s.Run(ctx, `echo hi`, io.Discard, io.Discard); st != shell.StatusInterrupt {
		t.Errorf("status %d on a cancelled context", st)
	}
}

// fakeNet answers every request with one canned response or error.
type fakeNet struct {
	status int
	body   string
	header http.Header
	err    error
	last   *http.Request
	body0  string
}

func (f *fakeNet) RoundTrip(r *http.Request) (*http.Response, error) {
	f.last = r
	if r.Body != nil {
		b, _ := io.ReadAll(r.Body)
		f.body0 = string(b)
	}
	if f.err != nil {
		return nil, f.err
	}
	h := f.header
	if h == nil {
		h = http.Header{"Content-Type": {"application/json"}}
	}
	return &http.Response{StatusCode: f.status, Header: h.Clone(), Body: io.NopCloser(strings.NewReader(f.body)), Request: r}, nil
}

var errBoom = errors.New("boom")
