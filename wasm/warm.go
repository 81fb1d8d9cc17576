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
// before the callback's caller runs again. So a warm-up in the engine's worker is never free:
// a reader's Run that arrives during a step waits for it. Most of a first call's cost is V8
// compiling the functions it reaches (lazily, on first call), and that compiled code is shared
// by every worker that runs the same module: so the page runs the heavy warm-up in a worker of
// its own (web/ts/warmer.ts calls warm with idle 0 and asReader there, and ends the worker),
// then asks the engine's worker to warm up what is its own (its sessions, Go's caches), which
// is then quick; still, a step starts only once the page has asked for no run for warmIdle,
// and before each step it waits until no reader's run is under way.

// warmIdle is how long the engine's worker waits without a reader's run before each warm-up
// step: long enough for the page's own first calls after ready (a restored world, the blocks a
// deep link runs first, a reader quick on the mouse) to come in, short beside the time a reader
// takes to read.
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
	if throwaway, err := imds.New(imds.Config{Time: e.clock.Now, Keys: &e.keys, LoadKey: e.loadKey}); err == nil {
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

// readerFirsts are the commands readers run first, the most common first (the pages' first
// blocks: an identity token, the instance's metadata with it, an IAM token, the operator's
// view). The warm-up worker runs them in its own sessions, whose world is thrown away with it:
// the code a reader's first runs reach (the shell's curl, jq, the core's handlers and signers,
// ibmcloud) is then compiled for the page's engine too. Their answers do not matter; an error
// path compiles what errors need.
var readerFirsts = []struct {
	on     imds.Place
	script string
}{
	{imds.OnInstance, `export identity_token=$(curl -s -X PUT "$vpc_metadata_api_endpoint/identity/v1/token?version=2025-08-26" -H "Metadata-Flavor: ibm" -d '{"expires_in": 3600}' | jq -r .access_token)
echo "${identity_token:0:32}…"`},
	{imds.OnInstance, `curl -s "$vpc_metadata_api_endpoint/metadata/v1/instance?version=2025-08-26" -H "Authorization: Bearer $identity_token" | jq .`},
	{imds.OnInstance, `curl -s -X POST "$vpc_metadata_api_endpoint/identity/v1/iam_tokens?version=2025-08-26" -H "Authorization: Bearer $identity_token" -d '{}' | jq -r .access_token | cut -c1-3`},
	{imds.OnWorkstation, `ibmcloud is instances >/dev/null; ibmcloud is instance my-virtual-server-2 | head -3`},
}

// warmAsReader runs readerFirsts in the engine's own sessions, for the warm-up worker only:
// they leave events and variables in its world, which no reader sees.
func (e *Engine) warmAsReader() {
	for _, r := range readerFirsts {
		if s, err := e.Session(r.on); err == nil {
			s.Run(context.Background(), r.script)
		}
	}
}
