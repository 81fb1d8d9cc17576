//go:build js

package shell

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
)

// generateKey is rsa.GenerateKey in the browser, where the page passes a WebCrypto key source
// and this one is only a fallback: a command stuck in it is ended with the engine's worker.
// The cancellable search of the native build would cost the wasm math/big's prime tests.
func generateKey(_ context.Context, bits int) (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, bits)
}
