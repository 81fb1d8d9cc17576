//go:build !js

package limit

import "runtime/metrics"

// heapSampler reads the Go heap through runtime/metrics, which reads it without stopping the
// world: the native watchdog samples every few milliseconds beside a busy run.
type heapSampler struct{ s []metrics.Sample }

func newHeapSampler() heapSampler {
	return heapSampler{s: []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}}
}

// objects is the bytes in heap objects, garbage included.
func (h heapSampler) objects() uint64 {
	metrics.Read(h.s[:1])
	return value(h.s[0])
}

// live is the heap the last collection found live.
func (h heapSampler) live() uint64 {
	metrics.Read(h.s[1:])
	return value(h.s[1])
}

// liveAfterGC is live, read just after a collection the caller forced.
func (h heapSampler) liveAfterGC() uint64 { return h.live() }

func value(s metrics.Sample) uint64 {
	if s.Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s.Value.Uint64()
}
