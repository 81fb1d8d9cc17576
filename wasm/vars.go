package main

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"

	"mvdan.cc/sh/v3/syntax"

	"github.com/imdsplay/imdsplay/imds"
)

// Shell variables, for memory (a reload keeps $instance_identity_token) and for copy as curl
// with variables kept. The shell answers for one name at a time, so the session remembers the
// names its scripts assign, read from their syntax trees.

// presetVars are the variables each place starts with that are worth keeping and naming.
var presetVars = map[imds.Place][]string{
	imds.OnInstance:    {"vpc_metadata_api_endpoint"},
	imds.OnWorkstation: {"vpc_api_endpoint", "iam_token"},
}

// Limits on what is kept: a variable holding a file's worth of data is not state worth a reload.
const (
	maxVarBytes = 64 << 10
	maxVarNames = 256
)

// identRE matches a plain shell variable name.
var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// shellManaged are variables the shell sets itself or that describe the machine: never saved,
// never restored, never substituted into a copied command.
var shellManaged = map[string]bool{
	"HOME": true, "PATH": true, "PWD": true, "OLDPWD": true, "USER": true, "LOGNAME": true,
	"SHELL": true, "TERM": true, "LANG": true, "HOSTNAME": true, "UID": true, "EUID": true,
	"GID": true, "PPID": true, "TMPDIR": true, "IFS": true, "OPTIND": true, "OPTARG": true,
	"RANDOM": true, "SECONDS": true, "LINENO": true, "PS1": true, "PS2": true, "PS4": true,
	"REPLY": true, "BASH_REMATCH": true, "DIRSTACK": true, "PIPESTATUS": true, "EPOCHSECONDS": true,
	"EPOCHREALTIME": true, "SRANDOM": true, "BASHPID": true, "MAPFILE": true,
}

// keepable reports whether a variable name may be saved and restored.
func keepable(name string) bool { return identRE.MatchString(name) && !shellManaged[name] }

// varNames is the set of variable names a session's scripts assign.
type varNames struct {
	mu    sync.Mutex
	names map[string]bool
}

// addScript records the names script assigns: name=value (also under export, declare, local,
// readonly), for loops, read and mapfile targets, printf -v. A script that does not parse
// assigns nothing the shell would keep either.
func (v *varNames) addScript(script string) {
	f, err := syntax.NewParser().Parse(strings.NewReader(script), "")
	if err != nil {
		return
	}
	var found []string
	syntax.Walk(f, func(n syntax.Node) bool {
		switch x := n.(type) {
		case *syntax.Assign:
			if x.Name != nil {
				found = append(found, x.Name.Value)
			}
		case *syntax.ForClause:
			if wi, ok := x.Loop.(*syntax.WordIter); ok && wi.Name != nil {
				found = append(found, wi.Name.Value)
			}
		case *syntax.CallExpr:
			found = append(found, callTargets(x.Args)...)
		}
		return true
	})
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.names == nil {
		v.names = map[string]bool{}
	}
	for _, name := range found {
		if keepable(name) && len(v.names) < maxVarNames {
			v.names[name] = true
		}
	}
}

// callTargets returns the variables a read, mapfile/readarray or printf -v command assigns.
func callTargets(args []*syntax.Word) []string {
	if len(args) == 0 {
		return nil
	}
	lits := make([]string, len(args))
	for i, w := range args {
		lits[i] = w.Lit() // "" for a word that is not a plain literal
	}
	var out []string
	switch lits[0] {
	case "read", "mapfile", "readarray":
		// Flags that take a value: read -a NAME -d DELIM -n N -N N -p PROMPT -t T -u FD;
		// mapfile -C CALLBACK -c N -O ORIGIN -s COUNT (read -s is silent mode).
		withValue := "-d -n -N -p -t -u"
		if lits[0] != "read" {
			withValue += " -C -c -O -s"
		}
		for i := 1; i < len(lits); i++ {
			a := lits[i]
			switch {
			case a == "-a":
				if i+1 < len(lits) {
					out = append(out, lits[i+1])
					i++
				}
			case len(a) == 2 && strings.Contains(withValue, a):
				i++
			case strings.HasPrefix(a, "-"):
			default:
				out = append(out, a)
			}
		}
		if len(out) == 0 {
			out = append(out, map[string]string{"read": "REPLY", "mapfile": "MAPFILE", "readarray": "MAPFILE"}[lits[0]])
		}
	case "printf":
		if len(lits) > 2 && lits[1] == "-v" {
			out = append(out, lits[2])
		}
	}
	return out
}

// list returns the recorded names, sorted.
func (v *varNames) list() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return slices.Sorted(maps.Keys(v.names))
}

// assignScript is a script that assigns vars (skipping names not keepable), one per line,
// each value single-quoted so that nothing in it is expanded.
func assignScript(vars map[string]string) string {
	names := slices.Sorted(maps.Keys(vars))
	var b strings.Builder
	for _, name := range names {
		if !keepable(name) || len(vars[name]) > maxVarBytes {
			continue
		}
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(singleQuote(vars[name]))
		b.WriteByte('\n')
	}
	return b.String()
}

// singleQuote quotes s for a POSIX shell: inside single quotes nothing is special but the
// single quote itself, which closes the quotes, adds one in double quotes and opens them
// again. (Not the usual backslash-quote: the interpreter keeps the backslash of an unquoted
// escape in an assignment's value.)
func singleQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

// byValueLength returns var names ordered by decreasing value length (then name), so that a
// longer value is substituted before any value it contains.
func byValueLength(vars map[string]string) []string {
	names := slices.Sorted(maps.Keys(vars))
	slices.SortStableFunc(names, func(a, b string) int { return len(vars[b]) - len(vars[a]) })
	return names
}
