// Package vclock is the emulator's virtual clock: the time source that every surface shares so
// that a shell's `sleep 300` or a test's Advance moves token expiry forward at once, without
// anyone waiting for real.
//
// A Clock either stands still (Fixed, for deterministic tests) or follows a base time source
// plus an offset (Following, for interactive sessions, where real seconds still pass). In both
// cases Advance adds to the offset. The zero Clock follows time.Now.
package vclock

import (
	"sync"
	"time"
)

// Clock is a time source whose offset can be moved forward. It is safe for concurrent use.
type Clock struct {
	mu     sync.Mutex
	base   func() time.Time // nil means time.Now
	fixed  time.Time        // used when frozen is true
	frozen bool
	offset time.Duration
}

// Fixed returns a clock that stands still at t until Advance moves it.
func Fixed(t time.Time) *Clock { return &Clock{fixed: t, frozen: true} }

// Following returns a clock that reads base (time.Now when nil) plus the advanced offset.
func Following(base func() time.Time) *Clock { return &Clock{base: base} }

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen {
		return c.fixed.Add(c.offset)
	}
	base := c.base
	if base == nil {
		base = time.Now
	}
	return base().Add(c.offset)
}

// Advance moves the clock forward by d. A negative d is ignored: virtual time never runs
// backwards, so a token once expired stays expired.
func (c *Clock) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// Offset reports how far Advance has moved the clock in total.
func (c *Clock) Offset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset
}
