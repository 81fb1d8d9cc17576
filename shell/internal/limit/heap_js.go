//go:build js

package limit

import "runtime"

// heapSampler reads the Go heap through runtime.ReadMemStats. In the browser there is one
// thread and no watchdog, so stopping the world to read costs nothing, while runtime/metrics
// would cost the wasm about 7.5 KB (brotli) for its table of every metric.
type heapSampler struct{}

func newHeapSampler() heapSampler { return heapSampler{} }

func memStats() runtime.MemStats {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m
}

// objects is the bytes in heap objects, garbage included, and in goroutine stacks.
func (heapSampler) objects() uint64 {
	m := memStats()
	return m.HeapAlloc + m.StackInuse
}

// live estimates the heap the last collection found live from the next collection's goal,
// which the runtime sets to twice the live heap (GOGC=100; the playground never changes it)
// plus a little for stacks and globals: a slight overestimate, which only makes the run's
// baseline skip a collection it might have made.
func (heapSampler) live() uint64 {
	m := memStats()
	return m.NextGC/2 + m.StackInuse
}

// liveAfterGC is exact: just after a forced collection, every allocated byte is live.
func (heapSampler) liveAfterGC() uint64 { return heapSampler{}.objects() }
