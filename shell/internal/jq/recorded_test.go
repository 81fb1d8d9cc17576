package jq

import (
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/shell/internal/tooltest"
)

// TestRecorded runs jq beside recordings of Debian bookworm's jq (1.6) where jq 1.6 and 1.7
// agree, and beside jq 1.7.1's answer, written in the case with the reason, where they do not;
// see package tooltest. Object keys come out sorted here (gojq), so the inputs keep theirs
// sorted.
func TestRecorded(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC) }
	tooltest.Suite{Run: func(t *testing.T, c tooltest.Case) tooltest.Result {
		return tooltest.Builtin(Run, c, now)
	}}.Check(t, jqCases)
}

func jq(args ...string) []string { return append([]string{"jq"}, args...) }

const (
	token  = `{"access_token":"abc.def.ghi","created_at":"2026-09-01T10:00:00Z","expires_in":300}`
	nested = `{"a":{"b":[1,2,{"c":null}]},"d":"x"}`
	// usage17 is what jq 1.7 prints after a command-line error (1.6 names stedolan.github.io).
	usage17 = "Use jq --help for help with command-line options,\nor see the jq manpage, or online docs  at https://jqlang.github.io/jq\n"
)

var jqCases = []tooltest.Case{
	{Name: "ok/identity-pretty", Args: jq("."), Stdin: nested},
	{Name: "ok/no-filter-is-identity", Args: jq(), Stdin: "[]"},
	{Name: "ok/raw-field", Args: jq("-r", ".access_token"), Stdin: token},
	{Name: "ok/field", Args: jq(".expires_in"), Stdin: token},
	{Name: "ok/missing-field-is-null", Args: jq(".nope"), Stdin: token},
	{Name: "ok/compact", Args: jq("-c", ".a"), Stdin: nested},
	{Name: "ok/join-output", Args: jq("-j", ".d, .d"), Stdin: nested},
	{Name: "ok/iterate", Args: jq(".a.b[]"), Stdin: nested},
	{Name: "ok/stream-of-inputs", Args: jq("-c", ". * 2"), Stdin: "1 2\n3"},
	{Name: "ok/deep-merge", Args: jq("-c", ". * {\"a\": {\"c\": 2}}"), Stdin: `{"a": {"b": 1}}`},
	{Name: "ok/null-input", Args: jq("-n", "1 + 1")},
	{Name: "ok/arg-and-argjson", Args: jq("-nc", "--arg", "x", "hi", "--argjson", "n", "3", "{n: $n, x: $x}")},
	{Name: "ok/slurp", Args: jq("-sc", "."), Stdin: "1\n2\n"},
	{Name: "ok/raw-input", Args: jq("-R", "."), Stdin: "a\nb\n"},
	{Name: "ok/raw-input-slurp", Args: jq("-Rs", "."), Stdin: "a\nb\n"},
	{Name: "ok/tab", Args: jq("--tab", "."), Stdin: `{"a":[1]}`},
	{Name: "ok/indent", Args: jq("--indent", "1", "."), Stdin: `{"a":[1]}`},
	{Name: "ok/ascii-output", Args: jq("-a", "."), Stdin: `"é✓😀"`},
	{Name: "ok/file-operand", Args: jq(".x", "f.json"), Files: map[string]string{"f.json": `{"x":5}`}},
	{Name: "ok/slurpfile", Args: jq("-nc", "--slurpfile", "v", "f.json", "$v"), Files: map[string]string{"f.json": "1 2"}},
	{Name: "ok/rawfile", Args: jq("-n", "--rawfile", "v", "f.txt", "$v"), Files: map[string]string{"f.txt": "hi\n"}},
	{Name: "ok/from-file", Args: jq("-f", "prog.jq"), Stdin: token, Files: map[string]string{"prog.jq": ".expires_in\n"}},
	{Name: "ok/exit-status-true", Args: jq("-e", ".a"), Stdin: `{"a":true}`},
	{Name: "fail/exit-status-null", Args: jq("-e", ".a"), Stdin: `{}`},
	{Name: "fail/exit-status-no-output", Args: jq("-e", ".[]"), Stdin: `[]`},
	{Name: "ok/empty-input", Args: jq("-r", ".access_token")},
	{Name: "ok/functions", Args: jq("-c", "[.a.b[] | numbers] | add, length, (keys | join(\",\"))"), Stdin: nested},
	{Name: "ok/select-map", Args: jq("-c", "map(select(. > 1))"), Stdin: "[1,2,3]"},
	{Name: "ok/string-interpolation", Args: jq("-r", `"token \(.expires_in)s"`), Stdin: token},
	{Name: "ok/split-base64", Args: jq("-r", `.access_token | split(".") | .[1]`), Stdin: token},
	{Name: "ok/base64-decode", Args: jq("-r", "@base64d"), Stdin: `"aGVsbG8="`},
	{Name: "ok/to-entries", Args: jq("-c", "to_entries"), Stdin: `{"a":1,"b":2}`},
	{Name: "ok/halt-error-string", Args: jq("-n", `"bye\n" | halt_error(3)`)},

	{Name: "fail/parse-error-word", Args: jq("."), Stdin: "Not Found\n",
		Version: "jq 1.7 prefixes parse errors with 'jq: error (at <stdin>:N): ' and exits 2; 1.6 prints 'parse error: …' alone",
		Want:    tooltest.Result{Stderr: "jq: parse error: Invalid numeric literal at line 1, column 4\n", Status: 2}},
	{Name: "fail/parse-error-truncated", Args: jq(".a"), Stdin: `{"a":1`,
		Version: "jq 1.6 prints 'parse error: …' without the 'jq: ' prefix",
		Want:    tooltest.Result{Stderr: "jq: parse error: Unfinished JSON term at EOF at line 1, column 6\n", Status: 2}},
	{Name: "fail/runtime-error", Args: jq(".a"), Stdin: `"s"`},
	{Name: "fail/runtime-error-index-array", Args: jq(".a"), Stdin: `[1]`},
	{Name: "fail/runtime-error-then-go-on", Args: jq(".a"), Stdin: `"s" {"a":1}`},
	// Every way of spelling the key names it in the error; a key of 30 bytes or more is left out.
	{Name: "fail/index-error-names-the-key-in-a-path", Args: jq(".a.b"), Stdin: `{"a":"s"}`},
	{Name: "fail/index-error-names-the-key-quoted", Args: jq(`."a b"`), Stdin: `[1]`},
	{Name: "fail/index-error-names-the-key-bracketed", Args: jq(`.[0]["name"]`), Stdin: `[[1]]`},
	{Name: "fail/index-error-names-the-key-interpolated", Args: jq(`."\("na")me"`), Stdin: `true`},
	{Name: "fail/index-error-names-the-key-of-a-variable", Args: jq("--arg", "k", "name", ".[$k]"), Stdin: `1`},
	{Name: "fail/index-error-names-the-key-of-a-shorthand", Args: jq("-c", "{name, status}"), Stdin: `[1]`},
	{Name: "fail/index-error-names-the-key-in-a-function", Args: jq("def f: .x; f"), Stdin: `[1]`},
	{Name: "fail/index-error-long-key-unnamed", Args: jq(".abcdefghijabcdefghijabcdefghij"), Stdin: `[1]`},
	{Name: "ok/index-error-caught", Args: jq("try .a catch ."), Stdin: `[1]`},
	{Name: "ok/index-error-suppressed", Args: jq("-c", "[.[] | .a?]"), Stdin: `[1, {"a": 2}]`},
	{Name: "ok/index-paths-still-paths", Args: jq("-c", `path(.a.b), (.a.b = 2), del(.a."b"), (.["a"].b |= . + 1), ([paths])`), Stdin: `{"a":{"b":1}}`},
	{Name: "ok/index-generated-keys", Args: jq("-c", `[.[("a","b")]]`), Stdin: `{"a":1,"b":2}`},
	{Name: "fail/runtime-error-index-number", Args: jq(".[0]"), Stdin: `{}`},
	{Name: "fail/compile-error", Args: jq("-n", ".a["),
		Version: "gojq's parser words syntax errors unlike jq's (1.7.1: 'syntax error, unexpected end of file (Unix shell quoting issues?)', 1.6 otherwise again); the shape and status are jq's",
		Want:    tooltest.Result{Stderr: "jq: error: unexpected EOF at <top-level>, line 1:\n.a[\njq: 1 compile error\n", Status: 3}},
	{Name: "fail/missing-file", Args: jq(".", "nope.json")},
	{Name: "fail/unknown-option", Args: jq("--bogus", "."),
		Version: "jq 1.7 points to jqlang.github.io, 1.6 to stedolan.github.io",
		Want:    tooltest.Result{Stderr: "jq: Unknown option --bogus\n" + usage17, Status: 2}},
	{Name: "fail/unknown-short-in-cluster", Args: jq("-rz", "."),
		Version: "as fail/unknown-option: jq names the whole word",
		Want:    tooltest.Result{Stderr: "jq: Unknown option -rz\n" + usage17, Status: 2}},
	{Name: "fail/arg-missing-value", Args: jq("-n", "--arg", "x"),
		Version: "jq 1.7 points to jqlang.github.io",
		Want:    tooltest.Result{Stderr: "jq: --arg takes two parameters (e.g. --arg varname value)\n" + usage17, Status: 2}},
	{Name: "fail/argjson-invalid", Args: jq("-n", "--argjson", "x", "{", "$x"),
		Version: "jq 1.7 writes 'invalid' in lower case and points to jqlang.github.io",
		Want:    tooltest.Result{Stderr: "jq: invalid JSON text passed to --argjson\n" + usage17, Status: 2}},
	{Name: "fail/indent-too-large", Args: jq("--indent", "9", "."), Stdin: "1",
		Version: "jq 1.6 says 'Cannot indent more than 7 characters'",
		Want:    tooltest.Result{Stderr: "jq: --indent takes a number between -1 and 7\n" + usage17, Status: 2}},
	{Name: "ok/version", Args: jq("--version"),
		Version: "the version imitated",
		Want:    tooltest.Result{Stdout: "jq-1.7.1\n"}},
}
