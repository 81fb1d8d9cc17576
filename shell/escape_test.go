//go:build !js

package shell_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/shell"
)

// escapeHost is a piece of the real machine for the escape attempts to aim at: canary files
// whose text must never reach a session, in a temporary directory that is also the process's
// TMPDIR, HOME and working directory (moveIn), and one in /tmp named like the interpreter's
// own named pipes (mvdan.cc/sh opens $TMPDIR/sh-interp-* without the open handler).
type escapeHost struct {
	dir      string // TMPDIR, HOME and cwd of the test process
	tmpName  string // a canary in /tmp: /tmp/sh-interp-canary-<pid>
	canaries map[string]string
}

func newEscapeHost(t testing.TB, moveIn bool) *escapeHost {
	dir := t.TempDir()
	if moveIn {
		t.Setenv("TMPDIR", dir)
		t.Setenv("HOME", dir)
		t.Chdir(dir)
	}
	h := &escapeHost{dir: dir, tmpName: "/tmp/sh-interp-canary-" + strconv.Itoa(os.Getpid()), canaries: map[string]string{}}
	write := func(name, text string, mode os.FileMode) {
		if err := os.WriteFile(name, []byte(text+"\n"), mode); err != nil {
			t.Fatal(err)
		}
		h.canaries[name] = text
	}
	write(h.tmpName, "CANARY-IN-SYSTEM-TMP", 0o644)
	t.Cleanup(func() { os.Remove(h.tmpName) })
	write(filepath.Join(dir, "sh-interp-canary"), "CANARY-IN-TMPDIR", 0o644)
	write(filepath.Join(dir, "canary.sh"), "echo CANARY-SOURCED", 0o755)
	write(filepath.Join(dir, "canaryexe"), "#!/bin/sh\necho CANARY-EXEC", 0o755)
	if err := os.Mkdir(filepath.Join(dir, "target"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "target"), filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	return h
}

// snapshot lists the real entries the attempts could create: everything under the host
// directory, and the sh-interp-* names in /tmp.
func (h *escapeHost) snapshot(t testing.TB) map[string]bool {
	seen := map[string]bool{}
	filepath.WalkDir(h.dir, func(p string, _ os.DirEntry, err error) error {
		if err == nil {
			seen[p] = true
		}
		return nil
	})
	tmp, err := os.ReadDir("/tmp")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range tmp {
		// Canaries of other test processes (fuzzing workers) come and go.
		if strings.HasPrefix(e.Name(), "sh-interp") && !strings.HasPrefix(e.Name(), "sh-interp-canary-") {
			seen["/tmp/"+e.Name()] = true
		}
	}
	return seen
}

// escapeAttempts are the escape attempts; @HOST@ stands for the host directory and @TMPC@ for
// the canary in /tmp, @TMPB@ for its name (see escapeHost.fill).
var escapeAttempts = []string{
	// mvdan's open bypasses the open handler for $TMPDIR/sh-interp-*.
	`echo X > /tmp/sh-interp-escape-1; cat < /tmp/sh-interp-escape-1`,
	`cat < @TMPC@`,
	`cd /tmp && cat < @TMPB@`,
	`echo X > /tmp//sh-interp-escape-2; echo Y >> /tmp/./sh-interp-escape-3`,
	`exec 3< @TMPC@; cat <&3`,
	`read -r line < @TMPC@; echo "$line"`,
	`x=$(< @TMPC@); echo "$x"`,
	`mapfile -t a < @TMPC@; echo "${a[@]}"`,
	`export TMPDIR=@HOST@; echo X > @HOST@/sh-interp-escape-4; cat < @HOST@/sh-interp-canary`,
	`export TMPDIR=@HOST@; bash -c "echo X > @HOST@/sh-interp-escape-5; cat < @HOST@/sh-interp-canary"`,
	`TMPDIR=@HOST@ bash -c 'cat < $TMPDIR/sh-interp-canary'`,
	`TMPDIR=/tmp sh -c 'echo X > /tmp/sh-interp-escape-6'`,
	`f() { TMPDIR=@HOST@ bash -c "$1"; }; f 'echo > $TMPDIR/sh-interp-escape-7'`,
	`echo X > $'/tmp/sh-interp-escape-8\x01'`,
	// Process substitution makes a named pipe in the real temporary directory.
	`cat <(echo x)`,
	`eval "cat <(echo x)"`,
	`eval 'echo x > >(cat)'`,
	`eval "cat <(echo x)"; wait; echo never`,
	`eval 'eval "cat <(echo x)"'`,
	`f() { eval "$1"; }; f 'cat <(echo x)'`,
	`printf 'cat <(echo x)\n' > s.sh; source s.sh`,
	`printf 'cat <(echo x)\n' > s.sh; . ./s.sh`,
	`printf 'cat <(echo x)\n' > s.sh; chmod +x s.sh; ./s.sh; bash s.sh`,
	`bash -c 'cat <(echo x)'`,
	`echo 'cat <(echo x)' | bash`,
	`trap 'cat <(echo x)' EXIT; echo trapped`,
	`alias x='cat <(echo y)'; x`,
	`export TMPDIR=@HOST@; eval "cat <(cat @HOST@/sh-interp-canary)"`,
	// Background jobs outlive the run.
	`eval 'sleep 1 & echo $!'`,
	`eval ":(){ :|:& };:"`,
	`eval "openssl genrsa 16384 >/dev/null 2>&1 &"`,
	`eval 'coproc cat'`,
	`trap 'sleep 5 &' EXIT`,
	// Builtins that look at the host.
	`PATH=@HOST@; builtin type -p canaryexe; builtin type canaryexe; type -P canaryexe`,
	`PATH=@HOST@; command type canaryexe; command -v canaryexe; command -V canaryexe`,
	`PATH=@HOST@:$PATH; source canary.sh; . canary.sh`,
	`source @HOST@/canary.sh`,
	`mkdir -p @HOST@/link && cd @HOST@/link && pwd -P`,
	`[[ -O /root ]] && echo owned; [[ -G /root ]] && echo grouped; test -O /root && echo owned; [ ! -G /root ] || echo grouped`,
	`echo "pid $$ ppid $PPID"; bash -c 'echo "pid $$ ppid $PPID"'; eval 'echo "pid ${$}"'`,
	`unset HOME UID EUID; bash -c 'echo "home=$HOME uid=$UID euid=$EUID"'`,
	// The builtins only know the session's files.
	`cat @TMPC@; head @TMPC@; awk '{print}' @TMPC@; jq -R . @TMPC@`,
	`base64 @TMPC@ | base64 -d; sort @TMPC@; grep . @TMPC@; wc @TMPC@`,
	`bash @HOST@/canary.sh; @HOST@/canaryexe; sh @TMPC@`,
	`openssl x509 -in @TMPC@; openssl req -in @TMPC@`,
	`curl -s file://@TMPC@; curl -s -d @@TMPC@ http://api.metadata.cloud.ibm.com/`,
	`cp @TMPC@ /root/x; cat /root/x; mv @TMPC@ /root/y; ls @HOST@`,
	`ls /tmp; ls @HOST@; echo /tmp/*; echo @HOST@/*`,
}

// fill puts the host's paths into an attempt.
func (h *escapeHost) fill(attempt string) string {
	return strings.NewReplacer("@HOST@", h.dir, "@TMPC@", h.tmpName, "@TMPB@", filepath.Base(h.tmpName)).Replace(attempt)
}

// TestEscapes runs attempts to reach the real machine from the shell: reading, writing and
// making files outside the session's in-memory filesystem, through redirections, TMPDIR games,
// process substitution and background jobs, in the script itself and in everything eval,
// source, trap, alias, functions and bash -c run, and looking the host up through builtins
// (type, command, pwd -P, [[ -O ]], $$). Each must neither create a real file nor show a
// canary's text, a host path or the process's IDs, and must end within its limits.
func TestEscapes(t *testing.T) {
	h := newEscapeHost(t, true)
	before := h.snapshot(t)
	for i, attempt := range escapeAttempts {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			for _, place := range []imds.Place{imds.OnInstance, imds.OnWorkstation} {
				h.attempt(t, h.fill(attempt), place, shell.Limits{RunTime: 3 * time.Second, Memory: 32 << 20}, before)
			}
		})
	}
}

// FuzzEscape runs arbitrary scripts (seeded with the escape attempts) against the same host,
// with the same checks. The seeds replay in every `go test`; fuzz it with
//
//	go test -run '^$' -fuzz '^FuzzEscape$' -fuzztime 90s ./shell/
func FuzzEscape(f *testing.F) {
	for _, a := range escapeAttempts {
		f.Add(a, false)
	}
	h := newEscapeHost(f, false) // the fuzzing engine writes its crashers and temporary files there
	before := h.snapshot(f)
	f.Fuzz(func(t *testing.T, script string, workstation bool) {
		place := imds.OnInstance
		if workstation {
			place = imds.OnWorkstation
		}
		h.attempt(t, h.fill(script), place, fuzzLimits, before)
	})
}

// attempt runs one script in a new session and fails the test when it made a real file (it
// is removed), showed a canary's text, a host path or the process's IDs, or ran far past
// its run-time limit.
func (h *escapeHost) attempt(t *testing.T, script string, place imds.Place, lim shell.Limits, before map[string]bool) {
	t.Helper()
	s := shell.New(shell.Config{Place: place, KeySource: fixtureKeys(t), Limits: lim})
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- s.Run(context.Background(), script, &out, &errb) }()
	select {
	case <-done:
	case <-time.After(lim.RunTime + 30*time.Second):
		t.Fatalf("%s\nstill running %v after it started", script, lim.RunTime+30*time.Second)
	}
	all := out.String() + errb.String()
	// What the script spells itself proves nothing (the fuzzer types anything).
	shows := func(s, what string) bool { return strings.Contains(s, what) && !strings.Contains(script, what) }
	for name, text := range h.canaries {
		if shows(all, text) {
			t.Errorf("%s\nread the real file %s:\n%s", script, name, all)
		}
	}
	for _, leak := range []string{"/target", h.dir + "/canaryexe", h.dir + "/canary.sh:"} {
		if shows(out.String(), leak) {
			t.Errorf("%s\nshowed %q from the host:\n%s", script, leak, all)
		}
	}
	for _, id := range []int{os.Getpid(), os.Getppid()} {
		if shows(" "+all+" ", fmt.Sprintf(" %d ", id)) || shows(all, fmt.Sprintf("pid %d", id)) {
			t.Errorf("%s\nshowed the process ID %d:\n%s", script, id, all)
		}
	}
	if place == imds.OnWorkstation && os.Getuid() != 1000 && shows(all, "uid="+strconv.Itoa(os.Getuid())) {
		t.Errorf("%s\nshowed the host's user ID:\n%s", script, all)
	}
	if strings.Contains(errb.String(), "internal error") {
		t.Errorf("%s\na command panicked:\n%s", script, errb.String())
	}
	for p := range h.snapshot(t) {
		if !before[p] {
			t.Errorf("%s\nmade the real file %s", script, p)
			os.RemoveAll(p)
		}
	}
}

// TestEscapeRefusals checks what the session answers to the constructs it refuses, wherever
// they come from.
func TestEscapeRefusals(t *testing.T) {
	for _, tc := range []struct{ script, want string }{
		{`eval "cat <(echo x)"; echo "status $?"`, "bash: process substitution <(…) is not available in this emulated shell; use a pipe or a file\nstatus 1\n"},
		{`eval 'sleep 1 & echo $!'; echo "status $?"`, "bash: background jobs (&) are not available in this emulated shell\nstatus 1\n"},
		{`printf 'cat <(echo x)\n' > s.sh; source s.sh; echo "status $?"`, "bash: process substitution <(…) is not available in this emulated shell; use a pipe or a file\nstatus 1\n"},
		{`source nothing.sh; echo "status $?"`, "bash: nothing.sh: No such file or directory\nstatus 1\n"},
		{`alias x='cat <(echo y)'; echo "status $?"`, "bash: process substitution <(…) is not available in this emulated shell; use a pipe or a file\nstatus 1\n"},
		{`[[ -O /root ]] && echo owned; [[ -O /nothing ]] || echo missing; test -G /root && echo grouped`, "owned\nmissing\ngrouped\n"},
		{`echo $$ $PPID; (echo $$); bash -c 'echo $$ $PPID'; bash -c 'echo $$ $PPID'`, "4242 4241\n4242\n4243 4242\n4244 4242\n"},
		{`cd /tmp; pwd -P; pwd`, "/tmp\n/tmp\n"},
		{`printf 'echo sourced $1\n' > /usr/bin/lib.sh; source lib.sh one`, "sourced one\n"},
		{`f() { eval 'echo "$1$1"'; }; f ab; eval "x=it\\'s"; echo "$x"`, "abab\nit's\n"},
		{`bash -c 'trap "echo bye \$\$" EXIT; echo hi'`, "hi\nbye 4243\n"},
	} {
		s := shell.New(shell.Config{})
		var all bytes.Buffer
		s.Run(context.Background(), tc.script, &all, &all)
		if got := all.String(); got != tc.want {
			t.Errorf("%s\ngot %q; want %q", tc.script, got, tc.want)
		}
	}
}
