package builtin

import (
	"errors"
	"fmt"
	"strings"
)

// Option is one entry of a command's option table: how the option is spelled and the setter
// that records it. Exactly one setter is given; which one says whether the option takes a value.
// Setters run in command-line order, once per occurrence, so a repeatable option appends and a
// repeated one overwrites, as the setter chooses; a setter's error stops the parse.
type Option struct {
	Short byte   // -n; 0 when the option has no one-letter form
	Long  string // the name without dashes: --lines (GNU, curl, jq), -in (OpenSSL, Go's flag)
	Flag  func() // an option without a value
	// Value is an option with one value: attached (-n5, --lines=5 where the syntax has '=') or
	// in the next word.
	Value func(v string) error
	// Pair is an option followed by two words, as jq's --arg NAME VALUE.
	Pair func(a, b string) error
	// Optional marks a Value that may only be attached (GNU's optional_argument: --wrap=0,
	// sed -i.bak); without an attached value the setter gets "".
	Optional bool
	// Unsupported marks an option the real tool has and this one does not implement: it is
	// refused (Problem Unsupported) rather than ignored or mistaken for an unknown one.
	Unsupported bool
}

// Syntax is a tool's spelling of options. The real tools differ: GNU getopt_long permutes
// operands and abbreviates long names; curl has no --name=value and negates booleans with
// --no-; OpenSSL's options are single-dash words that stop at the first operand.
type Syntax struct {
	Permute bool // options may follow operands; otherwise the first operand ends them
	Cluster bool // -abc is -a -b -c, and -n5 is -n 5
	// SingleDash makes -name (and --name) a long option, with no one-letter forms (OpenSSL,
	// Go's flag package).
	SingleDash bool
	Equals     bool // --name=value
	Abbrev     bool // a unique prefix of a long name selects it
	Negate     bool // --no-NAME is accepted for a Flag and leaves it unset (curl)
}

// The syntaxes of the tools the shell imitates.
var (
	GNU     = Syntax{Permute: true, Cluster: true, Equals: true, Abbrev: true}
	Curl    = Syntax{Permute: true, Cluster: true, Negate: true}
	JQ      = Syntax{Permute: true, Cluster: true}
	POSIX   = Syntax{Cluster: true}
	OpenSSL = Syntax{SingleDash: true, Equals: true}
	GoFlag  = Syntax{SingleDash: true, Equals: true, Permute: true}
)

// Problem is what is wrong with an option on the command line.
type Problem int

// The problems a parse reports.
const (
	Unknown     Problem = iota + 1 // no such option
	Ambiguous                      // an abbreviation of several long names
	NeedsValue                     // the value is missing
	NoValue                        // a value was given to an option without one
	NotBoolean                     // --no- before an option with a value (curl)
	Invalid                        // the setter refused the value (Err says why)
	Unsupported                    // the real tool has it; this emulator does not
)

// UsageError is a command line the option table refuses. Each tool words it its own way (see
// GNUMessage); the fields hold what those wordings need.
type UsageError struct {
	Problem Problem
	Word    string   // the command-line word as typed: "-sz", "--bogus=1", "-in"
	Name    string   // the option: "--key" for a long one, "-k" for a short one
	Short   byte     // the letter of a short option, 0 for a long one
	Matches []string // the long names an ambiguous abbreviation matches
	Err     error    // the setter's error, for Invalid
}

func (u *UsageError) Error() string {
	if u.Err != nil {
		return u.Err.Error()
	}
	return "bad option " + u.Word // each tool words it its own way: see GNUMessage
}

// Unwrap returns the setter's error.
func (u *UsageError) Unwrap() error { return u.Err }

// Parse applies args to the table in the given syntax and returns the operands. "--" ends the
// options (in every syntax); a lone "-" is an operand.
func Parse(syn Syntax, table []Option, args []string) ([]string, error) {
	p := &parser{syn: syn, table: table, args: args}
	var operands []string
	for p.i < len(p.args) {
		a := p.args[p.i]
		p.i++
		switch {
		case a == "--":
			return append(operands, p.args[p.i:]...), nil
		case len(a) < 2 || a[0] != '-':
			if !syn.Permute {
				return append(append(operands, a), p.args[p.i:]...), nil
			}
			operands = append(operands, a)
			continue
		}
		var err error
		switch {
		case syn.SingleDash:
			err = p.long(a, strings.TrimPrefix(a[1:], "-"))
		case strings.HasPrefix(a, "--"):
			err = p.long(a, a[2:])
		default:
			err = p.shorts(a)
		}
		if err != nil {
			return operands, err
		}
	}
	return operands, nil
}

type parser struct {
	syn   Syntax
	table []Option
	args  []string
	i     int
}

// next takes the following word as a value.
func (p *parser) next() (string, bool) {
	if p.i >= len(p.args) {
		return "", false
	}
	p.i++
	return p.args[p.i-1], true
}

func (p *parser) long(word, body string) error {
	name, val, hasVal := body, "", false
	if p.syn.Equals {
		name, val, hasVal = strings.Cut(body, "=")
	}
	o, err := p.find(word, name)
	if err != nil {
		if neg, ok := strings.CutPrefix(name, "no-"); ok && p.syn.Negate {
			if o, err2 := p.find(word, neg); err2 == nil {
				if o.Flag == nil {
					return &UsageError{Problem: NotBoolean, Word: word, Name: "--" + name}
				}
				return nil
			}
		}
		return err
	}
	dash := "--"
	if p.syn.SingleDash {
		dash = "-"
	}
	spelled := dash + o.Long
	if hasVal && o.Flag != nil && !o.Unsupported {
		return &UsageError{Problem: NoValue, Word: word, Name: spelled}
	}
	return p.apply(o, word, spelled, 0, val, hasVal)
}

// find looks a long name up: exactly, or as a unique abbreviation where the syntax allows.
func (p *parser) find(word, name string) (*Option, error) {
	var matches []*Option
	for k := range p.table {
		o := &p.table[k]
		if o.Long == "" {
			continue
		}
		if o.Long == name {
			return o, nil
		}
		if p.syn.Abbrev && name != "" && strings.HasPrefix(o.Long, name) {
			matches = append(matches, o)
		}
	}
	switch len(matches) {
	case 0:
		return nil, &UsageError{Problem: Unknown, Word: word, Name: word}
	case 1:
		return matches[0], nil
	}
	var names []string
	for _, m := range matches {
		names = append(names, "--"+m.Long)
	}
	return nil, &UsageError{Problem: Ambiguous, Word: word, Name: word, Matches: names}
}

func (p *parser) shorts(word string) error {
	for j := 1; j < len(word); j++ {
		c := word[j]
		var o *Option
		for k := range p.table {
			if p.table[k].Short == c {
				o = &p.table[k]
				break
			}
		}
		if o == nil {
			return &UsageError{Problem: Unknown, Word: word, Name: "-" + string(c), Short: c}
		}
		if o.Flag != nil || o.Unsupported && o.Value == nil && o.Pair == nil {
			if err := p.apply(o, word, "-"+string(c), c, "", false); err != nil {
				return err
			}
			if !p.syn.Cluster && j+1 < len(word) {
				return &UsageError{Problem: Unknown, Word: word, Name: word}
			}
			continue
		}
		rest := word[j+1:]
		return p.apply(o, word, "-"+string(c), c, rest, rest != "")
	}
	return nil
}

// apply calls the setter of o with an attached value (hasVal) or the following words.
func (p *parser) apply(o *Option, word, spelled string, short byte, val string, hasVal bool) error {
	if o.Unsupported {
		return &UsageError{Problem: Unsupported, Word: word, Name: spelled, Short: short}
	}
	needs := &UsageError{Problem: NeedsValue, Word: word, Name: spelled, Short: short}
	var err error
	switch {
	case o.Flag != nil:
		o.Flag()
	case o.Value == nil && o.Pair == nil:
		return &UsageError{Problem: Unknown, Word: word, Name: spelled, Short: short}
	case o.Pair != nil:
		a, ok1 := p.next()
		b, ok2 := p.next()
		if !ok1 || !ok2 {
			return needs
		}
		err = o.Pair(a, b)
	default:
		if !hasVal && !o.Optional {
			v, ok := p.next()
			if !ok {
				return needs
			}
			val = v
		}
		err = o.Value(val)
	}
	if err != nil {
		return &UsageError{Problem: Invalid, Word: word, Name: spelled, Short: short, Err: err}
	}
	return nil
}

// GNUMessage words a usage error as glibc's getopt_long does for the command name.
func GNUMessage(name string, err error) string {
	u, ok := err.(*UsageError)
	if !ok {
		return name + ": " + err.Error()
	}
	letter := "'" + string(u.Short) + "'"
	switch {
	case u.Problem == Invalid:
		return name + ": " + u.Err.Error()
	case u.Problem == Unsupported:
		return name + ": option '" + u.Name + "' is not supported in this emulator"
	case u.Problem == Unknown && u.Short != 0:
		return name + ": invalid option -- " + letter
	case u.Problem == Unknown:
		return name + ": unrecognized option '" + u.Word + "'"
	case u.Problem == Ambiguous:
		return name + ": option '" + u.Word + "' is ambiguous; possibilities: '" + strings.Join(u.Matches, "' '") + "'"
	case u.Problem == NeedsValue && u.Short != 0:
		return name + ": option requires an argument -- " + letter
	case u.Problem == NeedsValue:
		return name + ": option '" + u.Name + "' requires an argument"
	}
	return name + ": option '" + u.Name + "' doesn't allow an argument"
}

// Usage prints a GNU-style usage error and returns status. getopt's own complaints are followed
// by the "Try '… --help'" hint; a setter's are not, unless it returned a Hinted error, as
// coreutils die() on a bad value without the hint (sort -k 0, base64 -w x).
func (e *Env) Usage(err error, status int) int {
	fmt.Fprintln(e.Stderr, GNUMessage(e.Name(), err))
	var u *UsageError
	var h hinted
	if errors.As(err, &u) && u.Problem == Invalid && !errors.As(err, &h) {
		return status
	}
	return e.TryHelp(status)
}

// hinted is a setter's error that coreutils follows with the "Try '… --help'" hint.
type hinted struct{ error }

func (h hinted) Unwrap() error { return h.error }

// Hinted marks a setter's error as one the tool follows with its --help hint.
func Hinted(err error) error { return hinted{err} }

// TryHelp prints GNU's "Try 'NAME --help' for more information." and returns status.
func (e *Env) TryHelp(status int) int {
	fmt.Fprintf(e.Stderr, "Try '%s --help' for more information.\n", e.Name())
	return status
}

// UsageErrorf prints "name: message" and GNU's hint, and returns status: the coreutils way of
// refusing a command line the option table accepted.
func (e *Env) UsageErrorf(status int, format string, args ...any) int {
	e.Errorf(format, args...)
	return e.TryHelp(status)
}

// Setters for the common cases of an option table.

// Set returns a Flag setter that sets *b.
func Set(b *bool) func() { return func() { *b = true } }

// Str returns a Value setter that stores the value in *s (the last occurrence wins).
func Str(s *string) func(string) error { return func(v string) error { *s = v; return nil } }

// Add returns a Value setter that appends every occurrence to *list.
func Add(list *[]string) func(string) error {
	return func(v string) error { *list = append(*list, v); return nil }
}

// Refused lists, one a word, options the real tool has and this one does not implement: "x"
// for -x, "name" for --name (or OpenSSL's -name), "x/name" for both. Each is refused (Problem
// Unsupported) rather than ignored or mistaken for an unknown one. The list is a string, not
// table entries, because every entry of a table is code in the wasm build.
func Refused(spec string) []Option {
	var out []Option
	for _, w := range strings.Fields(spec) {
		o := Option{Unsupported: true}
		short, long, both := strings.Cut(w, "/")
		switch {
		case both:
			o.Short, o.Long = short[0], long
		case len(w) == 1:
			o.Short = w[0]
		default:
			o.Long = w
		}
		out = append(out, o)
	}
	return out
}

// Flags lists, one a word spelled as for Refused, options without a value that all share one
// setter, which receives the option's letter and long name (either may be empty): the compact
// form of a table whose flags only record that they were given. A nil set accepts them and does
// nothing (Ignore).
func Flags(spec string, set func(short byte, long string)) []Option {
	out := Refused(spec)
	for i := range out {
		o := &out[i]
		short, long := o.Short, o.Long
		o.Unsupported, o.Flag = false, Ignore
		if set != nil {
			o.Flag = func() { set(short, long) }
		}
	}
	return out
}

// Ignore is the setter of a flag that is accepted and changes nothing here.
func Ignore() {}

// IgnoreValue is the setter of an option whose value is accepted and changes nothing here.
func IgnoreValue(string) error { return nil }
