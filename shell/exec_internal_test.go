package shell

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/imdsplay/imdsplay/shell/internal/builtin"
)

// TestCommandPanics checks that a command that panics (a bug) ends with an internal error and
// StatusInternal, and that the script and the session go on.
func TestCommandPanics(t *testing.T) {
	s := New(Config{})
	s.cmds["boom"] = func(*builtin.Env) int { panic("kaboom") }
	var out, errb bytes.Buffer
	st := s.Run(context.Background(), `boom; echo "after $?"`, &out, &errb)
	if st != 0 || out.String() != "after 70\n" || !strings.HasPrefix(errb.String(), "imds sh: boom: internal error: kaboom\n") {
		t.Errorf("status %d, stdout %q, stderr %q", st, out.String(), errb.String())
	}
}
