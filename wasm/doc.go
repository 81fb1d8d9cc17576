// Command wasm is the playground's engine: the emulator core and the shell, compiled with
// GOOS=js GOARCH=wasm and driven from the page's TypeScript runtime (web/ts).
//
// # The JavaScript API
//
// main registers one object, globalThis.imds, and then waits forever. Every method that does
// real work returns a Promise and does the work in a goroutine: a js.FuncOf callback runs on the
// browser's event loop, so one that waited for a JS Promise itself (WebCrypto making a key) would
// wait forever, while a goroutine that waits hands the thread back.
//
//	imds.start({keys?: {identity, iam, caRoot, caIntermediate}}) → Promise<{version}>
//	    Creates the page's one emulator. Each key is an RSA private key as PKCS #8 DER bytes
//	    (Uint8Array or ArrayBuffer), typically made by crypto.subtle.generateKey while the wasm
//	    was still downloading. Missing keys are made with WebCrypto from Go.
//	imds.newSession({on: "instance" | "workstation"}) → session
//	    The page's shell session for that place; every call with the same place returns the same
//	    session, so variables set by one live block are seen by the next.
//	session.run(script) → Promise<RunResult>
//	    Runs the script. Runs on one session are serialised in call order.
//	imds.verifyJWT(token) → Promise<JWTInfo>
//	    Decodes the token and checks its signature against the emulator's key sets.
//	imds.parseChain(pem | pem[]) → Promise<ChainInfo>
//	    Describes certificates and verifies the chain against the emulator's root CA.
//	imds.now() → number
//	    The emulator's virtual time in Unix milliseconds (expiry countdowns use it).
//	imds.warm()
//	    Pays the shell's one-time costs now; the page calls it while it waits for keys.
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
