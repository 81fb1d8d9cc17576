// Added for imdsplay (see PATCH.md).

//go:build !js

package interp

// noProcesses is false where os/exec can start processes (see exec_js.go).
const noProcesses = false

// errNoProcesses is never reported here.
var errNoProcesses error
