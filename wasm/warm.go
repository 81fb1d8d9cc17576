package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/shell"
)

// Warming up. Inside wasm the first use of each big piece costs far more than the next one:
// the shell's first run (interpreter, builtins) ~0.1 s, jq's first query ~0.05 s, the core's
// first token ~0.1 s beyond its signature (encoders, signers, caches). Paying these while the
// page has nothing else to do keeps them off the reader's first Run. Nothing here touches the
// page's own emulator or sessions beyond creating the sessions early: the warm-up token comes
// from a throwaway emulator, so it is in no event log.

// warmScript exercises the interpreter, a pipe and jq in a throwaway session without network.
const warmScript = `x=$(echo '{"a":[1]}' | jq -c '.a | length') && test "$x" = 1`

// Inside wasm Go runs on one thread (the engine worker's) and, once it has it, keeps it until
// every goroutine is blocked: a goroutine started from a JS callback finishes its CPU work
// before the callback's caller runs again. So a warm-up is never free: a reader's Run that
// arrives during a step waits for it. Most of a first call's cost is V8 compiling the wasm
// functions it reaches (lazily, on first call). Hence the warm-up works only while the reader
// does not: a step starts only once no run has been under way for warmIdle.
//
// Running the warm-up in a second, throwaway worker on the same module was tried: V8 shares
// the code one worker compiles with every worker of the module (a second worker's Go start
// took 20-50 ms instead of 150-230), and a token 1.5 s after ready took 25 ms instead of 45.
// But its start and its compiling took the CPU of a two-core machine from the page: clicking
// from page to page in the first seconds took 117-133 ms instead of 73-87 (scripts/budgets),
// for a first token that is well within its budget either way.

// warmIdle is how long the engine waits without a reader's run before each warm-up step (the
// tests pass 0): long enough for the page's own first calls after ready (a restored world, the
// blocks a deep link runs first, a reader quick on the mouse) to come in, short beside the
// time a reader takes to read.
const warmIdle = 200 * time.Millisecond

// yieldToPage blocks on a timer for a moment, which returns the thread to the worker's event
// loop: pending Promise callbacks run (start's answer goes to the page) before Go goes on.
func yieldToPage() { time.Sleep(time.Millisecond) }

// waitIdle returns once no reader's run has been under way for idle.
func (e *Engine) waitIdle(idle time.Duration) {
	for {
		yieldToPage()
		d := e.readers.untilIdle(time.Now(), idle)
		if d == 0 {
			return
		}
		time.Sleep(d)
	}
}

// readerRuns counts the reader's runs under way and remembers when the last one ended (at
// first, when the engine was made), for waitIdle.
type readerRuns struct {
	mu      sync.Mutex
	running int
	ended   time.Time
}

// start records a run that begins; the returned func records its end.
func (r *readerRuns) start() func() {
	r.mu.Lock()
	r.running++
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		r.running--
		r.ended = time.Now()
		r.mu.Unlock()
	}
}

// untilIdle says how long to wait, at now, before the reader has been idle for idle: 0 when
// they have; a short poll while a run is under way (its end is not known in advance).
func (r *readerRuns) untilIdle(now time.Time, idle time.Duration) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running > 0 {
		return 10 * time.Millisecond
	}
	return max(0, idle-now.Sub(r.ended))
}

// shellWarm makes warmShell run once.
var shellWarm sync.Once

// warmShell pays the shell's and jq's one-time costs. It needs no keys, so the page asks for it
// while the keys are still being made.
func warmShell() {
	shellWarm.Do(func() {
		shell.New(shell.Config{}).Run(context.Background(), warmScript, io.Discard, io.Discard)
	})
}

// warm pays the remaining one-time costs after start, in the order the first Run needs them:
// the instance session (created and run once, with the no-op ":"), the shell and jq, the core's
// token path on a throwaway emulator with the same keys, and the workstation session.
func (e *Engine) warm(idle time.Duration) {
	e.waitIdle(idle)
	if s, err := e.Session(imds.OnInstance); err == nil && s.ensure() == nil {
		s.mu.Lock()
		s.sh.Run(context.Background(), ":", io.Discard, io.Discard)
		s.mu.Unlock()
	}
	e.waitIdle(idle)
	warmShell()
	e.waitIdle(idle)
	if throwaway, err := imds.New(e.emuCfg); err == nil {
		req, _ := http.NewRequest(http.MethodPut, "http://"+imds.MetadataHost+"/instance_identity/v1/token?version=2025-04-22", strings.NewReader(`{}`))
		req.Header.Set("Metadata-Flavor", "ibm")
		if resp, err := throwaway.Transport(imds.Origin{Place: imds.OnInstance}).RoundTrip(req); err == nil {
			resp.Body.Close()
		}
	}
	e.waitIdle(idle)
	if s, err := e.Session(imds.OnWorkstation); err == nil {
		s.ensure()
	}
}
