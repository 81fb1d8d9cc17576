//go:build js

// Command floor is the floor of scripts/budgets: the smallest Go program a page can load, a main
// that only marks the page ready. Built with the engine's toolchain and flags and loaded the same
// way (fetched, compiled while it streams, instantiated, run), it is what any Go WebAssembly page
// costs on this machine, in this run: the playground's times are budgeted as multiples of it.
// It lives in testdata so that it is no package of the module (and the module's rule that only
// wasm/*_js.go imports syscall/js stays whole).
package main

import "syscall/js"

func main() {
	js.Global().Get("document").Get("documentElement").Call("setAttribute", "data-imds-ready", "true")
}
