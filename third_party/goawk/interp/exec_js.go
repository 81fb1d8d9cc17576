// Added for imdsplay (see PATCH.md).

package interp

import "errors"

// noProcesses is true where no process can be started: under js, system(), "cmd | getline"
// and print > "| cmd" fail as a command that cannot start does (the error on stderr; system
// returns -1, the pipe reads nothing and writes nowhere), and os/exec stays out of the build.
const noProcesses = true

var errNoProcesses = errors.New("cannot start a process under js")
