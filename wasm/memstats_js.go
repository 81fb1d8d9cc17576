//go:build js

package main

import (
	"runtime"
	"syscall/js"
)

// MemStats is what imds.memStats() returns: the Go heap right after a full collection, so that
// a test (site/browsertest's TestMemoryFlat) can tell memory that is still held from garbage.
// Sizes are in bytes.
type MemStats struct {
	// HeapAlloc is the bytes of live heap objects.
	HeapAlloc uint64 `json:"heapAlloc"`
	// HeapInuse is the bytes of in-use heap spans (live objects plus their spans' slack).
	HeapInuse uint64 `json:"heapInuse"`
	// HeapSys is the heap memory obtained from the wasm linear memory; it never shrinks.
	HeapSys uint64 `json:"heapSys"`
	// Sys is all the memory the Go runtime obtained, about the size of the linear memory.
	Sys uint64 `json:"sys"`
	// NumGC counts the completed collections, this one included.
	NumGC uint32 `json:"numGC"`
	// Goroutines is the number of goroutines that exist.
	Goroutines int `json:"goroutines"`
}

// jsMemStats implements imds.memStats() → Promise<MemStats>: full garbage collections, then the
// runtime's numbers. It is for tests and for curious readers in the console; the page itself
// never calls it.
func jsMemStats(js.Value, []js.Value) any {
	return promise(func() (any, error) {
		// Twice: what sync.Pool's victim cache and finalizers kept alive through the first
		// collection (a pooled JSON buffer as big as the last run's result) goes in the second.
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return MemStats{
			HeapAlloc:  m.HeapAlloc,
			HeapInuse:  m.HeapInuse,
			HeapSys:    m.HeapSys,
			Sys:        m.Sys,
			NumGC:      m.NumGC,
			Goroutines: runtime.NumGoroutine(),
		}, nil
	})
}
