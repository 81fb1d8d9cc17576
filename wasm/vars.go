package main

import (
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/imdsplay/imdsplay/internal/shvars"
)

// Shell variables, for memory (a reload keeps $instance_identity_token), for the page's list of
// variables (which block set which) and for copy as curl with variables kept. The shell answers
// for one name at a time, so the session remembers the names its scripts assign, read from
// their syntax trees (package shvars).

// Limits on what is kept: a variable holding a file's worth of data is not state worth a reload.
const (
	maxVarBytes = 64 << 10
	maxVarNames = 256
)

// varNames is the set of variable names a session's scripts assign.
type varNames struct {
	mu    sync.Mutex
	names map[string]bool
}

// addScript records the names script assigns (shvars.Assigned) and returns them. A script that
// does not parse assigns nothing the shell would keep either.
func (v *varNames) addScript(script string) []string {
	found := shvars.Assigned(script)
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.names == nil {
		v.names = map[string]bool{}
	}
	for _, name := range found {
		if len(v.names) < maxVarNames {
			v.names[name] = true
		}
	}
	return found
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
		if !shvars.Keepable(name) || len(vars[name]) > maxVarBytes {
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
