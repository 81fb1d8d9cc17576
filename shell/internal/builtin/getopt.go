package builtin

import (
	"fmt"
	"strings"
)

// Option describes one command-line option for Getopt.
type Option struct {
	Short byte   // 0 when there is only a long form
	Long  string // "" when there is only a short form
	Arg   bool   // takes a value: -n 5, -n5, --lines=5, --lines 5
	// OptionalArg marks a long option whose value may only be attached with '=' (--wrap=0).
	OptionalArg bool
}

// Opt is one parsed option: its key (the long name if any, else the short letter) and value.
type Opt struct {
	Key   string
	Value string
}

// GetoptError is a usage error already worded like GNU getopt.
type GetoptError struct{ Msg string }

func (e *GetoptError) Error() string { return e.Msg }

// Getopt parses GNU-style options: clustered short flags (-sS), attached or separate values,
// --long and --long=value, "--" ending options, and operands anywhere (GNU permutation).
func Getopt(name string, args []string, opts []Option) ([]Opt, []string, error) {
	var out []Opt
	var operands []string
	key := func(o Option) string {
		if o.Long != "" {
			return o.Long
		}
		return string(o.Short)
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			operands = append(operands, args[i+1:]...)
			return out, operands, nil
		case strings.HasPrefix(a, "--"):
			body := a[2:]
			val, hasVal := "", false
			if j := strings.IndexByte(body, '='); j >= 0 {
				body, val, hasVal = body[:j], body[j+1:], true
			}
			var match []Option
			for _, o := range opts {
				if o.Long == body {
					match = []Option{o}
					break
				}
				if o.Long != "" && strings.HasPrefix(o.Long, body) {
					match = append(match, o)
				}
			}
			if len(match) == 0 {
				return nil, nil, &GetoptError{fmt.Sprintf("%s: unrecognized option '%s'", name, a)}
			}
			if len(match) > 1 {
				return nil, nil, &GetoptError{fmt.Sprintf("%s: option '%s' is ambiguous", name, a)}
			}
			o := match[0]
			switch {
			case o.Arg && !hasVal:
				if i+1 >= len(args) {
					return nil, nil, &GetoptError{fmt.Sprintf("%s: option '--%s' requires an argument", name, o.Long)}
				}
				i++
				val = args[i]
			case !o.Arg && !o.OptionalArg && hasVal:
				return nil, nil, &GetoptError{fmt.Sprintf("%s: option '--%s' doesn't allow an argument", name, o.Long)}
			}
			out = append(out, Opt{key(o), val})
		case strings.HasPrefix(a, "-") && a != "-":
			for j := 1; j < len(a); j++ {
				c := a[j]
				var found *Option
				for k := range opts {
					if opts[k].Short == c {
						found = &opts[k]
						break
					}
				}
				if found == nil {
					return nil, nil, &GetoptError{fmt.Sprintf("%s: invalid option -- '%c'", name, c)}
				}
				if found.Arg {
					val := a[j+1:]
					if val == "" {
						if i+1 >= len(args) {
							return nil, nil, &GetoptError{fmt.Sprintf("%s: option requires an argument -- '%c'", name, c)}
						}
						i++
						val = args[i]
					}
					out = append(out, Opt{key(*found), val})
					break
				}
				out = append(out, Opt{key(*found), ""})
			}
		default:
			operands = append(operands, a)
		}
	}
	return out, operands, nil
}

// Usage prints a getopt error followed by GNU's "Try '… --help'" hint and returns status.
func (e *Env) Usage(err error, status int) int {
	fmt.Fprintln(e.Stderr, err.Error())
	fmt.Fprintf(e.Stderr, "Try '%s --help' for more information.\n", e.Name())
	return status
}
