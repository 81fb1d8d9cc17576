// Added for imdsplay (see PATCH.md).

//go:build !js

package interp

import "time"

// defaultExecHandler is the exec handler a Runner ends its chain with: upstream's.
func defaultExecHandler() ExecHandlerFunc { return DefaultExecHandler(2 * time.Second) }
