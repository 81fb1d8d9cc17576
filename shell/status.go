package shell

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"

	"github.com/imdsplay/imdsplay/shell/internal/builtin"
)

// Bash's PIPESTATUS and `time`, which mvdan.cc/sh v3.14.1 does not give: its PIPESTATUS is
// never set (mvdan/sh#1388), and its `time` reads the real clock, so `time sleep 3` reports
// 0.000s while the session's virtual clock moves by three seconds. The interpreter has no hook
// around a pipeline or a timed command, so instrument rewrites them before they run, with two
// commands that only the rewrite can name (see shellOnly):
//
//	a | b      →  { ( a ) && PS set ID 0 0 || PS set ID 0 $?
//	                | { b; PS set ID 1 $?; }; PS end ID 2 $?; }
//	time [-p] X → { TIME begin ID; X; TIME end ID [-p] $?; }
//
// Each pipeline element reports its status; the end publishes them, as the variable's value,
// and returns the pipeline's status, so $? and set -e are as before. The first elements already
// run in subshells (the interpreter's, as bash's), so the extra ( ) costs nothing visible and
// keeps set -e's exits inside them; the last element, which the interpreter runs in the current
// shell, is left there (`… | read v` keeps setting v). Known differences: after a function call
// PIPESTATUS holds the last pipeline the function ran, where bash holds the call's status; under
// set -e, a timed command that fails ends the shell before `time` reports; `declare -f` prints
// a function's body with the rewrite in it; under set -x the rewrite's commands are not traced to
// the terminal (see terminal.Write) but are to a file that stderr is redirected to.
const (
	pipeCmd = shellOnly + "imds-pipestatus"
	timeCmd = shellOnly + "imds-time"
)

// statuses is the session's state behind PIPESTATUS and time.
type statuses struct {
	mu     sync.Mutex
	nextID int
	slots  map[string][]int       // pipeline ID → its elements' statuses so far (-1: none yet)
	starts map[string][]time.Time // time clause ID → when its running instances began
	last   []int                  // the last pipeline's statuses
	fresh  bool                   // no other command has run since last was published
}

// instrument rewrites the pipelines and the time clauses of stmts, as described above.
func (s *Session) instrument(stmts []*syntax.Stmt) {
	elements := map[*syntax.Stmt]bool{}
	var pipes, times []*syntax.Stmt
	for _, st := range stmts {
		syntax.Walk(st, func(n syntax.Node) bool {
			st, ok := n.(*syntax.Stmt)
			if !ok {
				return true
			}
			switch c := st.Cmd.(type) {
			case *syntax.BinaryCmd:
				if c.Op == syntax.Pipe || c.Op == syntax.PipeAll {
					pipes = append(pipes, st)
					elements[c.X], elements[c.Y] = true, true
				}
			case *syntax.TimeClause:
				times = append(times, st)
			}
			return true
		})
	}
	for _, st := range pipes {
		if !elements[st] {
			s.rewritePipeline(st)
		}
	}
	for _, st := range times {
		s.rewriteTime(st)
	}
}

func (s *Session) newID() string {
	s.status.mu.Lock()
	defer s.status.mu.Unlock()
	s.status.nextID++
	return strconv.Itoa(s.status.nextID)
}

// pipeElements lists the commands of a pipeline, in order.
func pipeElements(st *syntax.Stmt) []*syntax.Stmt {
	if b, ok := st.Cmd.(*syntax.BinaryCmd); ok && (b.Op == syntax.Pipe || b.Op == syntax.PipeAll) {
		return append(pipeElements(b.X), pipeElements(b.Y)...)
	}
	return []*syntax.Stmt{st}
}

func word(pos syntax.Pos, s string) *syntax.Word {
	return &syntax.Word{Parts: []syntax.WordPart{&syntax.Lit{ValuePos: pos, ValueEnd: pos, Value: s}}}
}

// lastStatus is the word $?.
func lastStatus(pos syntax.Pos) *syntax.Word {
	return &syntax.Word{Parts: []syntax.WordPart{&syntax.ParamExp{Dollar: pos, Short: true, Param: &syntax.Lit{ValuePos: pos, ValueEnd: pos, Value: "?"}}}}
}

func call(pos syntax.Pos, args ...*syntax.Word) *syntax.Stmt {
	return &syntax.Stmt{Position: pos, Cmd: &syntax.CallExpr{Args: args}}
}

func (s *Session) rewritePipeline(st *syntax.Stmt) {
	pos, id := st.Pos(), s.newID()
	els := pipeElements(st)
	set := func(i int, status *syntax.Word) *syntax.Stmt {
		return call(pos, word(pos, pipeCmd), word(pos, "set"), word(pos, id), word(pos, strconv.Itoa(i)), status)
	}
	for i, el := range els {
		orig := *el
		if i < len(els)-1 {
			sub := &syntax.Stmt{Position: pos, Cmd: &syntax.Subshell{Lparen: pos, Rparen: pos, Stmts: []*syntax.Stmt{&orig}}}
			and := &syntax.Stmt{Position: pos, Cmd: &syntax.BinaryCmd{OpPos: pos, Op: syntax.AndStmt, X: sub, Y: set(i, word(pos, "0"))}}
			*el = syntax.Stmt{Position: pos, Cmd: &syntax.BinaryCmd{OpPos: pos, Op: syntax.OrStmt, X: and, Y: set(i, lastStatus(pos))}}
			continue
		}
		*el = syntax.Stmt{Position: pos, Cmd: &syntax.Block{Lbrace: pos, Rbrace: pos, Stmts: []*syntax.Stmt{&orig, set(i, lastStatus(pos))}}}
	}
	pipeline := &syntax.Stmt{Position: pos, Cmd: st.Cmd}
	end := call(pos, word(pos, pipeCmd), word(pos, "end"), word(pos, id), word(pos, strconv.Itoa(len(els))), lastStatus(pos))
	st.Cmd = &syntax.Block{Lbrace: pos, Rbrace: pos, Stmts: []*syntax.Stmt{pipeline, end}}
}

func (s *Session) rewriteTime(st *syntax.Stmt) {
	tc := st.Cmd.(*syntax.TimeClause)
	pos, id := st.Pos(), s.newID()
	stmts := []*syntax.Stmt{call(pos, word(pos, timeCmd), word(pos, "begin"), word(pos, id))}
	status := word(pos, "0")
	if tc.Stmt != nil {
		stmts, status = append(stmts, tc.Stmt), lastStatus(pos)
	}
	end := []*syntax.Word{word(pos, timeCmd), word(pos, "end"), word(pos, id)}
	if tc.PosixFormat {
		end = append(end, word(pos, "-p"))
	}
	st.Cmd = &syntax.Block{Lbrace: pos, Rbrace: pos, Stmts: append(stmts, call(pos, append(end, status)...))}
}

// ran notes that a command other than the rewrite's own has run, which makes PIPESTATUS that
// command's status again; the call handler calls it before every command and exec after every
// program (a `bash -c` ends with its own pipelines published).
func (st *statuses) ran(name string) {
	if name == pipeCmd || name == timeCmd {
		return
	}
	st.mu.Lock()
	st.fresh = false
	st.mu.Unlock()
}

// pipeStatus is the rewrite's pipeline command: set ID I STATUS records element I's status,
// end ID N STATUS publishes the N statuses and returns STATUS, the pipeline's.
func (s *Session) pipeStatus(e *builtin.Env) int {
	a := e.Args[1:]
	if len(a) != 4 {
		return 2
	}
	n, _ := strconv.Atoi(a[2])
	status, _ := strconv.Atoi(a[3])
	st := &s.status
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.slots == nil {
		st.slots = map[string][]int{}
	}
	switch a[0] {
	case "set":
		slots := st.slots[a[1]]
		for len(slots) <= n {
			slots = append(slots, -1)
		}
		slots[n] = status
		st.slots[a[1]] = slots
	case "end":
		slots := st.slots[a[1]]
		delete(st.slots, a[1])
		last := make([]int, n)
		for i := range last {
			// An element reports unless the run was stopped under it.
			if i < len(slots) && slots[i] >= 0 {
				last[i] = slots[i]
			}
		}
		st.last, st.fresh = last, true
	}
	return status
}

// pipeStatusVar is PIPESTATUS: the last pipeline's statuses while no other command has run
// since, and otherwise a reference to $?, the status of the last command, which bash's
// PIPESTATUS holds after a command that is not a pipeline.
func (st *statuses) pipeStatusVar() expand.Variable {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.fresh {
		return expand.Variable{Set: true, Kind: expand.NameRef, Str: "?"}
	}
	list := make([]string, len(st.last))
	for i, n := range st.last {
		list[i] = strconv.Itoa(n)
	}
	return expand.Variable{Set: true, Kind: expand.Indexed, List: list}
}

// withPipeStatus is an environment that adds PIPESTATUS to env; the interpreter reads a
// variable the script has not set from the environment it was given.
type withPipeStatus struct {
	expand.Environ
	st *statuses
}

func (w withPipeStatus) Get(name string) expand.Variable {
	if name == "PIPESTATUS" {
		return w.st.pipeStatusVar()
	}
	return w.Environ.Get(name)
}

// timeCommand is the rewrite's time command: begin ID notes the virtual time, end ID [-p]
// STATUS reports the virtual time that passed, in bash's format, and returns STATUS.
func (s *Session) timeCommand(e *builtin.Env) int {
	a := e.Args[1:]
	if len(a) < 2 {
		return 2
	}
	st := &s.status
	now := s.clock.Now()
	st.mu.Lock()
	if st.starts == nil {
		st.starts = map[string][]time.Time{}
	}
	if a[0] == "begin" {
		st.starts[a[1]] = append(st.starts[a[1]], now)
		st.mu.Unlock()
		return 0
	}
	start := now
	if stack := st.starts[a[1]]; len(stack) > 0 {
		start = stack[len(stack)-1]
		st.starts[a[1]] = stack[:len(stack)-1]
	}
	st.mu.Unlock()
	status, _ := strconv.Atoi(a[len(a)-1])
	hc := interp.HandlerCtx(e.Ctx)
	format, set := bashTimeFormat, false
	if a[2] == "-p" {
		format, set = posixTimeFormat, true
	} else if v := hc.Env.Get("TIMEFORMAT"); v.IsSet() {
		format, set = v.String(), true
	}
	if set && format == "" {
		return status
	}
	out, bad := formatTimes(format, now.Sub(start))
	if bad != "" {
		fmt.Fprintf(e.Stderr, "bash: line %d: TIMEFORMAT: `%s': invalid format character\n", hc.Pos.Line(), bad)
		return status
	}
	io.WriteString(e.Stderr, out+"\n")
	return status
}

// Bash's formats for time (execute_cmd.c), without the newline it adds.
const (
	bashTimeFormat  = "\nreal\t%3lR\nuser\t%3lU\nsys\t%3lS"
	posixTimeFormat = "real %2R\nuser %2U\nsys %2S"
)

// formatTimes expands a TIMEFORMAT: %[p][l]R, U and S are the real, user and system times
// with p (at most 3) decimals, truncated, and l for the MmS.FFFs form; %P is the CPU share, %%
// a percent sign. The user and system times are 0: the commands are the emulator's, whose CPU
// time is its own. A bad character is returned as bad.
func formatTimes(format string, real time.Duration) (out, bad string) {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 >= len(format) {
			b.WriteByte(c)
			continue
		}
		i++
		if format[i] == '%' {
			b.WriteByte('%')
			continue
		}
		if format[i] == 'P' {
			b.WriteString("0.00")
			continue
		}
		prec, long := 3, false
		if d := format[i]; d >= '0' && d <= '9' {
			prec = min(int(d-'0'), 3)
			i++
		}
		if i < len(format) && format[i] == 'l' {
			long = true
			i++
		}
		if i >= len(format) {
			return "", "\x00"
		}
		var d time.Duration
		switch format[i] {
		case 'R':
			d = real
		case 'U', 'S':
		default:
			return "", string(format[i])
		}
		b.WriteString(formatSeconds(d, prec, long))
	}
	return b.String(), ""
}

// formatSeconds writes d with prec decimals, truncated, as "3.000" or, long, "0m3.000s".
func formatSeconds(d time.Duration, prec int, long bool) string {
	ms := d.Milliseconds()
	sec, frac := ms/1000, ms%1000
	for range 3 - prec {
		frac /= 10
	}
	var s string
	if long {
		s = fmt.Sprintf("%dm%d", sec/60, sec%60)
	} else {
		s = strconv.FormatInt(sec, 10)
	}
	if prec > 0 {
		s += fmt.Sprintf(".%0*d", prec, frac)
	}
	if long {
		s += "s"
	}
	return s
}

// isHiddenTrace reports whether p is set -x's trace of one of the rewrite's commands.
func isHiddenTrace(p []byte) bool {
	return bytes.HasPrefix(p, []byte("+ "+shellOnly+"imds-"))
}
