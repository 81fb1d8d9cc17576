package shell

import (
	"strconv"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// Every piece of shell code the session runs goes through prepare first: the script of Run, a
// script file or `bash -c`, and what eval, source and trap hand the interpreter at run time
// (see call), so that nothing a script builds escapes these rules:
//
//   - Constructs that need a real operating system are refused: process substitution (the
//     interpreter makes a named pipe in a real directory for it) and background jobs (they
//     would outlive the run).
//   - $$ and $PPID read the session's process IDs, not the host's (pidVar, ppidVar).
//   - [[ -O f ]] and [[ -G f ]] test that f exists: every file of the session is its user's.
//     The interpreter would look the user up in the host's /etc/passwd and then fail on the
//     session's files, which have no system owner.
//   - Expansions that can multiply memory in one step are guarded (see guard.go), and so is
//     [[ -v $x ]] with an empty x, on which the interpreter panics.
//   - Escaped characters in assignments lose their backslash, as in bash (see assign.go).

// The names the rewritten code uses. They are ordinary shell names, so that code printed back
// (by eval, source and trap, and declare -f) parses again; the leading underscores keep them
// out of the way of scripts.
const (
	pidVar    = "__imds_pid"
	ppidVar   = "__imds_ppid"
	guardName = "__imds_guard"
)

// Messages of the constructs the session refuses.
const (
	msgProcSubst  = "bash: process substitution <(…) is not available in this emulated shell; use a pipe or a file"
	msgBackground = "bash: background jobs (&) are not available in this emulated shell"
)

// prepare checks and rewrites stmts in place (see above). It returns the message of the first
// construct refused, or "" when the code may run.
func prepare(stmts []*syntax.Stmt) string {
	msg := ""
	g := guarder{done: map[*syntax.Word]bool{}}
	for _, st := range stmts {
		syntax.Walk(st, func(n syntax.Node) bool {
			switch n := n.(type) {
			case *syntax.ProcSubst:
				msg = msgProcSubst
			case *syntax.Stmt:
				if n.Background || n.Coprocess || n.Disown {
					msg = msgBackground
				}
			case *syntax.ParamExp:
				if n.Param != nil {
					switch n.Param.Value {
					case "$":
						n.Param = &syntax.Lit{ValuePos: n.Param.ValuePos, ValueEnd: n.Param.ValueEnd, Value: pidVar}
						n.Short = false
					case "PPID":
						n.Param = &syntax.Lit{ValuePos: n.Param.ValuePos, ValueEnd: n.Param.ValueEnd, Value: ppidVar}
					}
				}
				g.paramExp(n)
			case *syntax.UnaryTest:
				if n.Op == syntax.TsUsrOwn || n.Op == syntax.TsGrpOwn {
					n.Op = syntax.TsExists
				}
				g.varTest(n)
			case *syntax.Assign:
				if n.Value != nil {
					n.Value.Parts = unescapeParts(n.Value.Parts)
				}
				g.assign(n)
			case *syntax.Word:
				g.word(n)
			}
			return msg == ""
		})
		if msg != "" {
			return msg
		}
	}
	return ""
}

// prepareText parses src, prepares it and prints it back, for the interpreter to parse again:
// eval and trap take text. It returns src unchanged when it does not parse (the interpreter
// reports that), and the refusal message when prepare refuses it.
func prepareText(src string) (string, string) {
	f, err := syntax.NewParser().Parse(strings.NewReader(src), "")
	if err != nil {
		return src, ""
	}
	if msg := prepare(f.Stmts); msg != "" {
		return "", msg
	}
	return printNode(f), ""
}

// printNode prints a prepared node as shell code.
func printNode(n syntax.Node) string {
	var b strings.Builder
	if err := syntax.NewPrinter().Print(&b, n); err != nil {
		panic("shell: printing prepared code: " + err.Error()) // our own nodes, always printable
	}
	return b.String()
}

// prepareWords checks and rewrites the words of an alias value, as prepare does with
// statements, and prints them back with the value's trailing blank.
func prepareWords(src string) (string, string) {
	var words []string
	for w, err := range syntax.NewParser().WordsSeq(strings.NewReader(src)) {
		if err != nil {
			return src, ""
		}
		st := &syntax.Stmt{Cmd: &syntax.CallExpr{Args: []*syntax.Word{w}}}
		if msg := prepare([]*syntax.Stmt{st}); msg != "" {
			return "", msg
		}
		words = append(words, printNode(w))
	}
	out := strings.Join(words, " ")
	if strings.TrimRight(src, " \t") != src {
		out += " "
	}
	return out, ""
}

// lit is a literal word part.
func lit(s string) *syntax.Lit { return &syntax.Lit{Value: s} }

// litWord is a word of one literal.
func litWord(s string) *syntax.Word { return &syntax.Word{Parts: []syntax.WordPart{lit(s)}} }

// itoa formats a count for a guard's arguments.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }
