// Added for imdsplay (see PATCH.md).

//go:build js

package interp

import (
	"context"
	"fmt"
	"os"
	"syscall"
)

// defaultExecHandler is the exec handler a Runner ends its chain with. Under js no process can
// be started (os.StartProcess fails with ENOSYS), so instead of [DefaultExecHandler], which
// would bring os/exec into every WebAssembly build, it ends as that handler ends there: a
// program not found is exit status 127 with LookPathDir's message; one found fails to start
// with the error os/exec's Start returns under js.
func defaultExecHandler() ExecHandlerFunc {
	return func(ctx context.Context, args []string) error {
		hc := HandlerCtx(ctx)
		path, err := LookPathDir(hc.Dir, hc.Env, args[0])
		if err != nil {
			fmt.Fprintln(hc.Stderr, err)
			return ExitStatus(127)
		}
		return &os.PathError{Op: "fork/exec", Path: path, Err: syscall.ENOSYS}
	}
}
