package shell

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// Interactive reads command lines from in and runs them one at a time, like an interactive
// bash: it prints the prompt (Prompt, or "> " while a command continues on the next line),
// keeps a history that the history command lists, and returns the status of the last command
// when in ends, a command runs exit, or ctx is cancelled (noticed at the next prompt, since a
// read from in cannot be interrupted). Each command line gets its own
// context: Interrupt cancels the running one (the caller maps Ctrl-C to it) and the session
// goes on. Commands read no standard input in this mode.
func (s *Session) Interactive(ctx context.Context, in io.Reader, out, errOut io.Writer) int {
	r := bufio.NewReader(in)
	var buf strings.Builder
	status := 0
	s.cmu.Lock()
	s.replOut = out
	s.cmu.Unlock()
	defer func() {
		s.cmu.Lock()
		s.replOut = nil
		s.cmu.Unlock()
	}()
	for {
		if ctx.Err() != nil {
			return status
		}
		prompt := s.Prompt()
		if buf.Len() > 0 {
			prompt = "> "
		}
		s.cmu.Lock()
		s.idlePrompt, s.discard = s.Prompt(), false
		s.cmu.Unlock()
		io.WriteString(out, prompt)
		line, err := r.ReadString('\n')
		s.cmu.Lock()
		discard := s.discard
		s.idlePrompt = ""
		s.cmu.Unlock()
		if discard {
			buf.Reset()
		}
		if line == "" && err != nil {
			if buf.Len() > 0 {
				fmt.Fprintln(errOut, "bash: syntax error: unexpected end of file")
				status = StatusSyntax
			}
			io.WriteString(out, "exit\n")
			return status
		}
		if !strings.HasSuffix(line, "\n") {
			line += "\n"
		}
		buf.WriteString(line)
		src := buf.String()
		file, perr := syntax.NewParser().Parse(strings.NewReader(src), "")
		if perr != nil {
			if incomplete(perr) {
				continue
			}
			buf.Reset()
			fmt.Fprintln(errOut, syntaxMessage(perr, src))
			s.mu.Lock()
			s.history = append(s.history, strings.TrimRight(src, "\n"))
			s.setStatus(StatusSyntax)
			s.mu.Unlock()
			status = StatusSyntax
			continue
		}
		buf.Reset()
		if strings.TrimSpace(src) == "" {
			continue
		}
		s.mu.Lock()
		s.history = append(s.history, strings.TrimRight(src, "\n"))
		status = s.run(ctx, file.Stmts, out, errOut)
		exited := s.runner.Exited()
		s.mu.Unlock()
		if exited {
			io.WriteString(errOut, "exit\n")
			return status
		}
	}
}

// History returns the command lines entered in Interactive so far.
func (s *Session) History() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.history...)
}
