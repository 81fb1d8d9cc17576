//go:build js

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"syscall/js"

	"github.com/imdsplay/imdsplay/imds"
)

// page holds the engine once start has made it.
var page struct {
	mu     sync.Mutex
	engine *Engine
	ready  chan struct{} // closed when engine is set
	err    error
}

func main() {
	page.ready = make(chan struct{})
	api := js.Global().Get("Object").New()
	api.Set("start", js.FuncOf(jsStart))
	api.Set("newSession", js.FuncOf(jsNewSession))
	api.Set("verifyJWT", js.FuncOf(jsVerifyJWT))
	api.Set("parseChain", js.FuncOf(jsParseChain))
	api.Set("now", js.FuncOf(jsNow))
	api.Set("warm", js.FuncOf(jsWarm))
	api.Set("memStats", js.FuncOf(jsMemStats))
	api.Set("cancel", js.FuncOf(jsCancel))
	registerWorldAPI(api)
	js.Global().Set("imds", api)
	// Keep the Go runtime alive: the API's callbacks run on it.
	<-make(chan struct{})
}

// jsWarm implements imds.warm(): it pays one-time costs in the background (see warm.go): the
// shell's before start, the whole engine's after. The worker calls it once it has told the page
// that the engine is ready: started from start itself, the first warm-up step would run before
// start's answer reached the page (Go hands the thread back only when every goroutine waits).
func jsWarm(js.Value, []js.Value) any {
	go func() {
		if e := readyEngine(); e != nil {
			e.warm(warmIdle)
			return
		}
		warmShell()
	}()
	return nil
}

// jsStart implements imds.start({keys}): it makes the engine once, whoever calls it.
func jsStart(_ js.Value, args []js.Value) any {
	var keysArg js.Value
	if len(args) > 0 && args[0].Type() == js.TypeObject {
		keysArg = args[0].Get("keys")
	}
	return promise(func() (any, error) {
		page.mu.Lock()
		defer page.mu.Unlock()
		if page.engine == nil && page.err == nil {
			page.engine, page.err = NewEngine(EngineConfig{Stored: keysFromJS(keysArg), NewKey: webCryptoRSAKey, Signer: webCryptoSigner()})
			close(page.ready)
		}
		if page.err != nil {
			return nil, page.err
		}
		// The state and the clock come with the answer: asked for separately, each call could
		// wait for a warm-up step (a callback into Go runs whatever goroutine is due first).
		return map[string]any{"version": version(), "state": page.engine.State(), "now": page.engine.Now().UnixMilli()}, nil
	})
}

// engine waits for start to finish and returns the engine. Only call it from a goroutine.
func engine() (*Engine, error) {
	<-page.ready
	return page.engine, page.err
}

// keysFromJS reads {identity, iam, caRoot, caIntermediate}, each PKCS #8 DER in an ArrayBuffer
// or a Uint8Array, without parsing them (the engine does, on each key's first use). Missing or
// undefined entries stay nil.
func keysFromJS(v js.Value) StoredKeys {
	var k StoredKeys
	if v.Type() != js.TypeObject {
		return k
	}
	for i, name := range keyNames {
		k[i] = bytesFromJS(v.Get(name))
	}
	return k
}

// jsNewSession implements imds.newSession({on, hops?, group?}) → {run(script, id?) →
// Promise<RunResult>}; a run given an id (a string) can be stopped with imds.cancel(id). The session object is returned at once; its runs wait for start. Calls
// with the same place, hops and group share one shell. An unknown place or bad hops reject
// each run: a panic here would stop the Go program, and the page with it.
func jsNewSession(_ js.Value, args []js.Value) any {
	key := SessionKey{Place: imds.OnInstance}
	if len(args) > 0 && args[0].Type() == js.TypeObject {
		o := args[0]
		if on := o.Get("on"); on.Type() == js.TypeString {
			key.Place = imds.Place(on.String())
		}
		if h := o.Get("hops"); h.Type() == js.TypeNumber {
			key.Hops = h.Int()
		}
		if g := o.Get("group"); g.Type() == js.TypeString {
			key.Group = g.String()
		}
	}
	sessionObjects.Lock()
	defer sessionObjects.Unlock()
	if s, ok := sessionObjects.m[key]; ok {
		return s
	}
	s := js.Global().Get("Object").New()
	s.Set("on", string(key.Place))
	s.Set("run", js.FuncOf(func(_ js.Value, args []js.Value) any {
		script, id := "", ""
		if len(args) > 0 {
			script = args[0].String()
		}
		if len(args) > 1 && args[1].Type() == js.TypeString {
			id = args[1].String()
		}
		ctx, done := runs.start(id)
		return promise(func() (any, error) {
			defer done()
			e, err := engine()
			if err != nil {
				return nil, err
			}
			sess, err := e.SessionFor(key)
			if err != nil {
				return nil, err
			}
			return sess.Run(ctx, script)
		})
	}))
	if sessionObjects.m == nil {
		sessionObjects.m = make(map[SessionKey]js.Value)
	}
	sessionObjects.m[key] = s
	return s
}

// sessionObjects holds the object newSession returned for each key, so that asking again gives
// the same object: its run is a js.Func, which lives until released, and pages ask for a
// session per Run (10,000 runs once kept 1 MB of them). The engine keeps one shell per key
// anyway, so the objects are as many as the sessions.
var sessionObjects struct {
	sync.Mutex
	m map[SessionKey]js.Value
}

// runs holds the cancel function of every run started with an id (session.run(script, id)),
// so that imds.cancel(id) can stop it: the page's Stop button.
var runs runsRegistry

// runsRegistry maps run ids to their cancel functions.
type runsRegistry struct {
	sync.Mutex
	m map[string]context.CancelFunc
}

// start gives a run its context; with an id, imds.cancel(id) cancels it until done is called.
func (r *runsRegistry) start(id string) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	if id == "" {
		return ctx, cancel
	}
	r.Lock()
	if r.m == nil {
		r.m = make(map[string]context.CancelFunc)
	}
	r.m[id] = cancel
	r.Unlock()
	return ctx, func() {
		r.Lock()
		delete(r.m, id)
		r.Unlock()
		cancel()
	}
}

// jsCancel implements imds.cancel(id): the run started with that id stops as Ctrl-C stops a
// command (exit 130) at its next checkpoint, which the shell reaches within some 50 ms even in a
// busy loop (see shell's Limits). It only cancels a context, so it may run on the event loop.
// An unknown or finished id is ignored.
func jsCancel(_ js.Value, args []js.Value) any {
	a := arg0(args)
	if a.Type() != js.TypeString {
		return nil
	}
	runs.Lock()
	cancel := runs.m[a.String()]
	runs.Unlock()
	if cancel != nil {
		cancel()
	}
	return nil
}

// jsVerifyJWT implements imds.verifyJWT(token).
func jsVerifyJWT(_ js.Value, args []js.Value) any {
	token := ""
	if len(args) > 0 {
		token = args[0].String()
	}
	return promise(func() (any, error) {
		e, err := engine()
		if err != nil {
			return nil, err
		}
		return e.VerifyJWT(token)
	})
}

// jsParseChain implements imds.parseChain(pem | pem[]).
func jsParseChain(_ js.Value, args []js.Value) any {
	var pems []string
	if len(args) > 0 {
		a := args[0]
		if a.InstanceOf(js.Global().Get("Array")) {
			for i := range a.Length() {
				pems = append(pems, a.Index(i).String())
			}
		} else {
			pems = []string{a.String()}
		}
	}
	return promise(func() (any, error) {
		e, err := engine()
		if err != nil {
			return nil, err
		}
		return e.ParseChain(pems)
	})
}

// jsNow implements imds.now(): the emulator's time in Unix milliseconds, or the real time
// before start. It only reads a clock, so it may run on the event loop.
func jsNow(js.Value, []js.Value) any {
	select {
	case <-page.ready:
		if page.engine != nil {
			return float64(page.engine.Now().UnixMilli())
		}
	default:
	}
	return js.Global().Get("Date").Call("now")
}

// promise returns a JS Promise settled by f, which runs in its own goroutine. f may wait for JS
// Promises (WebCrypto, for openssl's keys): blocked, it hands the thread back to the event loop,
// which a js.FuncOf callback waiting itself could never do. CPU work still holds the worker's
// one thread until it ends (the page's stays free); that is wasm, and why warm-ups are
// scheduled with care (warm.go). A result is handed to JS as the JSON form of the Go value; an
// error rejects with an Error.
func promise(f func() (any, error)) js.Value {
	var handler js.Func
	handler = js.FuncOf(func(_ js.Value, args []js.Value) any {
		resolve, reject := args[0], args[1]
		handler.Release()
		go func() {
			v, err := func() (v any, err error) {
				defer func() {
					if r := recover(); r != nil {
						err = fmt.Errorf("internal error: %v", r)
					}
				}()
				return f()
			}()
			if err != nil {
				reject.Invoke(js.Global().Get("Error").New(err.Error()))
				return
			}
			b, err := json.Marshal(v)
			if err != nil {
				reject.Invoke(js.Global().Get("Error").New(err.Error()))
				return
			}
			resolve.Invoke(js.Global().Get("JSON").Call("parse", string(b)))
		}()
		return nil
	})
	return js.Global().Get("Promise").New(handler)
}

// bytesToJS copies b into a new Uint8Array.
func bytesToJS(b []byte) js.Value {
	u8 := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u8, b)
	return u8
}

// bytesFromJS copies an ArrayBuffer or a typed array into Go; other values give nil.
func bytesFromJS(v js.Value) []byte {
	if v.Type() != js.TypeObject {
		return nil
	}
	u8 := js.Global().Get("Uint8Array")
	switch {
	case v.InstanceOf(js.Global().Get("ArrayBuffer")):
		v = u8.New(v)
	case v.InstanceOf(u8):
	default:
		return nil
	}
	b := make([]byte, v.Get("byteLength").Int())
	js.CopyBytesToGo(b, v)
	return b
}

// await waits for a JS Promise from a goroutine (never from a js.FuncOf callback itself, which
// would deadlock the event loop the Promise needs).
func await(p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	onOK := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{v: arg0(args)}
		return nil
	})
	onErr := js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := "promise rejected"
		if a := arg0(args); a.Type() != js.TypeUndefined {
			msg = a.Call("toString").String()
		}
		ch <- result{err: errors.New(msg)}
		return nil
	})
	defer onOK.Release()
	defer onErr.Release()
	p.Call("then", onOK, onErr)
	r := <-ch
	return r.v, r.err
}

// arg0 is the first argument, or undefined.
func arg0(args []js.Value) js.Value {
	if len(args) == 0 {
		return js.Undefined()
	}
	return args[0]
}

// version names this build: the VCS revision when the build recorded one.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "+dirty"
	}
	return rev
}
