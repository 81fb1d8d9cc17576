// Added for imdsplay (see PATCH.md).

package gojq

import (
	"reflect"
	"testing"
)

// TestBuiltinsMatchUpstream checks that the definitions parsed from builtin.jq on first use are
// exactly those of the table upstream generates (kept in builtin_upstream_test.go).
func TestBuiltinsMatchUpstream(t *testing.T) {
	got := builtins()
	if len(got) != len(upstreamBuiltinFuncDefs) {
		t.Errorf("%d builtin names; upstream's table has %d", len(got), len(upstreamBuiltinFuncDefs))
	}
	for name, want := range upstreamBuiltinFuncDefs {
		if fds, ok := got[name]; !ok {
			t.Errorf("%s: missing", name)
		} else if !reflect.DeepEqual(fds, want) {
			t.Errorf("%s: parsed definitions differ from upstream's generated ones", name)
		}
	}
	for name := range got {
		if _, ok := upstreamBuiltinFuncDefs[name]; !ok {
			t.Errorf("%s: not in upstream's table", name)
		}
	}
}
