//go:build !js

package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/heapprofiler"
	"github.com/chromedp/cdproto/memory"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/imdsplay/imdsplay/imds/scenario"
)

// The memory test's volume: rounds of one long run through the JS API and a series of separate
// runs of a live block, clicked as a reader would: 20 × (25 × 17 + 15 × 5) = 10,000 requests.
const (
	memRounds        = 20
	memLoopIters     = 25 // tokens per API run, each followed by memReadsPerToken reads
	memReadsPerToken = 16
	memBlockRuns     = 15 // live-block runs per round
	memBlockReads    = 4  // reads per block run, after its token
	memRequestsWant  = memRounds * (memLoopIters*(1+memReadsPerToken) + memBlockRuns*(1+memBlockReads))
	// memEventsKept is the size of the core's Activity Tracker log (imds.maxEvents), which
	// keeps the newest events by design.
	memEventsKept = 10000
)

// Bounds of "flat", between the baseline (everything warm, the Activity Tracker log full) and
// the end; measured growth is a small fraction of each (the test logs it). What a leak would
// cost over the 10,000 requests: keeping each exchange, about 10 KB in Go and as much in JS
// (100 MB); each history entry, some 30 DOM nodes and its exchange; each run's result, a
// megabyte or more a run.
const (
	maxGoLiveGrowth  = 3 << 20 // live Go heap (HeapAlloc) after collections
	maxGoInuseGrowth = 6 << 20 // Go heap spans in use after collections
	// The wasm linear memory only grows, at a new peak of the Go heap. A run's result is held
	// some three times while it is encoded (4 MB for an API run's), and the collector's pacing
	// makes the peak vary by a few MiB from run to run: this bound is a backstop for a leak of
	// whole runs; the live heap's catches the slow ones.
	maxWasmGrowth     = 24 << 20
	maxJSHeapGrowth   = 4 << 20 // the JS heap used after a collection
	maxElementGrowth  = 200     // elements in the document
	maxNodeGrowth     = 2000    // DOM nodes alive after a collection, detached ones included
	maxListenerGrowth = 200     // JS event listeners
)

// memSample is the page's memory at one moment, each part after a garbage collection.
type memSample struct {
	GoHeapAlloc, GoHeapInuse, GoSys int64 // imds.memStats()
	Goroutines                      int64
	WasmBytes                       int64 // the engine's WebAssembly.Memory (in its worker)
	JSUsed, JSTotal                 int64 // Runtime.getHeapUsage
	Elements                        int64 // elements in the document
	Nodes, Listeners                int64 // Memory.getDOMCounters
	Events                          int64 // Activity Tracker events the core keeps
	History                         int64 // entries in the request history list
}

func (m memSample) String() string {
	mib := func(n int64) string { return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20)) }
	return fmt.Sprintf("Go heap in use %s (alloc %s, sys %s, %d goroutines), wasm memory %s, JS heap %s (total %s), %d elements, %d nodes, %d listeners, %d events kept, %d history entries",
		mib(m.GoHeapInuse), mib(m.GoHeapAlloc), mib(m.GoSys), m.Goroutines, mib(m.WasmBytes), mib(m.JSUsed), mib(m.JSTotal),
		m.Elements, m.Nodes, m.Listeners, m.Events, m.History)
}

// awaitJS evaluates expr, a Promise, and waits for it without the DevTools protocol's
// awaitPromise: the page keeps the settled value in a global that the test polls for. So a
// Promise that never settles shows as a timeout, whatever the inspector does with its handles.
func awaitJS[T any](t *testing.T, tb *tab, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 3*time.Minute)
	defer cancel()
	key, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const k = "__imdsTestResult" + (window.__imdsTestSeq = (window.__imdsTestSeq ?? 0) + 1);
		Promise.resolve().then(() => `+expr+`).then((ok) => (window[k] = {ok}), (e) => (window[k] = {err: String(e)}));
		return k;
	})()`))
	if err != nil {
		t.Fatalf("evaluating %.80s: %v", expr, err)
	}
	type settled struct {
		OK  *T      `json:"ok"`
		Err *string `json:"err"`
	}
	v, err := chromedp.Run(ctx, chromedp.Poll[settled](fmt.Sprintf(`(() => { const v = window[%q]; if (v) delete window[%[1]q]; return v; })()`, key),
		chromedp.WithPollingInterval(20*time.Millisecond)))
	switch {
	case err != nil:
		t.Fatalf("waiting for %.80s: %v", expr, err)
	case v.Err != nil:
		t.Fatalf("%.80s: rejected: %s", expr, *v.Err)
	case v.OK == nil:
		t.Fatalf("%.80s: resolved to nothing", expr)
	}
	return *v.OK
}

// sampleMemory collects Go's garbage (imds.memStats does), then the JS heap's, and reads
// every counter.
func (tb *tab) sampleMemory(t *testing.T) memSample {
	t.Helper()
	var m memSample
	g := awaitJS[map[string]int64](t, tb, `imds.memStats()`)
	m.GoHeapAlloc, m.GoHeapInuse, m.GoSys, m.Goroutines = g["heapAlloc"], g["heapInuse"], g["sys"], g["goroutines"]
	// Go's finalizers release the JS values it held; a second pass frees what they let go.
	if _, err := chromedp.Call(tb.ctx, heapprofiler.CollectGarbage, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(tb.ctx, heapprofiler.CollectGarbage, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	h, err := chromedp.Call(tb.ctx, cdpruntime.GetHeapUsage, cdp.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	m.JSUsed, m.JSTotal = int64(h.UsedSize), int64(h.TotalSize)
	d, err := chromedp.Call(tb.ctx, memory.GetDOMCounters, cdp.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	m.Nodes, m.Listeners = d.Nodes, d.JsEventListeners
	m.WasmBytes = g["wasmBytes"]
	if m.WasmBytes == 0 {
		t.Fatalf("imds.memStats() reports no wasm memory: %v", g)
	}
	c := eval[map[string]int64](t, tb, `imds.events().then((events) => ({
		elements: document.getElementsByTagName("*").length,
		events: events.length,
		history: document.querySelectorAll('[data-testid="history-item"]').length,
	}))`)
	m.Elements, m.Events, m.History = c["elements"], c["events"], c["history"]
	return m
}

// apiRun is what the page reports of one run through imds.newSession(…).run.
type apiRun struct {
	Exit   int    `json:"exit"`
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
	N      int    `json:"n"`
	Puts   int    `json:"puts"` // PUT …/token answered 200
	Gets   int    `json:"gets"` // GET …/metadata/v1/instance answered 200
}

// runAPI runs script in the page's instance session through the JS API and summarises the
// result in the page (a run's exchanges are megabytes: they stay there, to be collected).
func (tb *tab) runAPI(t *testing.T, script string) apiRun {
	t.Helper()
	b, _ := json.Marshal(script)
	return awaitJS[apiRun](t, tb, `(window.__memSession ??= imds.newSession({on: "instance"})).run(`+string(b)+`).then((r) => ({
		exit: r.exit, stdout: r.stdout, stderr: r.stderr.slice(0, 2000), n: r.exchanges.length,
		puts: r.exchanges.filter((x) => x.method === "PUT" && x.url.includes("/identity/v1/token?") && x.status === 200).length,
		gets: r.exchanges.filter((x) => x.method === "GET" && x.url.includes("/metadata/v1/instance?") && x.status === 200).length,
	}))`)
}

// blockRuns is what the page reports of a series of live-block runs.
type blockRuns struct {
	Runs      int      `json:"runs"`
	Correct   int      `json:"correct"`
	Exchanges int      `json:"exchanges"`
	OK        int      `json:"ok"` // exchanges answered 200
	Bad       []string `json:"bad"`
}

// blockRunsJS clicks Run on a block n times, each after the one before has finished, and checks
// each output: exit 0, stdout, and its exchanges. Arguments: selector, n, stdout wanted,
// exchanges wanted.
const blockRunsJS = `(async (sel, n, want, exchanges) => {
	const b = document.querySelector(sel);
	const run = b.querySelector('[data-testid="run"]');
	const out = b.querySelector('[data-testid="output"]');
	const res = {runs: 0, correct: 0, exchanges: 0, ok: 0, bad: []};
	for (let k = 0; k < n; k++) {
		const done = new Promise((resolve) => {
			const mo = new MutationObserver(() => {
				if (!run.disabled) {
					mo.disconnect();
					resolve();
				}
			});
			mo.observe(run, {attributes: true, attributeFilter: ["disabled"]});
		});
		run.click();
		await done;
		res.runs++;
		const xs = Array.from(out.querySelectorAll('[data-testid="exchange"]'), (x) => x.dataset.status);
		res.exchanges += xs.length;
		res.ok += xs.filter((s) => s === "200").length;
		const stdout = out.querySelector('[data-testid="stdout"]')?.textContent ?? "";
		const exit = out.querySelector('[data-testid="exit"]')?.dataset.exit;
		if (exit === "0" && stdout === want && xs.length === exchanges && xs.every((s) => s === "200")) res.correct++;
		else if (res.bad.length < 3) res.bad.push("exit " + exit + ", statuses " + xs.join(",") + ": " + out.innerText.slice(0, 300));
	}
	return res;
})(%q, %d, %q, %d)`

// TestMemoryFlat sends 10,000 requests to the emulator in one page session, through the page's
// real paths: long runs through the JS API the page's runtime uses, and hundreds of separate
// runs of a live block (each rendered, added to the request history, saved to memory, shown in
// the panel). Every token and every answer must be correct, and memory must stay flat: the Go
// heap, the wasm memory, the JS heap and the DOM, from a baseline taken when everything is
// warm and the Activity Tracker log (which keeps the newest 10,000 events by design) is full.
func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 requests in the browser: skipped with -short")
	}
	setup(t)
	started := time.Now()
	tb := newTab(t)
	_, _, inst := tb.pickPage(t)
	if v := eval[int](t, tb, `imds.events().then((e) => e.length)`); v != 0 {
		t.Fatalf("a fresh page has %d events; want none", v)
	}
	// The page asks for a session per Run: the engine must hand back the one object it made for
	// that key rather than a new one with a new callback (each a js.Func that is never freed).
	if !eval[bool](t, tb, `imds.newSession({on: "instance"}) === imds.newSession({on: "instance"}) &&
		imds.newSession({on: "workstation"}) !== imds.newSession({on: "instance"})`) {
		t.Fatal("imds.newSession makes a new object for a key it has already seen")
	}

	// The API runs: tokens and reads, each checked by the script and counted.
	want := scenario.DefaultInstanceID + " my-virtual-server-2"
	loop := fmt.Sprintf(`tokens=0 reads=0
for i in $(seq 1 %d); do
  tok=$(curl -s -X PUT "$vpc_metadata_api_endpoint/identity/v1/token?version=2025-08-26" -H "Metadata-Flavor: ibm" -d '{"expires_in": 600}' | jq -r 'select(.expires_in == 600) | .access_token')
  case $tok in eyJ*.*.*) tokens=$((tokens+1)) ;; esac
  for j in $(seq 1 %d); do
    got=$(curl -s "$vpc_metadata_api_endpoint/metadata/v1/instance?version=2025-08-26" -H "Authorization: Bearer $tok" | jq -r '"\(.id) \(.name)"')
    [ "$got" = %q ] && reads=$((reads+1))
  done
done
echo "tokens=$tokens reads=$reads"`, memLoopIters, memReadsPerToken, want)
	counts := regexp.MustCompile(`^tokens=(\d+) reads=(\d+)\n$`)
	var tokens, reads, requests int
	apiRuns := func() {
		t.Helper()
		r := tb.runAPI(t, loop)
		m := counts.FindStringSubmatch(r.Stdout)
		if r.Exit != 0 || m == nil || r.N != memLoopIters*(1+memReadsPerToken) || r.Puts != memLoopIters || r.Gets != memLoopIters*memReadsPerToken {
			t.Fatalf("API run: exit %d, %d exchanges (%d tokens, %d reads answered 200), stdout %q, stderr %q", r.Exit, r.N, r.Puts, r.Gets, r.Stdout, r.Stderr)
		}
		tk, _ := strconv.Atoi(m[1])
		rd, _ := strconv.Atoi(m[2])
		tokens, reads, requests = tokens+tk, reads+rd, requests+r.N
	}

	// The block runs: a token and some reads, each run rendered by the page.
	tb.setEditor(t, inst, fmt.Sprintf(`tok=$(curl -s -X PUT "$vpc_metadata_api_endpoint/identity/v1/token?version=2025-08-26" -H "Metadata-Flavor: ibm" -d '{"expires_in": 600}' | jq -r .access_token)
for j in $(seq 1 %d); do curl -s "$vpc_metadata_api_endpoint/metadata/v1/instance?version=2025-08-26" -H "Authorization: Bearer $tok" | jq -r .name; done`, memBlockReads))
	wantOut := ""
	for range memBlockReads {
		wantOut += "my-virtual-server-2\n"
	}
	var blockCorrect, blockTotal int
	runBlocks := func(n int) {
		t.Helper()
		r := awaitJS[blockRuns](t, tb, fmt.Sprintf(blockRunsJS, blockSel(inst), n, wantOut, 1+memBlockReads))
		if r.Runs != n || r.Correct != n || r.OK != n*(1+memBlockReads) {
			t.Fatalf("%d block runs: %d correct, %d exchanges (%d answered 200); the first wrong ones: %q", r.Runs, r.Correct, r.Exchanges, r.OK, r.Bad)
		}
		blockCorrect += r.Correct
		blockTotal += r.Runs
		tokens += r.Runs
		reads += r.Runs * memBlockReads
		requests += r.Exchanges
	}

	// Warm-up: every path, 500 requests (one API run, a series of block runs), so that one-time
	// costs (the shell's, jq's, the page's first renders) are paid before anything is measured.
	apiRuns()
	runBlocks(memBlockRuns)
	warm := tb.sampleMemory(t)
	t.Logf("after warm-up (%d requests, %s): %s", requests, time.Since(started).Round(time.Millisecond), warm)

	// The Activity Tracker log keeps the newest 10,000 events: fill it, with authenticated reads
	// like the test's, so that the baseline holds the log at its size.
	fill := `tok=$(curl -s -X PUT "$vpc_metadata_api_endpoint/identity/v1/token?version=2025-08-26" -H "Metadata-Flavor: ibm" -d '{}' | jq -r .access_token)
for i in $(seq 1 500); do curl -s -o /dev/null "$vpc_metadata_api_endpoint/metadata/v1/instance?version=2025-08-26" -H "Authorization: Bearer $tok"; done`
	for k := 0; eval[int](t, tb, `imds.events().then((e) => e.length)`) < memEventsKept; k++ {
		if k == 2*memEventsKept/500 {
			t.Fatalf("after %d requests the event log holds %d events; want it full at %d", k*500, eval[int](t, tb, `imds.events().then((e) => e.length)`), memEventsKept)
		}
		if r := tb.runAPI(t, fill); r.Exit != 0 || r.Gets != 500 {
			t.Fatalf("filling the event log: exit %d, %d reads answered 200; stderr %q", r.Exit, r.Gets, r.Stderr)
		}
	}
	tokens, reads, requests, blockCorrect, blockTotal = 0, 0, 0, 0, 0
	base := tb.sampleMemory(t)
	t.Logf("baseline (event log full, %s): %s", time.Since(started).Round(time.Millisecond), base)

	mainStart := time.Now()
	var series []string // the live Go heap after each round, for the log
	var apiTime, blockTime time.Duration
	for range memRounds {
		t0 := time.Now()
		apiRuns()
		t1 := time.Now()
		runBlocks(memBlockRuns)
		apiTime, blockTime = apiTime+t1.Sub(t0), blockTime+time.Since(t1)
		g := awaitJS[map[string]int64](t, tb, `imds.memStats()`)
		series = append(series, fmt.Sprintf("%.2f", float64(g["heapAlloc"])/(1<<20)))
	}
	mainTime := time.Since(mainStart)
	end := tb.sampleMemory(t)
	t.Logf("live Go heap after each round, MiB: %s", strings.Join(series, " "))
	t.Logf("after %d requests (%d tokens, %d reads; %d API runs in %s, %d block runs in %s) in %s: %s",
		requests, tokens, reads, memRounds, apiTime.Round(time.Millisecond), blockTotal, blockTime.Round(time.Millisecond), mainTime.Round(time.Millisecond), end)

	wantTokens := memRounds * (memLoopIters + memBlockRuns)
	if requests != memRequestsWant || tokens != wantTokens || reads != memRequestsWant-wantTokens || blockCorrect != memRounds*memBlockRuns {
		t.Errorf("got %d requests, %d tokens issued, %d correct reads, %d correct block runs; want %d, %d, %d, %d",
			requests, tokens, reads, blockCorrect, memRequestsWant, wantTokens, memRequestsWant-wantTokens, memRounds*memBlockRuns)
	}
	for _, c := range []struct {
		what     string
		from, to int64
		max      int64
	}{
		{"live Go heap (bytes)", base.GoHeapAlloc, end.GoHeapAlloc, maxGoLiveGrowth},
		{"Go heap in use (bytes)", base.GoHeapInuse, end.GoHeapInuse, maxGoInuseGrowth},
		{"wasm memory (bytes)", base.WasmBytes, end.WasmBytes, maxWasmGrowth},
		{"JS heap used (bytes)", base.JSUsed, end.JSUsed, maxJSHeapGrowth},
		{"document elements", base.Elements, end.Elements, maxElementGrowth},
		{"DOM nodes", base.Nodes, end.Nodes, maxNodeGrowth},
		{"JS event listeners", base.Listeners, end.Listeners, maxListenerGrowth},
		{"goroutines", base.Goroutines, end.Goroutines, 2},
		{"Activity Tracker events kept (at the log's cap)", base.Events, end.Events, 0},
		{"request history entries (at the list's cap)", base.History, end.History, 0},
	} {
		if c.to-c.from > c.max {
			t.Errorf("%s grew from %d to %d over %d requests; want at most %d more", c.what, c.from, c.to, requests, c.max)
		}
	}
	t.Logf("growth from the baseline: live Go heap %+.2f MiB, Go heap in use %+.2f MiB, wasm memory %+.2f MiB, JS heap %+.2f MiB, %+d elements, %+d nodes, %+d listeners; test time %s",
		float64(end.GoHeapAlloc-base.GoHeapAlloc)/(1<<20), float64(end.GoHeapInuse-base.GoHeapInuse)/(1<<20), float64(end.WasmBytes-base.WasmBytes)/(1<<20), float64(end.JSUsed-base.JSUsed)/(1<<20),
		end.Elements-base.Elements, end.Nodes-base.Nodes, end.Listeners-base.Listeners, time.Since(started).Round(time.Millisecond))
	tb.checkClean(t)
}
