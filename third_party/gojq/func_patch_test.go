// Added for imdsplay (see PATCH.md).

package gojq

import (
	"fmt"
	"testing"
)

// TestInternalFuncsMatchUpstream checks that the map built from the static internalFuncDefs is
// upstream's literal (kept in func_upstream_test.go): the same names, arities and iterator
// flags, and callbacks that give the same results on the same arguments.
func TestInternalFuncsMatchUpstream(t *testing.T) {
	want := upstreamInternalFuncs()
	if len(internalFuncs) != len(want) {
		t.Errorf("%d internal functions; upstream has %d", len(internalFuncs), len(want))
	}
	inputs := []any{nil, 2.5, -1, "a,b", []any{1, "x"}, map[string]any{"a": 1}}
	for name, w := range want {
		g, ok := internalFuncs[name]
		if !ok {
			t.Errorf("%s: missing", name)
			continue
		}
		if g.argcount != w.argcount || g.iter != w.iter || (g.callback == nil) != (w.callback == nil) {
			t.Errorf("%s: argcount %b iter %v; upstream's: argcount %b iter %v", name, g.argcount, g.iter, w.argcount, w.iter)
			continue
		}
		switch name {
		case "now", "input", "_range", "halt", "halt_error":
			continue // the clock, the input, an iterator, exit: not comparable by a call
		}
		for n := range 4 {
			if !w.accept(n) {
				continue
			}
			for _, v := range inputs {
				args := make([]any, n)
				for i := range args {
					args[i] = inputs[(i+1)%len(inputs)]
				}
				if got, exp := call(g.callback, v, args), call(w.callback, v, args); got != exp {
					t.Errorf("%s/%d(%#v, %#v): got %s; upstream's gives %s", name, n, v, args, got, exp)
				}
			}
		}
	}
	for name := range internalFuncs {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: not in upstream's literal", name)
		}
	}
}

// call formats what a callback returns, or how it panics.
func call(f func(any, []any) any, v any, args []any) (s string) {
	defer func() {
		if r := recover(); r != nil {
			s = fmt.Sprintf("panic: %v", r)
		}
	}()
	r := f(v, args)
	if err, ok := r.(error); ok {
		return fmt.Sprintf("%T: %v", err, err)
	}
	return fmt.Sprintf("%#v", r)
}
