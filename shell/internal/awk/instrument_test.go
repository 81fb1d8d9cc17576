package awk

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/benhoyt/goawk/interp"
	"github.com/benhoyt/goawk/parser"
)

// TestInstrument runs programs with loops in every position the grammar allows, as written
// and instrumented, and checks that the output is the same and that the checkpoint ran.
func TestInstrument(t *testing.T) {
	const input = "a b c\nd e\n\nf\n"
	for _, tc := range []struct {
		name, src string
		polls     bool // the program has checkpoints and reaches them
	}{
		{"while-braced", `BEGIN { while (i < 3) { s = s i; i++ }; print s }`, true},
		{"while-unbraced", "BEGIN { while (length(s) < 3) s = s \"x\"; print s }", true},
		{"while-newline-body", "BEGIN { while (length(s) < 3)\n\ts = s \"x\"\nprint s }", true},
		{"while-comment", "BEGIN { while (length(s) < 2) s = s \"x\" # grow\n print s }", true},
		{"while-empty", "BEGIN { while ((s = s \"x\") != \"xxx\"); print s }", true},
		{"for", "BEGIN { for (i = 0; i < 3; i++) s = s i; print s }", true},
		{"for-empty-clauses", "BEGIN { for (;;) if (length(s = s \"x\") > 3) break; print s }", true},
		{"for-empty-body", "BEGIN { for (s = \"\"; length(s) < 5; s = s \"x\"); print s }", true},
		{"for-in", `BEGIN { a["x"]; a["y"]; for (k in a) n = n k; print length(n) }`, true},
		{"do-braced", "BEGIN { do { s = sprintf(\"%s.\", s) } while (length(s) < 3)\n print s }", true},
		{"do-unbraced", "BEGIN { do s = s \"x\"; while (length(s) < 3); print s }", true},
		{"do-newlines", "BEGIN { do\n\ts = s \"x\"\nwhile (length(s) < 3)\nprint s }", true},
		{"do-empty", "BEGIN { s = \"a\"; do ; while (gsub(/a/, \"b\", s)); print s }", true},
		{"nested", "BEGIN { for (i = 0; i < 3; i++) for (j = 0; j < i; j++) while (k < j) { k++; s = s k }; print i, j, k, s }", true},
		{"if-else-around-loop", "BEGIN { if (1) while (length(x) < 2) x = x \"1\"; else y = 1; print x, y }", true},
		{"loop-with-break-continue", "BEGIN { while (1) { s = s \"x\"; if (length(s) < 3) continue; break }; print s }", true},
		{"function", "function f(n) { return n ? n \"-\" f(n - 1) : 0 }\nBEGIN { print f(4) }", true},
		{"function-newline-brace", "function g(a,\n b)\n# comment\n{ return a b }\nBEGIN { print g(1, 2) }", true},
		{"per-record", `{ s = ""; for (i = NF; i > 0; i--) s = s $i " "; sub(/ $/, "", s); print s }`, true},
		{"getline-loop", `BEGIN { while ((getline line) > 0) all = all line; print all }`, true},
		{"runtime-error", `BEGIN { while (i < 1) { i++; x = "a" 1 / 0 } }`, true},
		{"exit-in-loop", `BEGIN { while (1) { s = s "x"; exit 3 } }`, true},
		{"numeric-loop-left-alone", `BEGIN { for (i = 0; i < 1000; i++) s += i; while (j < 10) j++; print s, j }`, false},
		{"function-without-strings-left-alone", "function f(n) { return n ? n + f(n - 1) : 0 }\nBEGIN { print f(4) }", false},
		{"regex-with-keywords", `/while \(/ { print "no" } $0 ~ "for\\(;;\\)" { print "no" } END { print NR }`, false},
		{"string-with-braces", `BEGIN { s = "while (1) { }"; print s }`, false},
		{"no-loop", `{ print $2 }`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prog, err := parser.ParseProgram([]byte(tc.src), nil)
			if err != nil {
				t.Fatal(err)
			}
			src2, ok := instrument([]byte(tc.src), prog)
			if !ok {
				t.Fatal("not instrumented")
			}
			if n := strings.Count(string(src2), pollCall); (n > 0) != tc.polls {
				t.Errorf("%d checkpoints in %q", n, src2)
			}
			polls := 0
			funcs := map[string]any{pollFunc: func() (int, error) { polls++; return 0, nil }}
			prog2, err := parser.ParseProgram(src2, &parser.ParserConfig{Funcs: funcs})
			if err != nil {
				t.Fatalf("instrumented %q: %v", src2, err)
			}
			exec := func(p *parser.Program) (string, int, string) {
				var out bytes.Buffer
				ip, err := interp.New(p)
				if err != nil {
					t.Fatal(err)
				}
				status, err := ip.ExecuteContext(awkCtx{context.Background()}, &interp.Config{
					Stdin: strings.NewReader(input), Output: &out, NoExec: true, NoFileWrites: true,
					NoFileReads: true, Funcs: funcs,
				})
				msg := ""
				if err != nil {
					msg = err.Error()
				}
				return out.String(), status, msg
			}
			out1, st1, err1 := exec(prog)
			out2, st2, err2 := exec(prog2)
			if out1 != out2 || st1 != st2 || err1 != err2 {
				t.Errorf("as written: %q %d %q\ninstrumented %q: %q %d %q", out1, st1, err1, src2, out2, st2, err2)
			}
			if (polls > 0) != tc.polls {
				t.Errorf("%d checkpoints reached", polls)
			}
		})
	}
}
