//go:build !js

package browsertest

import "testing"

// bootJS reports how a first visit started its engine: when (the mark imds-engine-start), when
// the page was parsed (DOMContentLoaded), how many times it fetched the worker's script and the
// wasm, and whether the engine is the worker the first script started.
const bootJS = `(() => {
	const start = performance.getEntriesByName("imds-engine-start")[0]?.startTime ?? -1;
	const nav = performance.getEntriesByType("navigation")[0];
	const scripts = performance.getEntriesByType("resource").filter((e) => /\/assets\/worker-[^/#]*\.js(#.*)?$/.test(e.name));
	const workers = scripts.length, bootInURL = scripts.length > 0 && scripts.every((e) => new URL(e.name).hash.includes("boot"));
	const early = globalThis.__imdsEarlyWorker;
	return {start, parsed: nav.domContentLoadedEventStart, workers, wasm: imds.wasmFetches.length, by: early?.by ?? "", takenOver: !!early && imds.worker === early.worker, bootInURL};
})()`

// TestEngineStartsFirst checks that a page starts its engine's worker from its first script,
// before the page is even parsed (the runtime's module runs later; early.ts), and that the
// module takes that worker over rather than starting a second one. The worker gets its boot
// message in its URL, so that it does not wait for the page's busy thread to forward it.
func TestEngineStartsFirst(t *testing.T) {
	setup(t)
	tb := newFreshTab(t)
	path, _, _ := tb.firstBlocks(t)
	tb.open(t, path)
	b := eval[struct {
		Start, Parsed float64
		Workers, Wasm int
		By            string
		TakenOver     bool
		BootInURL     bool
	}](t, tb, bootJS)
	t.Logf("engine started at %.0f ms, page parsed at %.0f ms", b.Start, b.Parsed)
	if b.By != "boot" {
		t.Errorf("the engine's worker was started by %q; want by the page's first script (boot)", b.By)
	}
	if b.Start < 0 || b.Start >= b.Parsed {
		t.Errorf("the engine started at %.0f ms, the page was parsed at %.0f ms: want the engine started first", b.Start, b.Parsed)
	}
	if !b.BootInURL {
		t.Error("the worker's boot message is not in its URL: sent as a message, it waits for the page's thread (web/ts/early.ts)")
	}
	if !b.TakenOver {
		t.Error("the engine runs in another worker than the one the first script started")
	}
	if b.Workers != 1 || b.Wasm != 1 {
		t.Errorf("the worker's script was fetched %d times and the wasm %d times; want once each", b.Workers, b.Wasm)
	}
	tb.checkClean(t)
}
