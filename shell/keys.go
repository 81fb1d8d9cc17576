package shell

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"runtime"
	"sync"
)

// goKeys is the default key source: Go's rsa.GenerateKey, with one key of each size asked for
// generated ahead in the background, so that the next `openssl req -newkey rsa:4096` (in this
// session or another one of the process) does not wait for prime search. RSA-4096 generation
// takes a second or more natively and varies a lot; the pool hides that after the first use.
// Under js/wasm nothing is generated ahead: the single thread belongs to the page, and the
// browser build passes a WebCrypto key source anyway.
var goKeys = &keyPool{ready: map[int]*rsa.PrivateKey{}, pending: map[int]chan struct{}{}}

type keyPool struct {
	mu      sync.Mutex
	ready   map[int]*rsa.PrivateKey
	pending map[int]chan struct{}
}

// get returns a key of the given size, waiting for one to be generated if none is ready; it
// gives up when ctx is done (the generation goes on and fills the pool).
func (p *keyPool) get(ctx context.Context, bits int) (*rsa.PrivateKey, error) {
	for {
		p.mu.Lock()
		if k := p.ready[bits]; k != nil {
			delete(p.ready, bits)
			if runtime.GOOS != "js" {
				p.startLocked(bits)
			}
			p.mu.Unlock()
			return k, nil
		}
		done := p.startLocked(bits)
		p.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// startLocked makes sure a key of that size is being generated and returns a channel closed
// when it is ready.
func (p *keyPool) startLocked(bits int) chan struct{} {
	if ch, ok := p.pending[bits]; ok {
		return ch
	}
	ch := make(chan struct{})
	p.pending[bits] = ch
	go func() {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		p.mu.Lock()
		if err == nil {
			p.ready[bits] = k
		}
		delete(p.pending, bits)
		p.mu.Unlock()
		close(ch)
	}()
	return ch
}
