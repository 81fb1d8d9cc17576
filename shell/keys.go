package shell

import (
	"context"
	"crypto/rsa"
	"runtime"
	"sync"
)

// goKeys is the default key source: keys generated in Go (see generateKey), bound to the run
// that asks for them, so that cancelling the run stops the prime search within one candidate
// test. The sizes of the documented flows (pooled) have one key generated ahead in the
// background natively, so that the next `openssl req -newkey rsa:4096` of the process does
// not wait: that refill is the only key work not bound to a run, and it is one key of each
// of those sizes at most. Under js/wasm nothing is generated ahead: the single thread belongs
// to the page, and the browser build passes a WebCrypto key source anyway.
var goKeys = &keyPool{ready: map[int]*rsa.PrivateKey{}, pending: map[int]*generation{}}

// pooled reports whether keys of that size are generated ahead.
func pooled(bits int) bool { return runtime.GOOS != "js" && (bits == 2048 || bits == 4096) }

type keyPool struct {
	mu      sync.Mutex
	ready   map[int]*rsa.PrivateKey
	pending map[int]*generation
}

// generation is one key being generated for the pool: by the runs waiting for it, cancelled
// when the last of them gives up, or ahead of need (refill), never cancelled.
type generation struct {
	done    chan struct{}
	cancel  context.CancelFunc
	waiters int
	refill  bool
}

// get returns a key of the given size. It generates a key of a size that is not pooled itself,
// under ctx; for a pooled size it takes the ready key, or waits for one.
func (p *keyPool) get(ctx context.Context, bits int) (*rsa.PrivateKey, error) {
	if !pooled(bits) {
		return generateKey(ctx, bits)
	}
	for {
		p.mu.Lock()
		if k := p.ready[bits]; k != nil {
			delete(p.ready, bits)
			p.startLocked(bits, true)
			p.mu.Unlock()
			return k, nil
		}
		g := p.startLocked(bits, false)
		g.waiters++
		p.mu.Unlock()
		select {
		case <-g.done:
			p.mu.Lock()
			g.waiters--
			p.mu.Unlock()
		case <-ctx.Done():
			p.mu.Lock()
			g.waiters--
			if g.waiters == 0 && !g.refill {
				g.cancel()
			}
			p.mu.Unlock()
			return nil, ctx.Err()
		}
	}
}

// startLocked makes sure a key of that size is being generated and returns its generation.
func (p *keyPool) startLocked(bits int, refill bool) *generation {
	if g, ok := p.pending[bits]; ok {
		g.refill = g.refill || refill
		return g
	}
	ctx, cancel := context.WithCancel(context.Background())
	g := &generation{done: make(chan struct{}), cancel: cancel, refill: refill}
	p.pending[bits] = g
	go func() {
		defer cancel()
		k, err := generateKey(ctx, bits)
		p.mu.Lock()
		if err == nil {
			p.ready[bits] = k
		}
		delete(p.pending, bits)
		p.mu.Unlock()
		close(g.done)
	}()
	return g
}
