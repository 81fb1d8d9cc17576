package shell

import (
	"fmt"
	"slices"
	"strings"

	"github.com/imdsplay/imdsplay/shell/internal/builtin"
)

// What a learner finds when lost. bash's `help` lists bash's builtins, which is not the
// question a learner typing help here is asking: this one lists the commands this shell has,
// one line each (`help NAME` for one), and what the shell language offers. A command that is
// not found gets bash's line and, when one of the shell's commands is a typo away, a second
// line naming it, as Ubuntu's command-not-found handler does.

// commandHelp is one line about each command a session can have. A command the session has
// and this table lacks is a test failure (TestHelpCoversEveryCommand): help lists them all.
var commandHelp = map[string]string{
	"curl":     "send HTTP requests (the metadata service, IAM, the VPC API): -X -H -d -s -S -o -w -i -m --cacert …",
	"jq":       "read, filter and build JSON (gojq, as jq 1.7)",
	"awk":      "process text line by line (goawk); also gawk, mawk",
	"openssl":  "keys, CSRs and certificates: genrsa, req, x509, verify",
	"ibmcloud": "the IBM Cloud CLI's is commands for instances and templates (workstation only); also ic",
	"base64":   "encode or decode base64",
	"cut":      "print fields or characters of each line",
	"tr":       "translate or delete characters",
	"grep":     "print lines that match a pattern; also egrep, fgrep",
	"sed":      "edit lines: s/…/…/, d, p",
	"head":     "print the first lines",
	"tail":     "print the last lines",
	"wc":       "count lines, words and bytes",
	"sort":     "sort lines",
	"uniq":     "drop repeated lines",
	"cat":      "print files",
	"tee":      "copy standard input to files and to standard output",
	"echo":     "print its arguments",
	"ls":       "list files (the session's files live in memory)",
	"rm":       "remove files",
	"mkdir":    "make directories",
	"touch":    "create files or update their times",
	"cp":       "copy files",
	"mv":       "move files",
	"chmod":    "change a file's mode",
	"basename": "strip a path's directory",
	"dirname":  "strip a path's last part",
	"date":     "print the emulator's clock (+%s for Unix seconds)",
	"sleep":    "wait: the emulator's clock moves at once, nobody waits",
	"seq":      "print a sequence of numbers",
	"env":      "print the environment",
	"printenv": "print variables of the environment",
	"whoami":   "print the user",
	"hostname": "print the host's name",
	"uname":    "print the system's name",
	"clear":    "clear the terminal",
	"yes":      "print a line again and again",
	"rev":      "reverse each line",
	"nl":       "number lines",
	"true":     "do nothing, successfully",
	"false":    "do nothing, unsuccessfully",
	"bash":     "run a script in a new shell; also sh",
	"xargs":    "run a command with arguments read from standard input",
	"which":    "print where a command is installed",
	"help":     "this list; help NAME for one command",
}

// helpAliases are other names of commands, left out of the list (the command's line names them).
var helpAliases = map[string]string{"gawk": "awk", "mawk": "awk", "ic": "ibmcloud", "egrep": "grep", "fgrep": "grep", "sh": "bash"}

// helpCommand is the session's `help`.
func (s *Session) helpCommand(e *builtin.Env) int {
	if len(e.Args) > 1 {
		status := 0
		for _, name := range e.Args[1:] {
			if line, ok := s.helpLine(name); ok {
				fmt.Fprintf(e.Stdout, "%s: %s\n", name, line)
				continue
			}
			fmt.Fprintf(e.Stderr, "bash: help: no help topics match `%s'.  Try `help help' or `man -k %s' or `info %s'.\n", name, name, name)
			status = 1
		}
		return status
	}
	var names []string
	for name := range s.cmds {
		if _, alias := helpAliases[name]; !isShellOnly(name) && !alias {
			names = append(names, name)
		}
	}
	names = append(names, "help")
	slices.Sort(names)
	var b strings.Builder
	fmt.Fprintf(&b, "The commands this shell has (%s, %s):\n\n", s.cfg.Hostname, s.cfg.Place)
	for _, name := range names {
		line, _ := s.helpLine(name)
		fmt.Fprintf(&b, "  %-9s %s\n", name, line)
	}
	b.WriteString("\nAnd bash's language: variables, $(…), pipes, redirections, if, for, while, case, functions,\n" +
		"export, read, printf, cd, set -e, type, command -v.\n")
	_, _ = e.Stdout.Write([]byte(b.String()))
	return 0
}

// helpLine is the line about a command the session has (an alias has its command's).
func (s *Session) helpLine(name string) (string, bool) {
	if _, ok := s.cmds[name]; !ok && name != "help" {
		return "", false
	}
	if cmd, ok := helpAliases[name]; ok {
		line, ok := commandHelp[cmd]
		return "as " + cmd + ": " + line, ok
	}
	line, ok := commandHelp[name]
	return line, ok
}

// suggest returns the command of the session nearest to name, when one is a typo away (an
// edit distance of 1, or 2 for names of seven letters or more: "nosuch" is not a typo of
// "touch"), else "".
func (s *Session) suggest(name string) string {
	limit := 1
	if len(name) >= 7 {
		limit = 2
	}
	best, bestD := "", limit+1
	for cmd := range s.cmds {
		if isShellOnly(cmd) {
			continue
		}
		if d := editDistance(name, cmd); d < bestD || (d == bestD && cmd < best) {
			best, bestD = cmd, d
		}
	}
	if bestD > limit {
		return ""
	}
	return best
}

// editDistance is the Damerau-Levenshtein distance (optimal string alignment) between a and
// b: insertions, deletions, substitutions and swaps of two neighbours each cost one, so that
// "crul" is one from "curl".
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
