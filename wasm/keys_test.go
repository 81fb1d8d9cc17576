package main

import (
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"strings"
	"testing"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/jwt"
	"github.com/imdsplay/imdsplay/imds/vclock"
	"github.com/imdsplay/imdsplay/internal/fixture"
)

// storedTestKeys are the fixture's keys as the page hands them over: PKCS #8 DER.
func storedTestKeys(t testing.TB) StoredKeys {
	t.Helper()
	k := fixture.Keys()
	var s StoredKeys
	for i, key := range []*rsa.PrivateKey{k.Identity, k.IAM, k.CARoot, k.CAIntermediate} {
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		s[i] = der
	}
	return s
}

// TestEngineStoredKeysParsedOnUse checks that NewEngine parses no stored key: it succeeds with
// a corrupt one, the emulator signs with the good ones, and only what needs the corrupt key
// fails, as an internal error. Parsing the four keys up front was most of the engine's start
// inside wasm.
func TestEngineStoredKeysParsedOnUse(t *testing.T) {
	stored := storedTestKeys(t)
	stored[imds.KeyCARoot] = []byte("not a key")
	e, err := NewEngine(EngineConfig{
		Stored: stored,
		NewKey: func(int) (*rsa.PrivateKey, error) { return nil, errors.New("no key should be made") },
		Clock:  vclock.Fixed(t0),
	})
	if err != nil {
		t.Fatalf("NewEngine with a corrupt stored key: %v; want the key left until it is needed", err)
	}
	tok, err := jwt.Parse(identityToken(t, e))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tok.Verify(&fixture.Keys().Identity.PublicKey); err != nil {
		t.Fatalf("the token is not signed by the stored identity key: %v", err)
	}
	_, err = e.Emulator().CA()
	named := false
	for c := err; c != nil; c = errors.Unwrap(c) {
		named = named || strings.Contains(c.Error(), "key caRoot")
	}
	if imds.ErrorCode(err) != imds.CodeServiceError || !named {
		t.Fatalf("the CA with a corrupt stored root key: %v; want an internal error naming the key", err)
	}
}

// BenchmarkNewEngine measures creating the page's engine from stored keys, what the worker's
// start call does (wasm/main_js.go). Run it inside wasm with
// GOOS=js GOARCH=wasm go test -run '^$' -bench NewEngine ./wasm/ (go_js_wasm_exec on PATH).
func BenchmarkNewEngine(b *testing.B) {
	stored := storedTestKeys(b)
	for b.Loop() {
		e, err := NewEngine(EngineConfig{Stored: stored, Clock: vclock.Fixed(t0)})
		if err != nil {
			b.Fatal(err)
		}
		_ = e.State()
	}
}
