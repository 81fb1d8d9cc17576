package shell_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/imdsplay/imdsplay/shell/internal/tooltest"
)

// TestRecordedBash runs scripts in a session beside recordings of Debian bookworm's bash 5.2,
// for what the session adds to mvdan.cc/sh's interpreter: PIPESTATUS and time (see package
// tooltest; re-record with go test -update). time's numbers are compared by their shape, since
// the real bash's are real times; TestTimeIsVirtual checks the session's values.
func TestRecordedBash(t *testing.T) {
	tooltest.Suite{
		Run: func(t *testing.T, c tooltest.Case) tooltest.Result {
			r := run(t, plain(t), c.Args[2])
			return tooltest.Result{Stdout: r.stdout, Stderr: r.stderr, Status: r.status}
		},
		Normalize: func(c tooltest.Case, r tooltest.Result) tooltest.Result {
			if strings.Contains(c.Name, "time") {
				r.Stderr = timeValue.ReplaceAllString(r.Stderr, "<t>")
			}
			return r
		},
	}.Check(t, bashCases)
}

// timeValue is a time as bash's time prints it: 0m0.003s, 0.00, 0.
var timeValue = regexp.MustCompile(`\b\d+(m\d+(\.\d+)?s|\.\d+)`)

func bash(script string) []string { return []string{"bash", "-c", script} }

var bashCases = []tooltest.Case{
	{Name: "ok/pipestatus-after-pipeline", Args: bash(`false | true; echo "${PIPESTATUS[*]}"`)},
	{Name: "ok/pipestatus-three-elements", Args: bash(`true | (exit 3) | false; echo ${PIPESTATUS[@]} $?`)},
	{Name: "ok/pipestatus-length-and-index", Args: bash(`false | true | true; echo ${#PIPESTATUS[@]} ${PIPESTATUS[0]} ${PIPESTATUS[2]}`)},
	{Name: "ok/pipestatus-after-a-command", Args: bash(`false; echo "${PIPESTATUS[*]}" ${#PIPESTATUS[@]}`)},
	{Name: "ok/pipestatus-after-a-later-command", Args: bash(`false | true; echo a; echo "${PIPESTATUS[*]}"`)},
	{Name: "ok/pipestatus-in-a-block", Args: bash(`{ false | true; }; echo "${PIPESTATUS[*]}"`)},
	{Name: "ok/pipestatus-after-if", Args: bash(`if false | true; then :; fi; echo "${PIPESTATUS[*]}"`)},
	{Name: "ok/pipestatus-negated", Args: bash(`! false | false; echo "${PIPESTATUS[*]}" $?`)},
	{Name: "ok/pipestatus-pipefail", Args: bash(`set -o pipefail; false | true; echo "${PIPESTATUS[*]}" $?`)},
	{Name: "ok/pipestatus-errexit", Args: bash(`set -e; false | true; echo "${PIPESTATUS[*]}"`)},
	{Name: "ok/pipestatus-errexit-inside-an-element", Args: bash(`set -e; { false; echo no; } | cat; echo "${PIPESTATUS[*]}"`)},
	{Name: "fail/pipestatus-errexit-last-element", Args: bash(`set -e; true | false; echo no`)},
	{Name: "ok/pipestatus-exit-in-an-element", Args: bash(`exit 3 | true; echo "${PIPESTATUS[*]}"`)},
	{Name: "ok/pipestatus-stderr-too", Args: bash(`ls nope |& cat; echo "${PIPESTATUS[*]}"`)},
	{Name: "ok/pipestatus-command-substitution", Args: bash(`x=$(false); echo "${PIPESTATUS[*]}"`)},
	{Name: "ok/pipestatus-inside-substitution", Args: bash(`echo "$(false | true; echo "${PIPESTATUS[*]}")"`)},
	{Name: "ok/pipestatus-child-shell", Args: bash(`bash -c 'true | false'; echo "${PIPESTATUS[*]}"`)},
	{Name: "ok/pipestatus-copied", Args: bash(`grep -q x /nope | sort; st=("${PIPESTATUS[@]}"); echo "${st[0]} ${st[1]}"`)},
	{Name: "ok/pipeline-last-element-reads", Args: bash(`echo x | { read v; echo "v=$v"; }; echo "${PIPESTATUS[*]}"`)},
	{Name: "ok/time-default-format", Args: bash(`time true`)},
	{Name: "ok/time-posix-format", Args: bash(`time -p true`)},
	{Name: "ok/time-keeps-status", Args: bash(`time false; echo "status $?"`)},
	{Name: "ok/time-pipeline", Args: bash(`time false | true; echo "${PIPESTATUS[*]}"`)},
	{Name: "ok/time-redirected-inside", Args: bash(`time ls nope 2>/dev/null`)},
	{Name: "ok/time-redirected-outside", Args: bash(`{ time true; } 2>/dev/null; echo hidden`)},
	{Name: "ok/time-format", Args: bash(`TIMEFORMAT='[%R|%2lR|%0R|%0lR|%%|%lU|%S]'; time true`)},
	{Name: "ok/time-format-empty", Args: bash(`TIMEFORMAT=; time true; echo done`)},
	{Name: "ok/time-format-lone-percent", Args: bash(`TIMEFORMAT='x%'; time true`)},
	{Name: "fail/time-format-bad-character", Args: bash(`TIMEFORMAT='%x'; time true`)},
	{Name: "ok/time-nothing", Args: bash(`time`)},
}

// TestTimeIsVirtual checks what time reports: the virtual time that passed (sleep moves the
// clock at once), in bash's formats, and that set -x does not show the commands that measure it.
func TestTimeIsVirtual(t *testing.T) {
	runCases(t, plain, []shellCase{
		{name: "ok/default-format", script: `time sleep 3`, stderr: "\nreal\t0m3.000s\nuser\t0m0.000s\nsys\t0m0.000s\n"},
		{name: "ok/posix-format", script: `time -p sleep 61.5`, stderr: "real 61.50\nuser 0.00\nsys 0.00\n"},
		{name: "ok/long-format", script: `TIMEFORMAT='%lR %R %0R %P'; time sleep 3725.25`, stderr: "62m5.250s 3725.250 3725 0.00\n"},
		{name: "ok/nested", script: `TIMEFORMAT=%0R; time { sleep 2; time sleep 1; }`, stderr: "1\n3\n"},
		{name: "ok/in-a-function", script: `TIMEFORMAT=%0R; f() { time sleep "$1"; }; f 4; f 5`, stderr: "4\n5\n"},
		{name: "ok/in-a-child-shell", script: `TIMEFORMAT=%0R bash -c 'time sleep 7'`, stderr: "7\n"},
	})
	r := run(t, plain(t), `set -x; time echo a | cat; set +x`)
	if r.stdout != "a\n" || strings.Contains(r.stderr, "imds-") || !strings.Contains(r.stderr, "\nreal\t0m0.000s\n") ||
		!strings.Contains(r.stderr, "+ echo a\n") || !strings.Contains(r.stderr, "+ cat\n") {
		t.Errorf("set -x: got %v; want the trace of echo and cat only, and the time", r)
	}
}
