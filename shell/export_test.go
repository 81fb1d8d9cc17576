package shell

// Tests see the stack of a command that panicked, in its "internal error" message.
func init() { panicStacks = true }
