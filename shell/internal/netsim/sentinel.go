package netsim

import "github.com/imdsplay/imdsplay/imds"

// The emulator's transport errors (see imds.Transport).
var (
	ErrConnRefused = imds.ErrConnRefused
	ErrNoAnswer    = imds.ErrNoAnswer
)
