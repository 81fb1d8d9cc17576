// Package shvars reads shell scripts for what they leave behind and what they need: the
// variables a script assigns, the variables it reads before assigning them, and the files it
// writes and names. It reads the syntax tree (mvdan.cc/sh/v3/syntax) and runs nothing.
//
// Two places use it. The playground's engine (wasm/) remembers the names a session's scripts
// assign, to save them, to report which variables a run set, and to keep them in copied curl
// commands. The site generator (site/) tells every live block which variables and files it
// needs and which it provides, so that the page can run the blocks above one first.
//
// The reading is static, so it is an approximation: a branch that does not run still counts,
// and a variable read inside a function counts where the function is declared. It errs towards
// "needs": a block that names a variable it might not need, when nobody set it, gets a block
// run before it that sets it, which is what a reader following the page would have done.
package shvars

import (
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"

	"mvdan.cc/sh/v3/syntax"

	"github.com/imdsplay/imdsplay/imds"
)

// presets are the variables a place's shell starts with beyond the machine's own (HOME, PATH…):
// the endpoints the documentation uses and, on the logged-in workstation, the operator's IAM
// token. They mirror shell.New (shell/shell.go); a test holds the two together.
var presets = map[imds.Place][]string{
	imds.OnInstance:    {"vpc_metadata_api_endpoint"},
	imds.OnWorkstation: {"iam_token", "vpc_api_endpoint"},
}

// Presets returns the variables a session of place starts with, sorted.
func Presets(place imds.Place) []string { return slices.Clone(presets[place]) }

// IsPreset reports whether name is one of place's presets.
func IsPreset(place imds.Place, name string) bool { return slices.Contains(presets[place], name) }

// managed are variables the shell sets itself or that describe the machine: never saved, never
// restored, never substituted into a copied command, never a block's need.
var managed = map[string]bool{
	"HOME": true, "PATH": true, "PWD": true, "OLDPWD": true, "USER": true, "LOGNAME": true,
	"SHELL": true, "TERM": true, "LANG": true, "HOSTNAME": true, "UID": true, "EUID": true,
	"GID": true, "PPID": true, "TMPDIR": true, "IFS": true, "OPTIND": true, "OPTARG": true,
	"RANDOM": true, "SECONDS": true, "LINENO": true, "PS1": true, "PS2": true, "PS4": true,
	"REPLY": true, "BASH_REMATCH": true, "DIRSTACK": true, "PIPESTATUS": true, "EPOCHSECONDS": true,
	"EPOCHREALTIME": true, "SRANDOM": true, "BASHPID": true, "MAPFILE": true,
}

// identRE matches a plain shell variable name.
var identRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`) })

// Keepable reports whether a variable may be saved, restored and attributed: a plain name that
// the shell does not manage itself.
func Keepable(name string) bool { return identRE().MatchString(name) && !managed[name] }

// fileRE matches the file names worth tracking: relative paths of plain characters, which a
// page can test for with a quoted word. Absolute paths (/dev/null, /etc/hostname) belong to the
// machine, not to a block.
// A leading dot is left out too: in a command line it is far more often a jq filter than a
// hidden file.
var fileRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_.-]+)*$`) })

// Use is what a script needs and provides. Every list is sorted and has no duplicates.
type Use struct {
	// Reads are the variables the script reads before it assigns them: Keepable, not the
	// place's presets, not read only with a default (${x:-…}).
	Reads []string
	// Sets are the variables the script assigns (Keepable): name=value, also under export,
	// declare, local and readonly, for loops, read and mapfile targets, printf -v.
	Sets []string
	// Writes are the relative files the script writes: redirection targets (>, >>, &>), the
	// value of an -out, -keyout, -o or --output option, tee's arguments.
	Writes []string
	// Names are the literal argument words (not a command's name) that could name a relative
	// file the script reads before it writes it itself. Most are not files ("PUT", "req"): a
	// page keeps those that match a file its earlier blocks write.
	Names []string
}

// Analyze reads script as a session of place would run it. A script that does not parse needs
// and provides nothing (the shell will say why when it runs).
func Analyze(script string, place imds.Place) Use {
	f, err := syntax.NewParser().Parse(strings.NewReader(script), "")
	if err != nil {
		return Use{}
	}
	w := &walker{place: place, set: map[string]bool{}, read: map[string]bool{}, written: map[string]bool{}, named: map[string]bool{}}
	w.node(f)
	return Use{Reads: sorted(w.read), Sets: sorted(w.set), Writes: sorted(w.written), Names: sorted(w.named)}
}

// Assigned returns the Keepable variables script assigns, sorted: Analyze's Sets.
func Assigned(script string) []string { return Analyze(script, "").Sets }

// sorted returns the keys of m, sorted.
func sorted(m map[string]bool) []string {
	if len(m) == 0 {
		return nil
	}
	return slices.Sorted(maps.Keys(m))
}

// walker collects a Use in source order, which is close enough to the order of execution for
// "read before set" and "named before written".
type walker struct {
	place   imds.Place
	set     map[string]bool
	read    map[string]bool
	written map[string]bool
	named   map[string]bool
}

// reads records a read of name, unless the script already set it.
func (w *walker) reads(name string) {
	if Keepable(name) && !w.set[name] && !IsPreset(w.place, name) {
		w.read[name] = true
	}
}

// sets records an assignment of name.
func (w *walker) sets(name string) {
	if Keepable(name) {
		w.set[name] = true
	}
}

// node walks n, handling the nodes whose order or meaning matters and letting syntax.Walk
// descend through the rest.
func (w *walker) node(n syntax.Node) {
	syntax.Walk(n, func(n syntax.Node) bool {
		switch x := n.(type) {
		case *syntax.Assign:
			w.assign(x)
			return false
		case *syntax.WordIter:
			for _, it := range x.Items {
				w.node(it)
			}
			if x.Name != nil {
				w.sets(x.Name.Value)
			}
			return false
		case *syntax.CallExpr:
			w.call(x)
			return false
		case *syntax.Redirect:
			w.redirect(x)
			return false
		case *syntax.ParamExp:
			w.param(x)
			return false
		case *syntax.ArithmExp:
			w.arith(x.X)
			return false
		case *syntax.ArithmCmd:
			w.arith(x.X)
			return false
		case *syntax.LetClause:
			for _, e := range x.Exprs {
				w.arith(e)
			}
			return false
		case *syntax.CStyleLoop:
			for _, e := range []syntax.ArithmExpr{x.Init, x.Cond, x.Post} {
				if e != nil {
					w.arith(e)
				}
			}
			return false
		}
		return true
	})
}

// assign handles name=value: the value (and an index) is read first, then the name is set.
// `name+=value` reads name too; a naked `export name` neither reads nor sets it.
func (w *walker) assign(a *syntax.Assign) {
	if a.Index != nil {
		w.arith(a.Index)
	}
	if a.Value != nil {
		w.node(a.Value)
	}
	if a.Array != nil {
		w.node(a.Array)
	}
	if a.Name == nil || a.Naked {
		return
	}
	if a.Append {
		w.reads(a.Name.Value)
	}
	w.sets(a.Name.Value)
}

// param handles $name and ${name…}. A default or alternative value (${x:-y}, ${x+y}) means
// the script copes with x unset: not a need. ${x:=y} assigns x.
func (w *walker) param(p *syntax.ParamExp) {
	if p.Index != nil {
		w.arith(p.Index)
	}
	if p.Slice != nil {
		for _, e := range []syntax.ArithmExpr{p.Slice.Offset, p.Slice.Length} {
			if e != nil {
				w.arith(e)
			}
		}
	}
	if p.Repl != nil {
		for _, wd := range []*syntax.Word{p.Repl.Orig, p.Repl.With} {
			if wd != nil {
				w.node(wd)
			}
		}
	}
	if p.Exp != nil && p.Exp.Word != nil {
		w.node(p.Exp.Word)
	}
	if p.Param == nil {
		return
	}
	name := p.Param.Value
	if p.Exp != nil {
		switch p.Exp.Op {
		case syntax.AssignUnset, syntax.AssignUnsetOrNull:
			w.sets(name)
			return
		case syntax.DefaultUnset, syntax.DefaultUnsetOrNull, syntax.AlternateUnset, syntax.AlternateUnsetOrNull:
			return
		}
	}
	if p.Names != 0 {
		return // ${!prefix*} lists names; it reads none
	}
	w.reads(name) // ${!x} too: x names the variable read
}

// arithAssign are the arithmetic operators that assign their left side.
var arithAssign = map[syntax.BinAritOperator]bool{
	syntax.Assgn: true, syntax.AddAssgn: true, syntax.SubAssgn: true, syntax.MulAssgn: true,
	syntax.QuoAssgn: true, syntax.RemAssgn: true, syntax.AndAssgn: true, syntax.OrAssgn: true,
	syntax.XorAssgn: true, syntax.ShlAssgn: true, syntax.ShrAssgn: true, syntax.PowAssgn: true,
}

// arith handles an arithmetic expression: a bare name in it is a read of that variable; an
// assignment operator (=, +=, ++, …) sets its left side after reading its right.
func (w *walker) arith(e syntax.ArithmExpr) {
	switch x := e.(type) {
	case *syntax.Word:
		if lit := x.Lit(); lit != "" {
			if identRE().MatchString(lit) {
				w.reads(lit)
			}
			return
		}
		w.node(x)
	case *syntax.BinaryArithm:
		if arithAssign[x.Op] {
			w.arith(x.Y)
			if name, ok := x.X.(*syntax.Word); ok {
				if lit := name.Lit(); identRE().MatchString(lit) {
					if x.Op != syntax.Assgn {
						w.reads(lit)
					}
					w.sets(lit)
					return
				}
			}
			w.arith(x.X)
			return
		}
		w.arith(x.X)
		w.arith(x.Y)
	case *syntax.UnaryArithm:
		w.arith(x.X)
		if x.Op == syntax.Inc || x.Op == syntax.Dec {
			if wd, ok := x.X.(*syntax.Word); ok && identRE().MatchString(wd.Lit()) {
				w.sets(wd.Lit())
			}
		}
	case *syntax.ParenArithm:
		w.arith(x.X)
	case *syntax.FlagsArithm:
		if x.X != nil {
			w.arith(x.X)
		}
	}
}

// writeFlags are the options whose value is a file the command writes (openssl -out and
// -keyout, curl -o and --output).
var writeFlags = map[string]bool{"-out": true, "-keyout": true, "-o": true, "--output": true}

// call handles a simple command: its prefix assignments, then its words in order (the values of
// writing options are files written, other literal words may name files read), then the
// variables it assigns itself (read, mapfile, printf -v), which exist only once it has run.
func (w *walker) call(c *syntax.CallExpr) {
	for _, a := range c.Assigns {
		w.assign(a)
	}
	lits := make([]string, len(c.Args))
	for i, a := range c.Args {
		lits[i] = a.Lit() // "" for a word that is not a plain literal
		w.node(a)
	}
	for i := 1; i < len(lits); i++ {
		switch {
		case writeFlags[lits[i]] && i+1 < len(lits):
			w.writes(lits[i+1])
			i++
		case lits[0] == "tee" && !strings.HasPrefix(lits[i], "-"):
			w.writes(lits[i])
		default:
			w.names(lits[i])
		}
	}
	for _, name := range callTargets(lits) {
		w.sets(name)
	}
}

// redirect handles a redirection: > and >> (and &>) write their target, < names it.
func (w *walker) redirect(r *syntax.Redirect) {
	if r.Hdoc != nil {
		w.node(r.Hdoc)
	}
	if r.Word == nil {
		return
	}
	w.node(r.Word)
	switch r.Op {
	case syntax.RdrOut, syntax.AppOut, syntax.RdrAll, syntax.AppAll, syntax.ClbOut:
		w.writes(r.Word.Lit())
	case syntax.RdrIn:
		w.names(r.Word.Lit())
	}
}

// writes records a file written.
func (w *walker) writes(word string) {
	if f, ok := fileName(word); ok {
		w.written[f] = true
	}
}

// names records a word that may name a file read, unless the script wrote that file already.
func (w *walker) names(word string) {
	if f, ok := fileName(word); ok && !w.written[f] {
		w.named[f] = true
	}
}

// fileName cleans a word that could be a relative file name ("./a.csr" → "a.csr").
func fileName(word string) (string, bool) {
	if word == "" || strings.HasPrefix(word, "-") {
		return "", false
	}
	f := path.Clean(word)
	if f == "." || f == ".." || strings.HasPrefix(f, "../") || !fileRE().MatchString(f) {
		return "", false
	}
	return f, true
}

// callTargets returns the variables a read, mapfile/readarray or printf -v command assigns,
// given its words as literals ("" for a word that is not one).
func callTargets(lits []string) []string {
	if len(lits) == 0 {
		return nil
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
