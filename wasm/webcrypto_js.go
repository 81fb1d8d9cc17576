//go:build js

package main

import (
	"crypto/rsa"
	"errors"
	"syscall/js"
)

// webCryptoRSAKey makes an RSA key with the browser's crypto.subtle, which generates a 4096-bit
// key in under a second where Go in wasm takes up to a quarter of a minute. It waits on
// Promises, so only call it from a goroutine. Without WebCrypto (an insecure context) it falls
// back to crypto/rsa.
func webCryptoRSAKey(bits int) (*rsa.PrivateKey, error) {
	subtle := js.Global().Get("crypto")
	if subtle.Type() == js.TypeObject {
		subtle = subtle.Get("subtle")
	}
	if subtle.Type() != js.TypeObject {
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
