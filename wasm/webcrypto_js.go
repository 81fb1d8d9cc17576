//go:build js

package main

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"sync"
	"syscall/js"
)

// webCryptoRSAKey makes an RSA key with the browser's crypto.subtle, which generates a 4096-bit
// key in under a second where Go in wasm takes up to a quarter of a minute. It waits on
// Promises, so only call it from a goroutine. Without WebCrypto (an insecure context) it falls
// back to crypto/rsa.
func webCryptoRSAKey(bits int) (*rsa.PrivateKey, error) {
	subtle := webCrypto()
	if subtle.IsUndefined() {
		return goRSAKey(bits)
	}
	alg := js.Global().Get("Object").New()
	alg.Set("name", "RSASSA-PKCS1-v1_5")
	alg.Set("modulusLength", bits)
	alg.Set("publicExponent", js.Global().Get("Uint8Array").New(js.ValueOf([]any{1, 0, 1})))
	alg.Set("hash", "SHA-256")
	pair, err := await(subtle.Call("generateKey", alg, true, js.ValueOf([]any{"sign", "verify"})))
	if err != nil {
		return nil, err
	}
	der, err := await(subtle.Call("exportKey", "pkcs8", pair.Get("privateKey")))
	if err != nil {
		return nil, err
	}
	b := bytesFromJS(der)
	if b == nil {
		return nil, errors.New("WebCrypto exported no key")
	}
	return parsePKCS8RSA(b)
}

// webCryptoSigner returns a SignerFunc that imports a key into the browser's crypto.subtle and
// signs with RSASSA-PKCS1-v1_5 over SHA-256 (RS256), the same bytes crypto/rsa makes, in
// native code: in wasm, parsing and checking the key and a 2048-bit signature take tens of
// milliseconds on a token's first call. The key is imported on its first signature. Nil
// without WebCrypto (an insecure context): Go signs then.
func webCryptoSigner() SignerFunc {
	subtle := webCrypto()
	if subtle.IsUndefined() {
		return nil
	}
	return func(der []byte) (func([]byte) ([]byte, error), error) {
		alg := js.Global().Get("Object").New()
		alg.Set("name", "RSASSA-PKCS1-v1_5")
		alg.Set("hash", "SHA-256")
		key := sync.OnceValues(func() (js.Value, error) {
			return await(subtle.Call("importKey", "pkcs8", bytesToJS(der), alg, false, js.ValueOf([]any{"sign"})))
		})
		return func(input []byte) ([]byte, error) {
			k, err := key()
			if err != nil {
				return nil, fmt.Errorf("WebCrypto refused the key: %w", err)
			}
			sig, err := await(subtle.Call("sign", "RSASSA-PKCS1-v1_5", k, bytesToJS(input)))
			if err != nil {
				return nil, fmt.Errorf("WebCrypto could not sign: %w", err)
			}
			b := bytesFromJS(sig)
			if b == nil {
				return nil, errors.New("WebCrypto returned no signature")
			}
			return b, nil
		}, nil
	}
}

// webCrypto is crypto.subtle, or undefined outside a secure context.
func webCrypto() js.Value {
	c := js.Global().Get("crypto")
	if c.Type() != js.TypeObject {
		return js.Undefined()
	}
	if s := c.Get("subtle"); s.Type() == js.TypeObject {
		return s
	}
	return js.Undefined()
}
