// Command prog is the Go program wasmdata's tests compile for js/wasm, rewrite with Merge and
// run under node: what it prints comes from data its module starts with (string constants, a
// map literal, unicode's tables, a table computed at init), so a wrong byte in the rewritten
// data section shows in its output.
package main

import (
	"crypto/sha256"
	"fmt"
	"sort"
	"unicode"
)

var capitals = map[string]string{"fr": "Paris", "de": "Berlin", "jp": "Tokyo", "br": "Brasília"}

var squares = func() (t [64]uint64) {
	for i := range t {
		t[i] = uint64(i * i)
	}
	return t
}()

func main() {
	keys := make([]string, 0, len(capitals))
	for k := range capitals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("%s=%s\n", k, capitals[k])
	}
	upper := 0
	for r := rune(0); r < 0x3000; r++ {
		if unicode.IsUpper(r) {
			upper++
		}
	}
	fmt.Println("upper:", upper, "square:", squares[63])
	fmt.Printf("sha256: %x\n", sha256.Sum256([]byte("imdsplay")))
}
