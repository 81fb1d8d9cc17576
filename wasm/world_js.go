//go:build js

package main

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"syscall/js"

	"github.com/imdsplay/imdsplay/permalink"
)

// The JavaScript side of the instance panel, memory and permalinks (state.go, snapshot.go,
// package permalink); doc.go lists the API.

// registerWorldAPI adds the panel's methods to the imds object.
func registerWorldAPI(api js.Value) {
	api.Set("state", js.FuncOf(jsState))
	api.Set("configure", js.FuncOf(jsConfigure))
	api.Set("events", js.FuncOf(jsEvents))
	api.Set("onChange", js.FuncOf(jsOnChange))
	api.Set("snapshot", js.FuncOf(jsSnapshot))
	api.Set("restore", js.FuncOf(jsRestore))
	pl := js.Global().Get("Object").New()
	pl.Set("encode", js.FuncOf(jsPermalinkEncode))
	pl.Set("decode", js.FuncOf(jsPermalinkDecode))
	pl.Set("maxLength", permalink.MaxEncoded)
	pl.Set("key", permalink.FragmentKey)
	api.Set("permalink", pl)
}

// readyEngine returns the engine if start has made it, without waiting.
func readyEngine() *Engine {
	select {
	case <-page.ready:
		return page.engine
	default:
		return nil
	}
}

// toJS hands a Go value to JS as its JSON form.
func toJS(v any) js.Value {
	b, err := json.Marshal(v)
	if err != nil {
		return js.Null()
	}
	return js.Global().Get("JSON").Call("parse", string(b))
}

// jsonArg is the JSON text of a JS argument: a string is taken as JSON text already.
func jsonArg(args []js.Value) (string, error) {
	a := arg0(args)
	switch a.Type() {
	case js.TypeString:
		return a.String(), nil
	case js.TypeObject:
		return js.Global().Get("JSON").Call("stringify", a).String(), nil
	}
	return "", errors.New("want an object or its JSON text")
}

// jsState implements imds.state(): the panel's state, or null before start has finished.
func jsState(js.Value, []js.Value) any {
	e := readyEngine()
	if e == nil {
		return js.Null()
	}
	return toJS(e.State())
}

// jsEvents implements imds.events(limit?): the Activity Tracker events, newest first, at most
// limit of them when limit is a positive number.
func jsEvents(_ js.Value, args []js.Value) any {
	e := readyEngine()
	if e == nil {
		return js.Global().Get("Array").New()
	}
	limit := 0
	if a := arg0(args); a.Type() == js.TypeNumber {
		limit = a.Int()
	}
	return toJS(e.EventsNewestFirst(limit))
}

// jsConfigure implements imds.configure(patch) → Promise<State>.
func jsConfigure(_ js.Value, args []js.Value) any {
	text, argErr := jsonArg(args)
	return promise(func() (any, error) {
		if argErr != nil {
			return nil, errors.New("configure: " + argErr.Error())
		}
		p, err := ParsePatch([]byte(text))
		if err != nil {
			return nil, err
		}
		e, err := engine()
		if err != nil {
			return nil, err
		}
		return e.Configure(p)
	})
}

// jsSnapshot implements imds.snapshot() → Promise<Snapshot>.
func jsSnapshot(js.Value, []js.Value) any {
	return promise(func() (any, error) {
		e, err := engine()
		if err != nil {
			return nil, err
		}
		return e.Snapshot()
	})
}

// jsRestore implements imds.restore(snapshot | json) → Promise<State>.
func jsRestore(_ js.Value, args []js.Value) any {
	text, argErr := jsonArg(args)
	return promise(func() (any, error) {
		if argErr != nil {
			return nil, errors.New("restore: " + argErr.Error())
		}
		snap, err := ParseSnapshot([]byte(text))
		if err != nil {
			return nil, err
		}
		e, err := engine()
		if err != nil {
			return nil, err
		}
		return e.Restore(context.Background(), snap)
	})
}

// jsPermalinkEncode implements imds.permalink.encode(link) → Promise<string>.
func jsPermalinkEncode(_ js.Value, args []js.Value) any {
	text, argErr := jsonArg(args)
	return promise(func() (any, error) {
		if argErr != nil {
			return nil, errors.New("permalink: " + argErr.Error())
		}
		l, err := permalink.ParseJSON([]byte(text))
		if err != nil {
			return nil, err
		}
		return permalink.Encode(l, browserFlate{})
	})
}

// jsPermalinkDecode implements imds.permalink.decode(fragment) → Promise<Link>.
func jsPermalinkDecode(_ js.Value, args []js.Value) any {
	fragment := ""
	if a := arg0(args); a.Type() == js.TypeString {
		fragment = a.String()
	}
	return promise(func() (any, error) { return permalink.Decode(fragment, browserFlate{}) })
}

// browserFlate is permalink.Compression done by the browser's CompressionStream and
// DecompressionStream ("deflate-raw"): the same raw DEFLATE as compress/flate, without adding
// compress/flate to the wasm. Its methods wait on Promises: call them from a goroutine.
type browserFlate struct{}

// Deflate implements permalink.Compression.
func (browserFlate) Deflate(data []byte) ([]byte, error) {
	return throughStream("CompressionStream", data)
}

// Inflate implements permalink.Compression. The browser inflates all of it (a link of at most
// 8 KiB inflates to at most about 8 MiB); what is beyond limit+1 is dropped.
func (browserFlate) Inflate(data []byte, limit int) ([]byte, error) {
	b, err := throughStream("DecompressionStream", data)
	if len(b) > limit+1 {
		b = b[:limit+1]
	}
	return b, err
}

// throughStream pipes data through a new ctor("deflate-raw") and returns what comes out.
func throughStream(ctor string, data []byte) ([]byte, error) {
	c := js.Global().Get(ctor)
	if c.Type() != js.TypeFunction {
		return nil, errors.New("this browser has no " + ctor)
	}
	blob := js.Global().Get("Blob").New(js.ValueOf([]any{bytesToJS(data)}))
	stream := blob.Call("stream").Call("pipeThrough", c.New("deflate-raw"))
	buf, err := await(js.Global().Get("Response").New(stream).Call("arrayBuffer"))
	if err != nil {
		return nil, err
	}
	return bytesFromJS(buf), nil
}

// changeListeners are the JS callbacks of imds.onChange. They are registered with the engine
// once, when it exists; callbacks added before start wait for it.
var changeListeners struct {
	mu    sync.Mutex
	next  int
	cbs   map[int]js.Value
	hooks sync.Once
}

// jsOnChange implements imds.onChange(cb) → unsubscribe(). cb(state) runs as a microtask after
// every change (a run finished, configure, restore), never inside Go's call stack, so it may
// call back into imds freely.
func jsOnChange(_ js.Value, args []js.Value) any {
	cb := arg0(args)
	if cb.Type() != js.TypeFunction {
		return js.Undefined()
	}
	changeListeners.mu.Lock()
	if changeListeners.cbs == nil {
		changeListeners.cbs = map[int]js.Value{}
	}
	id := changeListeners.next
	changeListeners.next++
	changeListeners.cbs[id] = cb
	changeListeners.mu.Unlock()
	go changeListeners.hooks.Do(func() {
		if e, err := engine(); err == nil {
			e.OnChange(func() { notifyJS(e) })
		}
	})
	var unsubscribe js.Func
	unsubscribe = js.FuncOf(func(js.Value, []js.Value) any {
		changeListeners.mu.Lock()
		delete(changeListeners.cbs, id)
		changeListeners.mu.Unlock()
		unsubscribe.Release()
		return nil
	})
	return unsubscribe
}

// notifyJS queues every JS change callback with the current state.
func notifyJS(e *Engine) {
	changeListeners.mu.Lock()
	cbs := make([]js.Value, 0, len(changeListeners.cbs))
	for id := 0; id < changeListeners.next; id++ {
		if cb, ok := changeListeners.cbs[id]; ok {
			cbs = append(cbs, cb)
		}
	}
	changeListeners.mu.Unlock()
	if len(cbs) == 0 {
		return
	}
	st := toJS(e.State())
	resolved := js.Global().Get("Promise").Call("resolve", st)
	for _, cb := range cbs {
		resolved.Call("then", cb)
	}
}
