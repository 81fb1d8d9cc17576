package shell_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/imds/vclock"
	"github.com/imdsplay/imdsplay/shell"
)

// Small limits, so that every case hits its limit quickly. Memory is 4 MiB, so one file,
// variable or buffer may hold 1 MiB.
var testLimits = shell.Limits{RunTime: 150 * time.Millisecond, Output: 64 << 10, Memory: 4 << 20}

// Messages of the limits in testLimits.
const (
	msgRunTime = "imds sh: script stopped: it ran for more than 150ms (limit)\n"
	msgOutput  = "imds sh: script stopped: it wrote more than 64 KiB of output (limit)\n"
	msgMemory  = "imds sh: script stopped: it used more than 4 MiB of memory (limit)\n"
	msgExpand  = "imds sh: script stopped: an expansion would take more than 1 MiB (limit)\n"
)

// limitSlack is how long past its run-time limit a run may take to stop: the limit is checked
// between statements and inside loops, not preempted, and the machine may be busy (the race
// detector, wasm).
const limitSlack = 5 * time.Second

// TestLimits runs scripts that never end, write without end or grow without end, in every
// place a loop can spin (the shell, awk, jq, builtins, a command substitution, a pipeline,
// bash -c), and checks that each stops with the message of its limit, status 124, within the
// run-time limit and a margin, and that the session is still usable after.
func TestLimits(t *testing.T) {
	for _, tc := range []struct {
		name   string
		setup  string // run first, within the limits
		script string
		// want lists the accepted endings of stderr: a memory limit may be caught by the
		// precise check of a buffer or by the sampling of the heap, whichever comes first.
		want []string
	}{
		{name: "fail/runtime/shell-loop", script: `while true; do :; done`, want: []string{msgRunTime}},
		{name: "fail/runtime/arith-loop-without-commands", script: `for ((;;)); do x=1; done`, want: []string{msgRunTime}},
		{name: "fail/runtime/until", script: `until false; do i=$((i+1)); done`, want: []string{msgRunTime}},
		{name: "fail/runtime/function-recursion", script: `f() { f; }; f`, want: []string{msgRunTime, msgMemory}},
		{name: "fail/runtime/subshell", script: `x=$(while :; do :; done)`, want: []string{msgRunTime}},
		{name: "fail/runtime/pipeline", script: `while :; do :; done | cat`, want: []string{msgRunTime}},
		{name: "fail/runtime/bash-c", script: `bash -c 'while :; do :; done'`, want: []string{msgRunTime}},
		// No setup: it would run under the 150ms limit too, which wasm on a busy machine can miss.
		{name: "fail/runtime/script-file", script: `printf 'while :; do :; done\n' > loop.sh; chmod +x loop.sh; ./loop.sh`, want: []string{msgRunTime}},
		{name: "fail/runtime/awk-while", script: `awk 'BEGIN { while (1) {} }'`, want: []string{msgRunTime}},
		{name: "fail/runtime/awk-for", script: `awk 'BEGIN { for (;;); }'`, want: []string{msgRunTime}},
		{name: "fail/runtime/awk-do", script: `awk 'BEGIN { do ; while (1) }'`, want: []string{msgRunTime}},
		{name: "fail/runtime/awk-recursion", script: `awk 'function f(n) { if (n > 0) { f(n-1); f(n-1) } } BEGIN { f(60) }'`, want: []string{msgRunTime}},
		{name: "fail/runtime/awk-per-line", script: `seq 3 | awk '{ while (1) x++ }'`, want: []string{msgRunTime}},
		{name: "fail/runtime/jq-recursion", script: `jq -n 'def f: f; f'`, want: []string{msgRunTime}},
		{name: "fail/runtime/jq-repeat", script: `jq -n 'last(repeat(1))'`, want: []string{msgRunTime}},
		{name: "fail/runtime/yes-to-null", script: `yes > /dev/null`, want: []string{msgRunTime}},
		{name: "fail/runtime/seq-to-null", script: `seq 1e18 > /dev/null`, want: []string{msgRunTime}},
		{name: "fail/memory/xargs", script: `yes | xargs -n 1 true`, want: []string{"imds sh: script stopped: xargs's standard input took more than 1 MiB of memory (limit)\n", msgMemory}},

		{name: "fail/output/yes", script: `yes`, want: []string{msgOutput}},
		{name: "fail/output/echo-loop", script: `while :; do echo y; done`, want: []string{msgOutput}},
		{name: "fail/output/stderr", script: `while :; do echo y >&2; done`, want: []string{msgOutput}},
		{name: "fail/output/awk", script: `awk 'BEGIN { while (1) print "y" }'`, want: []string{msgOutput}},
		{name: "fail/output/jq", script: `jq -n 'repeat("y")'`, want: []string{msgOutput}},
		{name: "fail/output/seq", script: `seq 1e9`, want: []string{msgOutput}},
		{name: "fail/output/printf", script: `printf '%s\n' {1..16000}`, want: []string{msgOutput}},

		{name: "fail/memory/variable-doubling", script: `x=a; while true; do x=$x$x; done`, want: []string{msgExpand}},
		{name: "fail/memory/doubling-without-commands", script: `x=a; for ((;;)); do x=$x$x; done`, want: []string{msgExpand}},
		{name: "fail/memory/append-doubling", script: `x=a; for ((;;)); do x+=$x; done`, want: []string{msgExpand}},
		{name: "fail/memory/array-doubling", script: `a=(x); for ((;;)); do a=("${a[@]}" "${a[@]}"); done`, want: []string{msgExpand, msgMemory}},
		{name: "fail/memory/array-append-doubling", script: `a=(x); for ((;;)); do a+=("${a[@]}"); done`, want: []string{msgExpand, msgMemory}},
		// One step that would build far more than the limit: refused before it is built.
		{name: "fail/memory/replacement", script: `x=aaaaaaaaaaaaaaaa; for i in $(seq 12); do x=$x$x; done; y=${x:0:1024}; z=${x//a/$y}`, want: []string{msgExpand}},
		{name: "fail/memory/replacement-glob", script: `x=$(printf '%065536d' 0); y=${x:0:1024}; z=${x//?/$y}`, want: []string{msgExpand}},
		{name: "fail/memory/replacement-array", script: `x=$(printf '%065536d' 0); y=${x:0:1024}; a=("$x" "$x"); echo "${a[@]//0/$y}"`, want: []string{msgExpand}},
		{name: "fail/memory/replacement-in-eval", script: `x=$(printf '%065536d' 0); y=${x:0:1024}; eval 'z=${x//0/$y}'`, want: []string{msgExpand}},
		{name: "fail/memory/replacement-in-function", script: `x=$(printf '%065536d' 0); y=${x:0:1024}; f() { echo "${1//0/$2}"; }; f "$x" "$y"`, want: []string{msgExpand}},
		{name: "fail/memory/replacement-in-bash-c", script: `export x=$(printf '%065536d' 0) y=$(printf '%01024d' 0); bash -c 'z=${x//0/$y}'`, want: []string{msgExpand}},
		{name: "fail/memory/concatenation", script: `x=$(printf '%0600000d' 0); y=$x$x`, want: []string{msgExpand}},
		{name: "fail/memory/braces", script: `x=$(printf '%0100000d' 0); echo {1..16000}$x`, want: []string{msgExpand}},
		{name: "fail/memory/printf-width", script: `printf '%0900000000d' 1`, want: []string{"imds sh: script stopped: printf would build more than 1 MiB (limit)\n"}},
		{name: "fail/memory/printf-star-width", script: `printf '%*d' 900000000 1`, want: []string{"imds sh: script stopped: printf would build more than 1 MiB (limit)\n"}},
		{name: "fail/memory/nested-pipelines", script: `f() { f | f; }; f`, want: []string{"imds sh: script stopped: it ran more than 1000 commands at once (limit)\n", msgMemory}},
		{name: "fail/memory/jq-repeat-string", script: `jq -n '"a" * 1e9'`, want: []string{"imds sh: script stopped: jq's string repetition would take more than 1 MiB (limit)\n"}},
		{name: "fail/memory/jq-repeat-string-in-def", script: `jq -n 'def f: "a" * 1e9; f'`, want: []string{"imds sh: script stopped: jq's string repetition would take more than 1 MiB (limit)\n"}},
		{name: "fail/memory/jq-repeat-string-interpolated", script: `jq -n '{a: "\("a" * 1e9)"}'`, want: []string{"imds sh: script stopped: jq's string repetition would take more than 1 MiB (limit)\n"}},
		{name: "fail/memory/array", script: `while :; do a+=(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx); done`,
			want: []string{"imds sh: script stopped: variable a took more than 1 MiB of memory (limit)\n", msgMemory, msgRunTime}},
		{name: "fail/memory/command-substitution", script: `x=$(yes)`,
			want: []string{"imds sh: script stopped: the output of a command substitution took more than 1 MiB of memory (limit)\n", msgMemory}},
		{name: "fail/memory/command-substitution-of-builtin", script: `x=$(while :; do echo yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy; done)`, want: []string{msgMemory, msgRunTime}},
		{name: "fail/memory/file", script: `yes > f`,
			want: []string{"imds sh: script stopped: file /root/f would grow past 1 MiB (limit)\n", msgMemory}},
		{name: "fail/memory/file-appended", setup: `x=$(yes | head -c 10000)`, script: `while :; do echo "$x" >> f; done`,
			want: []string{"imds sh: script stopped: file /root/f would grow past 1 MiB (limit)\n", msgMemory}},
		{name: "fail/memory/file-by-builtin", script: `yes | head -c 2000000 | tee f > /dev/null`,
			want: []string{"imds sh: script stopped: tee's standard input took more than 1 MiB of memory (limit)\n",
				"imds sh: script stopped: file /root/f would grow past 1 MiB (limit)\n", msgMemory}},
		{name: "fail/memory/all-files", setup: `yes | head -c 1000000 > a; cp a b; cp a c; cp a d`, script: `cp a e`,
			want: []string{"imds sh: script stopped: the session's files would take more than 4 MiB (limit)\n"}},
		{name: "fail/memory/stdin", script: `yes | jq .`,
			want: []string{"imds sh: script stopped: jq's standard input took more than 1 MiB of memory (limit)\n", msgMemory}},
		{name: "fail/memory/awk-input-files", setup: `yes | head -c 600000 > f`, script: `awk 'END { print NR }' f f`,
			want: []string{"imds sh: script stopped: awk's input files took more than 1 MiB of memory (limit)\n"}},
		{name: "fail/memory/curl-request-body", setup: `yes | head -c 600000 > f`, script: `curl -s --data-binary @f --data-binary @f http://example.com/`,
			want: []string{"imds sh: script stopped: curl's request body took more than 1 MiB of memory (limit)\n", msgMemory}},
		{name: "fail/memory/base64-output", setup: `yes | head -c 900000 > f`, script: `base64 f > /dev/null`,
			want: []string{"imds sh: script stopped: base64's output took more than 1 MiB of memory (limit)\n", msgMemory}},
		{name: "fail/memory/awk-doubling", script: `awk 'BEGIN { s = "a"; while (1) s = s s }'`, want: []string{msgMemory}},
		{name: "fail/memory/awk-array", script: `awk 'BEGIN { while (1) a[i++] = "xxxxxxxxxxxxxxxx" }'`, want: []string{msgMemory}},
		{name: "fail/memory/jq-range", script: `jq -n '[range(1e9)]'`, want: []string{msgMemory}},
		{name: "fail/memory/jq-recursion", script: `jq -n 'def f: [f]; f'`, want: []string{msgMemory}},
		{name: "fail/memory/jq-doubling", script: `jq -n '"a" | until(false; . + .)'`, want: []string{msgMemory}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lim := testLimits
			if !slices.Contains(tc.want, msgRunTime) {
				// Slow machines (the race detector, wasm) must reach the limit first.
				lim.RunTime = time.Minute
			}
			s := shell.New(shell.Config{Clock: vclock.Fixed(epoch), KeySource: fixtureKeys(t), Limits: lim})
			if tc.setup != "" {
				if r := run(t, s, tc.setup); r.status != 0 {
					t.Fatalf("setup: %v", r)
				}
			}
			start := time.Now()
			r := run(t, s, tc.script)
			took := time.Since(start)
			if r.status != shell.StatusLimit {
				t.Errorf("status %d; want %d\n%v", r.status, shell.StatusLimit, r)
			}
			// The message comes last, but for the unsetting of a variable too large to keep.
			rest := unsetLine.ReplaceAllString(r.stderr, "")
			ok := false
			for _, w := range tc.want {
				ok = ok || strings.HasSuffix(rest, "\n"+w)
			}
			if !ok {
				t.Errorf("stderr ends %q; want one of %q", tail(r.stderr), tc.want)
			}
			if max := lim.RunTime + limitSlack; took > max {
				t.Errorf("took %v; want at most %v", took, max)
			}
			if n := len(r.stdout) + len(r.stderr); n > int(testLimits.Output)+200 {
				t.Errorf("wrote %d bytes; the limit is %d", n, testLimits.Output)
			}
			if r := run(t, s, `echo $?; echo still alive`); r.stdout != "124\nstill alive\n" {
				t.Errorf("after the limit: %v", r)
			}
		})
	}
}

// TestLimitsDefault checks the defaults and their messages through a session with no limits
// set, on the cheapest limit to reach: the output.
func TestLimitsDefault(t *testing.T) {
	s := plain(t)
	r := run(t, s, fmt.Sprintf("head -c %d /etc/hostname; yes", 1))
	if r.status != shell.StatusLimit || !strings.HasSuffix(r.stderr, "imds sh: script stopped: it wrote more than 4 MiB of output (limit)\n") {
		t.Errorf("got %v", tail(r.stderr))
	}
	if shell.DefaultRunTime != 60*time.Second || shell.DefaultOutput != 4<<20 || shell.DefaultMemory != 64<<20 {
		t.Error("the documented defaults changed")
	}
}

// TestLimitsDoNotFireEarly runs work that stays within the limits, and the documented flows
// use far less: none of it may be stopped.
func TestLimitsDoNotFireEarly(t *testing.T) {
	s := shell.New(shell.Config{Clock: vclock.Fixed(epoch), KeySource: fixtureKeys(t), Limits: shell.Limits{Memory: 8 << 20}})
	for _, script := range []string{
		`yes | head -c 900000 > f; wc -c < f`,
		`x=$(cat f); echo ${#x}`,
		`for i in $(seq 100); do y=$(head -c 1000 f); done; echo ok`,
		`jq -n '[range(10000)] | length'`,
		`awk 'BEGIN { for (i = 0; i < 100000; i++) s += i; print s }'`,
		`i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo $i`,
	} {
		if r := run(t, s, script); r.status != 0 {
			t.Errorf("%s: %v", script, r)
		}
	}
}

func tail(s string) string {
	if len(s) > 200 {
		return "…" + s[len(s)-200:]
	}
	return s
}

var unsetLine = regexp.MustCompile(`(?m)^imds sh: variable \w+ was unset: it held more than 1 MiB \(limit\)\n`)

// TestLimitsUnsetBigVariables checks that a variable a run leaves larger than the limit of one
// variable is unset when the run ends, so that the next runs are not stopped by it.
func TestLimitsUnsetBigVariables(t *testing.T) {
	lim := testLimits
	lim.RunTime = time.Minute // making 900 KB of quotes can take longer than 150ms under -race
	s := shell.New(shell.Config{Clock: vclock.Fixed(epoch), Limits: lim})
	// Quoting a string of quotes makes it four times larger: ${y@Q} has one expansion, which
	// no guard checks (see guard.go), so the variable can be made, and must be unset.
	r := run(t, s, `small=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; x=$(yes "''''''''''" | head -c 900000); x=${x@Q}`)
	if want := "imds sh: variable x was unset: it held more than 1 MiB (limit)\n"; r.status != 0 || r.stderr != want {
		t.Errorf("got %v; want status 0 and %q", r, want)
	}
	if r := run(t, s, `echo ${#x} ${#small}`); r.status != 0 || r.stdout != "0 61\n" {
		t.Errorf("next run: %v", r)
	}
}
