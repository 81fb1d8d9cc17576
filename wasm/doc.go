// Command wasm is the playground's engine: the emulator core and the shell, compiled with
// GOOS=js GOARCH=wasm and driven from the page's TypeScript runtime (web/ts).
//
// # The JavaScript API
//
// The program runs in a dedicated Web Worker (web/ts/worker.ts), never on the page's thread: the
// page talks to the worker with messages (web/ts/protocol.ts), and its client (web/ts/client.ts)
// offers the page the same calls as the API below. main registers one object, globalThis.imds
// in the worker, and then waits forever. Every method that does real work returns a Promise and
// does the work in a goroutine: a js.FuncOf callback runs on the worker's event loop, so one
// that waited for a JS Promise itself (WebCrypto making a key) would wait forever, while a
// goroutine that waits hands the thread back.
//
//	imds.start({keys?: {identity, iam, caRoot, caIntermediate}}) → Promise<{version, state, now}>
//	    Creates the page's one emulator, and answers with its first imds.state() and imds.now(). Each key is an RSA private key as PKCS #8 DER bytes
//	    (Uint8Array or ArrayBuffer), typically made by crypto.subtle.generateKey while the wasm
//	    was still downloading. Missing keys are made with WebCrypto from Go. Where WebCrypto
//	    exists, the identity and IAM tokens are signed by it with the given keys, which Go then
//	    never parses (keys.go's SignerFunc).
//	imds.newSession({on: "instance" | "workstation", hops?, group?}) → session
//	    A shell session for that place; every call with the same place, hops and group shares
//	    one shell, and returns the same object, so variables set by one live block are seen by
//	    the next. hops (1..64) fixes
//	    how many network hops the session's commands are from the metadata service; without it
//	    they follow the page's setting (imds.configure({hops})). group ("" for the page's own
//	    blocks) keeps sets of blocks apart, for embeds.
//	session.run(script, id?) → Promise<RunResult>
//	    Runs the script. Runs on one session are serialised in call order. Each exchange of the
//	    result carries curl (the request as a curl command) and curlVars (the same with the
//	    session's variables in place of their values); set lists the variables the script
//	    assigns that hold a value after the run (sorted), which the page shows as set by the
//	    block that ran. id, a string, names the run for cancel. Sessions live as long as the
//	    engine: the page keeps one engine for the whole visit (client-side navigation), so a
//	    variable set on one page is there on the next.
//	imds.cancel(id)
//	    Stops the run started with that id as Ctrl-C would (exit 130): the shell checks at every
//	    statement, in awk's and jq's loops and in every builtin's, and lets the event loop run
//	    every 50 ms even in a busy loop, so the cancel arrives. A run stuck in one long Go call
//	    (a huge regular expression match) cannot see it: the page then ends the worker and
//	    starts another from the saved world (web/ts/client.ts).
//	imds.verifyJWT(token) → Promise<JWTInfo>
//	    Decodes the token and checks its signature against the emulator's key sets.
//	imds.parseChain(pem | pem[]) → Promise<ChainInfo>
//	    Describes certificates and verifies the chain against the emulator's root CA.
//	imds.now() → number
//	    The emulator's virtual time in Unix milliseconds (expiry countdowns use it).
//	imds.warm()
//	    Pays one-time costs in the background: the shell's before start, the whole engine's
//	    after (warm.go). The worker calls it right after it has told the page it is ready; each
//	    step waits until the reader has run nothing for 200 ms.
//	imds.memStats() → Promise<MemStats>
//	    Collects garbage and reports the Go heap (memstats_js.go); for tests and the console.
//
// The instance panel, memory and permalinks (state.go, snapshot.go, package permalink):
//
//	imds.state() → State | null
//	    {instance: {id, name, crn, status, metadata_service: {enabled, protocol,
//	    response_hop_limit}, default_trusted_profile: {auto_link, target: {id, crn, name} |
//	    null}}, profiles: [{id, crn, name, linked}], hops, version, instances}; null before
//	    start has finished. The instance is the scenario's first, the one "on the instance" is.
//	imds.configure(patch) → Promise<State>
//	    Changes the world through the core's Emulator.Update, all or nothing; the patch may hold
//	    enabled, protocol ("http" | "https"), hopLimit (1..64), status ("running" | "stopped"),
//	    hops (where commands run: 1 host, 2 a container one hop away, 3 two hops), defaultProfile
//	    (id, crn or name; "" for none), autoLink, link / unlink (a profile or a list), linked (the
//	    exact list) and version (the version switch's YYYY-MM-DD, "" for the blocks' own dates).
//	    Unknown fields and out-of-range values reject with a message naming the field.
//	imds.events(limit?) → Event[]
//	    The Activity Tracker events, newest first (the JSON of imds.Event), at most limit.
//	imds.onChange(cb) → unsubscribe()
//	    cb(state) runs (as a microtask) after every change: a run finished (a command may have
//	    changed the world, and made events), configure, restore.
//	imds.snapshot() → Promise<Snapshot>
//	    {v: 1, world: {scenario, clockOffsetMs, hops, version}, vars: {instance: {name: value},
//	    workstation: {...}}, sessions: [{group?, on, hops?, vars}]}: the world, the page
//	    sessions' variables, and the other sessions' (an embed's groups, fixed hops), which a
//	    restarted worker gets back and the page's memory does not keep.
//	imds.restore(snapshot | json) → Promise<State>
//	    Puts back a snapshot or any of its parts; a damaged one rejects and changes nothing.
//	imds.permalink.encode(link) → Promise<string>, imds.permalink.decode(fragment) → Promise<Link>
//	    The URL-fragment codec of package permalink: link is {page, blocks: [{i, h, t}],
//	    scenario: {enabled, protocol, hopLimit, status, hops, defaultProfile, autoLink, linked,
//	    version}, run: {i, h, pre: [indexes]}}; encode resolves to "v2.…" (put it after
//	    "#imds="), decode takes the fragment (v2, or v1 of the first playground) and rejects a
//	    malformed one with a message for the reader. imds.permalink.maxLength and
//	    imds.permalink.key ("imds=") are constants. The DEFLATE step is the browser's own
//	    (CompressionStream "deflate-raw"), not compress/flate, which would cost the wasm 35 KB.
//
// The result shapes are the JSON forms of RunResult, JWTInfo and ChainInfo (see their doc
// comments); web/ts/api.ts mirrors them in TypeScript.
//
// # Layout
//
// Only the files named *_js.go import syscall/js; a test (deps_test.go) fails when syscall/js
// appears anywhere else in the module, or when a package that has no business in the browser
// (os/exec from our own code, listeners, httptest, the site generator's dependencies) reaches
// the wasm build. Everything else in this package is plain Go and is tested natively.
package main
