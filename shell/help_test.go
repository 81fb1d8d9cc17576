package shell

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/imdsplay/imdsplay/imds"
)

// TestHelpCoversEveryCommand: help lists every command a session has, on the instance and on
// the workstation, each with its line, and nothing it does not have.
func TestHelpCoversEveryCommand(t *testing.T) {
	for _, place := range []imds.Place{imds.OnInstance, imds.OnWorkstation} {
		s := New(Config{Place: place})
		var out, errb bytes.Buffer
		if st := s.Run(context.Background(), "help", &out, &errb); st != 0 {
			t.Fatalf("%s: help: status %d, stderr %q", place, st, errb.String())
		}
		listed := map[string]string{}
		for _, line := range strings.Split(out.String(), "\n") {
			if f := strings.Fields(line); strings.HasPrefix(line, "  ") && len(f) > 1 {
				listed[f[0]] = strings.Join(f[1:], " ")
			}
		}
		for name := range s.cmds {
			if isShellOnly(name) {
				continue
			}
			if cmd, alias := helpAliases[name]; alias {
				if !strings.Contains(listed[cmd], name) {
					t.Errorf("%s: %s's line %q does not name its alias %s", place, cmd, listed[cmd], name)
				}
				continue
			}
			if listed[name] == "" {
				t.Errorf("%s: help does not list %s (add a line to commandHelp)", place, name)
			}
		}
		for name := range listed {
			if _, ok := s.cmds[name]; !ok && name != "help" {
				t.Errorf("%s: help lists %s, which the session does not have", place, name)
			}
		}
	}
}

func TestHelpOne(t *testing.T) {
	s := New(Config{Place: imds.OnWorkstation})
	for _, tc := range []struct {
		name, script, stdout, stderr string
		status                       int
	}{
		{name: "ok/one", script: "help curl", stdout: "curl: " + commandHelp["curl"] + "\n"},
		{name: "ok/alias", script: "help ic", stdout: "ic: as ibmcloud: " + commandHelp["ibmcloud"] + "\n"},
		{name: "fail/unknown", script: "help nope", status: 1, stderr: "bash: help: no help topics match `nope'."},
		{name: "ok/function-wins", script: "help() { echo mine; }; help", stdout: "mine\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			st := s.Run(context.Background(), tc.script, &out, &errb)
			if st != tc.status || out.String() != tc.stdout || !strings.Contains(errb.String(), tc.stderr) {
				t.Errorf("got status %d, stdout %q, stderr %q; want %d, %q, %q", st, out.String(), errb.String(), tc.status, tc.stdout, tc.stderr)
			}
		})
	}
}

// TestCommandNotFoundSuggests: a typo of a command the session has gets bash's line and the
// command's name; a name far from all of them gets bash's line alone.
func TestCommandNotFoundSuggests(t *testing.T) {
	for _, tc := range []struct {
		place  imds.Place
		script string
		stderr string
	}{
		{imds.OnInstance, "crul -s x", "crul: command not found\ndid you mean curl? (help lists the commands this shell has)\n"},
		{imds.OnInstance, "jw", "jw: command not found\ndid you mean jq? (help lists the commands this shell has)\n"},
		{imds.OnInstance, "opnessl req", "opnessl: command not found\ndid you mean openssl? (help lists the commands this shell has)\n"},
		{imds.OnWorkstation, "ibmclod is instances", "ibmclod: command not found\ndid you mean ibmcloud? (help lists the commands this shell has)\n"},
		{imds.OnInstance, "nosuchcmd --flag", "nosuchcmd: command not found\n"},
		{imds.OnInstance, "nosuch", "nosuch: command not found\n"},
		{imds.OnInstance, "base46 -d", "base46: command not found\ndid you mean base64? (help lists the commands this shell has)\n"},
		// ibmcloud is not installed on the instance: nothing close to it is either.
		{imds.OnInstance, "ibmcloud is instances", "ibmcloud: command not found\n"},
	} {
		s := New(Config{Place: tc.place})
		var out, errb bytes.Buffer
		if st := s.Run(context.Background(), tc.script, &out, &errb); st != StatusNotFound || errb.String() != tc.stderr {
			t.Errorf("%s on %s: got status %d, stderr %q; want %d, %q", tc.script, tc.place, st, errb.String(), StatusNotFound, tc.stderr)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"curl", "curl", 0}, {"crul", "curl", 1}, {"cur", "curl", 1}, {"curls", "curl", 1}, {"cxrl", "curl", 1},
		{"", "jq", 2}, {"jq", "", 2}, {"opnessl", "openssl", 1}, {"ibmclod", "ibmcloud", 1}, {"abc", "xyz", 3},
	} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d; want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
