//go:build !js

package main

import (
	"fmt"
	"os"
)

// main exists so that the package builds, vets and tests natively; the real program is
// main_js.go and only makes sense inside a browser.
func main() {
	fmt.Fprintln(os.Stderr, "wasm: build with GOOS=js GOARCH=wasm and load it from the playground page")
	os.Exit(2)
}
