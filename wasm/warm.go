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
// before the callback's caller runs again. So a warm-up is never free: a reader's first Run
// waits for the step under way. It is done after start has answered (see yieldToPage), in
// steps that let a reader's Run in between.

// yieldToPage blocks on a timer for a moment, which returns the thread to the worker's event
// loop: pending Promise callbacks run (start's answer goes to the page) before Go goes on.
func yieldToPage() { time.Sleep(time.Millisecond) }

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
func (e *Engine) warm() {
	yieldToPage()
	if s, err := e.Session(imds.OnInstance); err == nil && s.ensure() == nil {
		s.mu.Lock()
		s.sh.Run(context.Background(), ":", io.Discard, io.Discard)
		s.mu.Unlock()
	}
	yieldToPage()
	warmShell()
	yieldToPage()
	if throwaway, err := imds.New(imds.Config{Time: e.clock.Now, Keys: &e.keys, LoadKey: e.loadKey}); err == nil {
		req, _ := http.NewRequest(http.MethodPut, "http://"+imds.MetadataHost+"/instance_identity/v1/token?version=2025-04-22", strings.NewReader(`{}`))
		req.Header.Set("Metadata-Flavor", "ibm")
		if resp, err := throwaway.Transport(imds.Origin{Place: imds.OnInstance}).RoundTrip(req); err == nil {
			resp.Body.Close()
		}
	}
	yieldToPage()
	if s, err := e.Session(imds.OnWorkstation); err == nil {
		s.ensure()
	}
}
