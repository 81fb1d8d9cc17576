// Package coreutils holds the small text and file commands the documented snippets lean on —
// cat, cut, tr, head, tail, wc, grep, sed, base64, sort, uniq, tee, ls, date, sleep … — written
// against builtin.Env so that they read and write the session's in-memory files. They follow GNU
// coreutils' behaviour and messages where a learner would notice (base64 -d on unpadded input,
// cut on a line without the delimiter), and implement only the options worth having here.
package coreutils

import (
	"strings"
	"time"

	"github.com/imdsplay/imdsplay/shell/internal/builtin"
)

// Options are the session facts some commands need.
type Options struct {
	Now      func() time.Time    // date, ls -l
	Advance  func(time.Duration) // sleep moves the virtual clock instead of waiting
	Hostname string
	User     string
}

// Commands returns the commands of this package by name.
func Commands(o Options) map[string]builtin.Func {
	if o.Now == nil {
		o.Now = time.Now
	}
	m := map[string]builtin.Func{
		"cat":      cat,
		"tee":      tee,
		"cut":      cut,
		"tr":       tr,
		"head":     head,
		"tail":     tail,
		"wc":       wc,
		"sort":     sortCmd,
		"uniq":     uniq,
		"grep":     grep,
		"egrep":    grep,
		"fgrep":    grep,
		"sed":      sed,
		"base64":   base64Cmd,
		"ls":       ls(o),
		"rm":       rm,
		"mkdir":    mkdir,
		"touch":    touch,
		"cp":       cp,
		"mv":       mv,
		"chmod":    chmod,
		"basename": basename,
		"dirname":  dirname,
		"date":     date(o),
		"sleep":    sleep(o),
		"seq":      seq,
		"env":      env,
		"printenv": printenv,
		"whoami":   func(e *builtin.Env) int { return writeLine(e, o.User) },
		"hostname": func(e *builtin.Env) int { return writeLine(e, o.Hostname) },
		"uname":    uname(o),
		"clear":    func(e *builtin.Env) int { return writeString(e, "\x1b[H\x1b[2J\x1b[3J") },
		"yes":      yes,
		"rev":      rev,
		"nl":       nl,
		// Also builtins of the shell; these are /usr/bin/echo and friends.
		"echo":  echo,
		"true":  func(*builtin.Env) int { return 0 },
		"false": func(*builtin.Env) int { return 1 },
	}
	return m
}

// writeLine writes s and a newline to standard output.
func writeLine(e *builtin.Env, s string) int {
	return writeString(e, s+"\n")
}

func writeString(e *builtin.Env, s string) int {
	if _, err := e.Stdout.Write([]byte(s)); err != nil {
		return 1
	}
	return 0
}

// echo is GNU echo: -n drops the newline, -e interprets backslash escapes.
func echo(e *builtin.Env) int {
	args := e.Args[1:]
	newline, escapes := true, false
	for len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' && strings.Trim(args[0][1:], "neE") == "" {
		for _, c := range args[0][1:] {
			switch c {
			case 'n':
				newline = false
			case 'e':
				escapes = true
			case 'E':
				escapes = false
			}
		}
		args = args[1:]
	}
	s := strings.Join(args, " ")
	if escapes {
		s = strings.NewReplacer(`\n`, "\n", `\t`, "\t", `\r`, "\r", `\\`, `\`, `\a`, "\a", `\b`, "\b", `\e`, "\x1b").Replace(s)
	}
	if newline {
		s += "\n"
	}
	return writeString(e, s)
}
