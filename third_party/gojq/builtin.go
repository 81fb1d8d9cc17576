// Patched for imdsplay (see PATCH.md). Upstream generates this file from builtin.jq: one map
// literal built by an init function, which compiles to a single 310 KB WebAssembly function that
// every program importing gojq runs at start. Here the same definitions are parsed from
// builtin.jq itself, once, when the first query is compiled.

package gojq

import (
	_ "embed"
	"sync"
)

//go:embed builtin.jq
var builtinJQ string

var builtinOnce sync.Once

// builtins returns builtinFuncDefs, parsing builtin.jq on first use exactly as
// _tools/gen_builtin.go does to generate upstream's builtin.go.
func builtins() map[string][]*FuncDef {
	builtinOnce.Do(func() {
		q, err := Parse(builtinJQ)
		if err != nil {
			panic("gojq: builtin.jq: " + err.Error())
		}
		fds := make(map[string][]*FuncDef, len(q.FuncDefs)+3)
		for _, fd := range q.FuncDefs {
			fds[fd.Name] = append(fds[fd.Name], fd)
		}
		// Compiled by compiler.go's compileAssign, compileModify and compileLast.
		fds["_assign"] = []*FuncDef{}
		fds["_modify"] = []*FuncDef{}
		fds["_last"] = []*FuncDef{}
		builtinFuncDefs = fds
	})
	return builtinFuncDefs
}
