package coreutils

import (
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/shell/internal/tooltest"
)

// TestRecorded runs the commands beside recordings of GNU coreutils 9.1 (Debian bookworm);
// see package tooltest, and re-record with go test -update.
func TestRecorded(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC) }
	cmds := Commands(Options{Now: now, Hostname: "host", User: "root"})
	tooltest.Suite{Run: func(t *testing.T, c tooltest.Case) tooltest.Result {
		f, ok := cmds[c.Args[0]]
		if !ok {
			t.Fatalf("no command %s", c.Args[0])
		}
		return tooltest.Builtin(f, c, now)
	}}.Check(t, coreutilsCases)
}

func cmd(name string, args ...string) []string { return append([]string{name}, args...) }

// refusedSort: sort refuses -g, -h and -M (GNU has them): they cost the wasm build more than
// the documented commands need them.
const refusedSort = "sort -g, -h and -M are refused here"

var (
	keyed   = "b 2\na 10\na 9\n"
	table   = "pear 3 x\napple 10 y\nfig 3 a\nApple 2 b\n_under 1 c\n"
	csv     = "id,name,size\n2,beta,20\n1,alpha,100\n3,gamma,3\n"
	numbers = "10\n9\n-2\n1.5\n  7\nabc\n-0\n0\n1e3\n"
	words   = "one two\nthree\n\nfour  five six\n"
	ten     = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n"
	tree    = map[string]string{"a": "", "b.txt": "", ".hidden": "", "d/x": "", "d/.y": "", "e/z": ""}
	fruit   = "pear 3 x\napple 10 y\nfig 3 a\nApple 2 b\n_under 1 c\nkiwi 4 d\nplum 5 e\n"
)

var coreutilsCases = []tooltest.Case{
	// sort: keys, modifiers, separators, the last-resort comparison and its refusals.
	{Name: "ok/sort-plain", Args: cmd("sort"), Stdin: table},
	{Name: "ok/sort-key-numeric-end-field", Args: cmd("sort", "-k2,2n"), Stdin: keyed},
	{Name: "ok/sort-key-to-end-of-line", Args: cmd("sort", "-k2"), Stdin: keyed},
	{Name: "ok/sort-key-numeric-global", Args: cmd("sort", "-n", "-k2,2"), Stdin: keyed},
	{Name: "ok/sort-key-reverse-modifier", Args: cmd("sort", "-k2,2nr"), Stdin: table},
	{Name: "ok/sort-two-keys", Args: cmd("sort", "-k2,2n", "-k1,1"), Stdin: table},
	{Name: "ok/sort-fold-case", Args: cmd("sort", "-f"), Stdin: table},
	{Name: "ok/sort-unique-fold", Args: cmd("sort", "-uf", "-k1,1"), Stdin: "a 1\nA 2\nb 3\na 4\n"},
	{Name: "ok/sort-separator-numeric", Args: cmd("sort", "-t,", "-k3n"), Stdin: csv},
	{Name: "ok/sort-separator-reverse", Args: cmd("sort", "-t", ",", "-k2,2", "-r"), Stdin: csv},
	{Name: "ok/sort-numeric", Args: cmd("sort", "-n"), Stdin: numbers},
	{Name: "ok/sort-numeric-reverse", Args: cmd("sort", "-rn"), Stdin: numbers},
	{Name: "ok/sort-general-numeric", Args: cmd("sort", "-g"), Stdin: numbers, Differs: refusedSort,
		Want: tooltest.Result{Stderr: "sort: option '-g' is not supported in this emulator\nTry 'sort --help' for more information.\n", Status: 2}},
	{Name: "ok/sort-human", Args: cmd("sort", "-h"), Stdin: "2K\n1M\n3\n10K\n1G\n", Differs: refusedSort,
		Want: tooltest.Result{Stderr: "sort: option '-h' is not supported in this emulator\nTry 'sort --help' for more information.\n", Status: 2}},
	{Name: "ok/sort-month-key", Args: cmd("sort", "-k1M"), Stdin: "FEB x\njan y\nxyz\nDec z\n", Differs: refusedSort,
		Want: tooltest.Result{Stderr: "sort: key ordering option 'M' is not supported in this emulator\n", Status: 2}},
	{Name: "ok/sort-stable", Args: cmd("sort", "-s", "-k2,2n"), Stdin: table},
	{Name: "ok/sort-char-position", Args: cmd("sort", "-k1.2,1.3"), Stdin: "xbz\nyaz\nzcy\n"},
	{Name: "ok/sort-blank-start", Args: cmd("sort", "-k2b,2"), Stdin: "a   c\nb b\n"},
	{Name: "ok/sort-dictionary", Args: cmd("sort", "-d"), Stdin: "a-c\nab\n_b\n"},
	{Name: "ok/sort-unique", Args: cmd("sort", "-u"), Stdin: "b\na\nb\n"},
	{Name: "ok/sort-check-sorted", Args: cmd("sort", "-c"), Stdin: "a\nb\n"},
	{Name: "fail/sort-check-disorder", Args: cmd("sort", "-c"), Stdin: "b\na\n"},
	{Name: "fail/sort-check-quiet", Args: cmd("sort", "-C"), Stdin: "b\na\n"},
	{Name: "ok/sort-output-file", Args: cmd("sort", "-o", "out", "in"), Files: map[string]string{"in": "b\na\n"}},
	{Name: "fail/sort-unknown-option", Args: cmd("sort", "-j"), Stdin: ""},
	{Name: "fail/sort-unknown-long-option", Args: cmd("sort", "--bogus"), Stdin: ""},
	{Name: "fail/sort-ambiguous-option", Args: cmd("sort", "--s"), Stdin: ""},
	{Name: "fail/sort-key-missing", Args: cmd("sort", "-k"), Stdin: ""},
	{Name: "fail/sort-key-zero", Args: cmd("sort", "-k0"), Stdin: ""},
	{Name: "fail/sort-key-not-a-number", Args: cmd("sort", "-k", "x"), Stdin: ""},
	{Name: "fail/sort-key-stray", Args: cmd("sort", "-k1z"), Stdin: ""},
	{Name: "fail/sort-key-char-zero", Args: cmd("sort", "-k1.0"), Stdin: ""},
	{Name: "fail/sort-key-end-not-a-number", Args: cmd("sort", "-k1,x"), Stdin: ""},
	{Name: "fail/sort-multichar-tab", Args: cmd("sort", "-t", "ab"), Stdin: ""},
	{Name: "fail/sort-option-value", Args: cmd("sort", "--reverse=yes"), Stdin: ""},
	{Name: "fail/sort-missing-file", Args: cmd("sort", "nope")},

	// cut
	{Name: "ok/cut-fields", Args: cmd("cut", "-d,", "-f2,3"), Stdin: csv},
	{Name: "ok/cut-field-range", Args: cmd("cut", "-d", ".", "-f2-"), Stdin: "a.b.c\nno-dot\n"},
	{Name: "ok/cut-only-delimited", Args: cmd("cut", "-s", "-d.", "-f1"), Stdin: "a.b\nno-dot\n"},
	{Name: "ok/cut-chars", Args: cmd("cut", "-c", "2-4"), Stdin: "abcdef\nxy\n"},
	{Name: "ok/cut-complement", Args: cmd("cut", "--complement", "-d,", "-f1"), Stdin: csv},
	{Name: "ok/cut-output-delimiter", Args: cmd("cut", "-d,", "-f1,2", "--output-delimiter= | "), Stdin: csv},
	{Name: "fail/cut-no-list", Args: cmd("cut", "-d,"), Stdin: csv},
	{Name: "fail/cut-two-lists", Args: cmd("cut", "-f1", "-c1"), Stdin: csv},
	{Name: "fail/cut-long-delimiter", Args: cmd("cut", "-d", "ab", "-f1"), Stdin: csv},
	{Name: "fail/cut-field-zero", Args: cmd("cut", "-f0"), Stdin: csv},
	{Name: "fail/cut-decreasing", Args: cmd("cut", "-f3-1"), Stdin: csv},
	{Name: "fail/cut-delimiter-with-chars", Args: cmd("cut", "-d,", "-c1"), Stdin: csv},

	// tr
	{Name: "ok/tr-map", Args: cmd("tr", "a-z", "A-Z"), Stdin: "hello, world\n"},
	{Name: "ok/tr-delete", Args: cmd("tr", "-d", "\\n"), Stdin: "a\nb\n"},
	{Name: "ok/tr-squeeze", Args: cmd("tr", "-s", " "), Stdin: "a   b  c\n"},
	{Name: "ok/tr-class", Args: cmd("tr", "-d", "[:digit:]"), Stdin: "a1b22c\n"},
	{Name: "ok/tr-complement-delete", Args: cmd("tr", "-cd", "a-z\\n"), Stdin: "a-B c_d\n"},
	{Name: "ok/tr-short-set2", Args: cmd("tr", "abc", "x"), Stdin: "aabbcc\n"},
	{Name: "fail/tr-missing-set2", Args: cmd("tr", "a"), Stdin: ""},
	{Name: "fail/tr-no-operand", Args: cmd("tr"), Stdin: ""},
	{Name: "fail/tr-extra-operand", Args: cmd("tr", "-d", "a", "b"), Stdin: ""},

	// head, tail, wc, uniq, cat, base64, seq
	{Name: "ok/head-lines", Args: cmd("head", "-n", "2"), Stdin: words},
	{Name: "ok/head-shorthand", Args: cmd("head", "-3"), Stdin: words},
	{Name: "ok/head-all-but-last", Args: cmd("head", "-n", "-2"), Stdin: words},
	{Name: "ok/head-bytes", Args: cmd("head", "-c5"), Stdin: words},
	{Name: "ok/head-two-files", Args: cmd("head", "-n1", "a", "b"), Files: map[string]string{"a": "1\n2\n", "b": "3\n"}},
	{Name: "ok/tail-lines", Args: cmd("tail", "-n", "2"), Stdin: words},
	{Name: "ok/tail-from-line", Args: cmd("tail", "-n", "+3"), Stdin: words},
	{Name: "fail/head-bad-count", Args: cmd("head", "-n", "x"), Stdin: words},
	{Name: "ok/wc-default", Args: cmd("wc"), Stdin: words},
	{Name: "ok/wc-lines", Args: cmd("wc", "-l"), Stdin: words},
	{Name: "ok/wc-files", Args: cmd("wc", "a", "b"), Files: map[string]string{"a": words, "b": "x y\n"}},
	{Name: "ok/wc-chars-max-line", Args: cmd("wc", "-m", "-L"), Stdin: words},
	{Name: "ok/uniq-count", Args: cmd("uniq", "-c"), Stdin: "a\na\nb\na\n"},
	{Name: "ok/uniq-repeated", Args: cmd("uniq", "-d"), Stdin: "a\na\nb\nc\nc\n"},
	{Name: "ok/uniq-ignore-case", Args: cmd("uniq", "-i"), Stdin: "a\nA\nb\n"},
	{Name: "ok/uniq-output-file", Args: cmd("uniq", "in", "out"), Files: map[string]string{"in": "a\na\nb\n"}},
	{Name: "ok/cat-number", Args: cmd("cat", "-n"), Stdin: "a\n\nb\n"},
	{Name: "ok/cat-show-ends", Args: cmd("cat", "-E", "f"), Files: map[string]string{"f": "a \nb"}},
	{Name: "fail/cat-missing-file", Args: cmd("cat", "nope")},
	{Name: "fail/cat-unknown-option", Args: cmd("cat", "-z")},
	{Name: "ok/base64-encode", Args: cmd("base64"), Stdin: "hello world"},
	{Name: "ok/base64-wrap", Args: cmd("base64", "-w", "16"), Stdin: "The quick brown fox jumps over the lazy dog"},
	{Name: "ok/base64-no-wrap", Args: cmd("base64", "--wrap=0"), Stdin: "The quick brown fox jumps over the lazy dog"},
	{Name: "ok/base64-decode", Args: cmd("base64", "-d"), Stdin: "aGVsbG8gd29ybGQ=\n"},
	{Name: "fail/base64-decode-unpadded", Args: cmd("base64", "-d"), Stdin: "SGVsbG8"},
	{Name: "fail/base64-decode-url-alphabet", Args: cmd("base64", "--decode"), Stdin: "YWJj-ZGVm"},
	{Name: "ok/base64-ignore-garbage", Args: cmd("base64", "-di"), Stdin: "aGVs*bG8=\n"},
	{Name: "fail/base64-bad-wrap", Args: cmd("base64", "-w", "x")},
	{Name: "fail/base64-extra-operand", Args: cmd("base64", "a", "b")},
	{Name: "ok/seq", Args: cmd("seq", "3")},
	{Name: "ok/seq-range-step", Args: cmd("seq", "-2", "2", "5")},
	{Name: "ok/seq-separator", Args: cmd("seq", "-s", ",", "1", "4")},
	{Name: "fail/seq-bad-number", Args: cmd("seq", "x")},
	{Name: "fail/seq-no-operand", Args: cmd("seq")},

	// grep, sed
	{Name: "ok/grep-basic", Args: cmd("grep", "a"), Stdin: table},
	{Name: "ok/grep-ignore-case-count", Args: cmd("grep", "-ic", "apple"), Stdin: table},
	{Name: "ok/grep-invert-number", Args: cmd("grep", "-vn", "a"), Stdin: table},
	{Name: "ok/grep-only-matching-extended", Args: cmd("grep", "-oE", "[0-9]+"), Stdin: table},
	{Name: "ok/grep-fixed-word", Args: cmd("grep", "-Fw", "fig"), Stdin: table},
	{Name: "ok/grep-two-files", Args: cmd("grep", "x", "a", "b"), Files: map[string]string{"a": "x1\ny\n", "b": "zx\n"}},
	{Name: "ok/grep-files-with-matches", Args: cmd("grep", "-l", "x", "a", "b"), Files: map[string]string{"a": "x1\ny\n", "b": "z\n"}},
	{Name: "ok/grep-several-patterns", Args: cmd("grep", "-e", "fig", "-e", "pear"), Stdin: table},
	{Name: "fail/grep-no-match", Args: cmd("grep", "zzz"), Stdin: table},
	{Name: "fail/grep-missing-file", Args: cmd("grep", "x", "nope")},
	{Name: "fail/grep-unknown-option", Args: cmd("grep", "--bogus", "x")},
	{Name: "fail/grep-no-pattern", Args: cmd("grep")},
	// grep's context: -A, -B, -C and -NUM, "-" after context lines' numbers, "--" between groups.
	{Name: "ok/grep-after-context", Args: cmd("grep", "-A1", "fig"), Stdin: fruit},
	{Name: "ok/grep-before-context-numbered", Args: cmd("grep", "-n", "-B1", "-i", "apple"), Stdin: fruit},
	{Name: "ok/grep-context-groups", Args: cmd("grep", "-C1", "-e", "pear", "-e", "plum"), Stdin: fruit},
	{Name: "ok/grep-context-zero-separates", Args: cmd("grep", "-A0", "-e", "pear", "-e", "kiwi"), Stdin: fruit},
	{Name: "ok/grep-context-explicit-wins", Args: cmd("grep", "-A", "0", "-C", "1", "fig"), Stdin: fruit},
	{Name: "ok/grep-context-digits", Args: cmd("grep", "-1", "fig"), Stdin: fruit},
	{Name: "ok/grep-context-overlapping", Args: cmd("grep", "-A1", "-e", "fig", "-e", "Apple"), Stdin: fruit},
	{Name: "ok/grep-context-invert", Args: cmd("grep", "-v", "-A1", "[0-9] [a-c]"), Stdin: fruit},
	{Name: "ok/grep-context-only-matching", Args: cmd("grep", "-o", "-A1", "-e", "pear", "-e", "fig", "-e", "kiwi"), Stdin: fruit},
	{Name: "ok/grep-context-count", Args: cmd("grep", "-c", "-A1", "fig"), Stdin: fruit},
	{Name: "ok/grep-context-files", Args: cmd("grep", "-A1", "plum", "a", "b"), Files: map[string]string{"a": fruit, "b": fruit}},
	{Name: "ok/grep-context-group-separator", Args: cmd("grep", "--group-separator=XX", "-A0", "-e", "pear", "-e", "kiwi"), Stdin: fruit},
	{Name: "ok/grep-context-no-group-separator", Args: cmd("grep", "--no-group-separator", "-A0", "-e", "pear", "-e", "kiwi"), Stdin: fruit},
	{Name: "ok/grep-context-long-abbreviated", Args: cmd("grep", "--after=+1", "fig"), Stdin: fruit},
	{Name: "ok/grep-invert-only-matching", Args: cmd("grep", "-ov", "a"), Stdin: fruit},
	{Name: "fail/grep-context-not-a-number", Args: cmd("grep", "-A", "1x", "fig"), Stdin: fruit},
	{Name: "fail/grep-context-negative", Args: cmd("grep", "-B", "-1", "fig"), Stdin: fruit},
	{Name: "ok/sed-substitute-global", Args: cmd("sed", "s/a/A/g"), Stdin: table},
	{Name: "ok/sed-print-line", Args: cmd("sed", "-n", "2p"), Stdin: table},
	{Name: "ok/sed-delete-regex", Args: cmd("sed", "/apple/d"), Stdin: table},
	{Name: "ok/sed-extended-groups", Args: cmd("sed", "-E", `s/([a-z]+) ([0-9]+)/\2:\1/`), Stdin: table},
	{Name: "ok/sed-range-last", Args: cmd("sed", "-n", "3,$p"), Stdin: table},
	{Name: "ok/sed-transliterate", Args: cmd("sed", "y/abc/xyz/"), Stdin: "aabbcc\n"},
	{Name: "ok/sed-two-expressions", Args: cmd("sed", "-e", "s/a/1/", "-e", "s/p/2/"), Stdin: table},
	{Name: "ok/sed-nth-match", Args: cmd("sed", "s/p/P/2"), Stdin: "apple pie\n"},
	{Name: "fail/sed-unknown-command", Args: cmd("sed", "k"), Stdin: table},
	// GNU's addresses: addr,+N, addr,~N, first~step and 0,/regex/.
	{Name: "ok/sed-range-plus", Args: cmd("sed", "-n", "/3/,+2p"), Stdin: ten},
	{Name: "ok/sed-range-plus-restarts", Args: cmd("sed", "-n", "/[27]/,+1p"), Stdin: ten},
	{Name: "ok/sed-range-plus-zero", Args: cmd("sed", "-n", "3,+0p"), Stdin: ten},
	{Name: "ok/sed-range-plus-past-end", Args: cmd("sed", "-n", "8,+5p"), Stdin: ten},
	{Name: "ok/sed-range-plus-delete", Args: cmd("sed", "2,+2d"), Stdin: ten},
	{Name: "ok/sed-range-plus-negated", Args: cmd("sed", "-n", "2,+1!p"), Stdin: ten},
	{Name: "ok/sed-range-multiple", Args: cmd("sed", "-n", "5,~4p"), Stdin: ten},
	{Name: "ok/sed-range-multiple-from-one", Args: cmd("sed", "-n", "4,~4p"), Stdin: ten},
	{Name: "ok/sed-range-multiple-zero", Args: cmd("sed", "-n", "2,~p"), Stdin: ten},
	{Name: "ok/sed-step", Args: cmd("sed", "-n", "0~3p"), Stdin: ten},
	{Name: "ok/sed-step-zero", Args: cmd("sed", "-n", "2~0p"), Stdin: ten},
	{Name: "ok/sed-step-range", Args: cmd("sed", "-n", "0~2,/5/p"), Stdin: ten},
	{Name: "ok/sed-zero-regex", Args: cmd("sed", "-n", "0,/1/p"), Stdin: ten},
	{Name: "ok/sed-one-regex", Args: cmd("sed", "-n", "1,/1/p"), Stdin: ten},
	{Name: "ok/sed-range-backwards", Args: cmd("sed", "-n", "3,1p"), Stdin: ten},
	{Name: "fail/sed-plus-first", Args: cmd("sed", "-n", "+12p"), Stdin: ten},
	{Name: "fail/sed-zero-line", Args: cmd("sed", "-n", "0,5p"), Stdin: ten},
	{Name: "fail/sed-zero-alone", Args: cmd("sed", "-n", "0p"), Stdin: ten},
	{Name: "fail/sed-unterminated", Args: cmd("sed", "s/a/b"), Stdin: table},

	// ls into a pipe: one name a line (GNU ls makes columns only for a terminal).
	{Name: "ok/ls-into-a-pipe", Args: cmd("ls"), Files: tree},
	{Name: "ok/ls-one-per-line", Args: cmd("ls", "-1", "d"), Files: tree},
	{Name: "ok/ls-all", Args: cmd("ls", "-a", "d"), Files: tree},
	{Name: "ok/ls-almost-all", Args: cmd("ls", "-A"), Files: tree},
	{Name: "ok/ls-files-then-directories", Args: cmd("ls", "e", "d", "b.txt", "a"), Files: tree},
	{Name: "ok/ls-one-directory-of-two-operands", Args: cmd("ls", "nope", "d"), Files: tree},
	{Name: "fail/ls-missing", Args: cmd("ls", "nope"), Files: tree},

	// files and small commands
	{Name: "ok/basename", Args: cmd("basename", "/a/b/c.txt", ".txt")},
	{Name: "ok/dirname", Args: cmd("dirname", "/a/b/c.txt")},
	{Name: "fail/rm-missing-operand", Args: cmd("rm")},
	{Name: "fail/rm-missing-file", Args: cmd("rm", "nope")},
	{Name: "fail/mkdir-missing-operand", Args: cmd("mkdir")},
	{Name: "fail/cp-missing-destination", Args: cmd("cp", "a"), Files: map[string]string{"a": "x"}},
	{Name: "fail/touch-missing-operand", Args: cmd("touch")},
	{Name: "ok/date-epoch", Args: cmd("date", "-u", "-d", "@1700000000", "+%Y-%m-%dT%H:%M:%S %a %b %e %j %s")},
	{Name: "ok/date-iso", Args: cmd("date", "-u", "-d", "@0", "-Iseconds")},
	{Name: "ok/date-rfc-email", Args: cmd("date", "-u", "-d", "@86400", "-R")},
	{Name: "fail/date-bad-date", Args: cmd("date", "-d", "not a date")},
	{Name: "ok/rev", Args: cmd("rev"), Stdin: "abc\nde\n"},
	{Name: "ok/nl", Args: cmd("nl"), Stdin: "a\n\nb\n"},
	{Name: "ok/echo-escapes", Args: cmd("echo", "-e", `a\tb\n`)},
	{Name: "ok/echo-no-newline", Args: cmd("echo", "-n", "x", "y")},
}
