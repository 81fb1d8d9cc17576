//go:build !linux

package hoplimit

import (
	"errors"
	"syscall"
)

// Supported reports whether this platform can set hop limits.
const Supported = false

var errUnsupported = errors.Join(errors.New("hoplimit: setting the hop limit is implemented on Linux only"), errors.ErrUnsupported)

func set(syscall.RawConn, bool, int) error { return errUnsupported }

func get(syscall.RawConn, bool) (int, error) { return 0, errUnsupported }
