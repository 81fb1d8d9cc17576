//go:build !js

package limit

import "runtime/metrics"

// heapSampler reads the Go heap through runtime/metrics, which reads it without stopping the
// world: the native watchdog samples every few milliseconds beside a busy run. Goroutine
// stacks count with the heap: a script that nests pipelines (f() { f | f; }) spends its
// memory on them.
type heapSampler struct{ s []metrics.Sample }

func newHeapSampler() heapSampler {
	return heapSampler{s: []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/stacks:bytes"},
	}}
}

// objects is the bytes in heap objects, garbage included, and in stacks.
func (h heapSampler) objects() uint64 {
	metrics.Read(h.s)
	return value(h.s[0]) + value(h.s[2])
}

// live is the heap the last collection found live, and the stacks.
func (h heapSampler) live() uint64 {
	metrics.Read(h.s)
	return value(h.s[1]) + value(h.s[2])
}

// liveAfterGC is live, read just after a collection the caller forced.
func (h heapSampler) liveAfterGC() uint64 { return h.live() }

func value(s metrics.Sample) uint64 {
	if s.Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s.Value.Uint64()
}
