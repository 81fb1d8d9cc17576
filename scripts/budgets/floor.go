//go:build !js

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/imdsplay/imdsplay/site"
)

// The floor: the smallest Go program a page can load (testdata/floor), compiled with the engine's
// toolchain and flags (site.CompileWasm), written into the built site under /floor/ so that the
// same server serves it with the same headers, and loaded the way the engine is (fetched,
// compiled while it streams, instantiated, run). Its page marks itself ready right after main
// returns, as the playground marks itself ready when a Run would work.

// floorPath is where the floor page is served.
const floorPath = "/floor/"

// floorHTML is the floor page: two same-origin scripts (the site's CSP allows nothing inline).
const floorHTML = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>The smallest Go program</title>
<script src="/floor/wasm_exec.js" defer></script>
<script src="/floor/floor.js" defer></script>
</head><body><p>The smallest Go program: a main that marks this page ready.</p></body></html>
`

// floorJS loads the floor's wasm as the engine's worker loads the engine's.
const floorJS = `const go = new Go();
WebAssembly.compileStreaming(fetch("/floor/floor.wasm"))
	.then((m) => WebAssembly.instantiate(m, go.importObject))
	.then((instance) => {
		go.run(instance); // main runs to its end before run returns
		performance.mark("imds-ready");
	});
`

// floorInfo describes the floor as built.
type floorInfo struct {
	WasmBytes, BrotliBytes int
}

// writeFloor compiles the floor and writes its page into dir (the built site), the wasm's
// brotli form beside it as the site build writes the engine's.
func writeFloor(ctx context.Context, root, dir string, brotliLevel int) (floorInfo, error) {
	wasm, br, err := site.CompileWasm(ctx, "go", root, "./scripts/budgets/testdata/floor", brotliLevel)
	if err != nil {
		return floorInfo{}, fmt.Errorf("the floor: %w", err)
	}
	goroot, err := goEnv(ctx, "GOROOT")
	if err != nil {
		return floorInfo{}, err
	}
	glue, err := os.ReadFile(filepath.Join(goroot, "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		return floorInfo{}, err
	}
	out := filepath.Join(dir, strings.Trim(floorPath, "/"))
	if err := os.MkdirAll(out, 0o755); err != nil {
		return floorInfo{}, err
	}
	for name, data := range map[string][]byte{
		"index.html":    []byte(floorHTML),
		"floor.js":      []byte(floorJS),
		"wasm_exec.js":  glue,
		"floor.wasm":    wasm,
		"floor.wasm.br": br,
	} {
		if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
			return floorInfo{}, err
		}
	}
	return floorInfo{WasmBytes: len(wasm), BrotliBytes: len(br)}, nil
}
