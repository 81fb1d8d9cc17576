package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
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

// TestPublicKeyOf checks the public half read from stored keys against crypto/x509's full
// parse, and that what is not a PKCS #8 RSA key is refused.
func TestPublicKeyOf(t *testing.T) {
	stored := storedTestKeys(t)
	k := fixture.Keys()
	for i, key := range []*rsa.PrivateKey{k.Identity, k.IAM, k.CARoot, k.CAIntermediate} {
		pub, err := publicKeyOf(stored[i])
		if err != nil {
			t.Fatalf("%s: %v", keyNames[i], err)
		}
		if !pub.Equal(&key.PublicKey) {
			t.Errorf("%s: got another public key than the private key's", keyNames[i])
		}
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	for name, der := range map[string][]byte{
		"empty":          nil,
		"not DER":        []byte("not a key"),
		"truncated":      stored[0][:len(stored[0])/2],
		"trailing bytes": append(append([]byte{}, stored[0]...), 0),
		"PKCS #1":        x509.MarshalPKCS1PrivateKey(k.Identity),
		"an EC key":      ecDER,
	} {
		if pub, err := publicKeyOf(der); err == nil {
			t.Errorf("%s: got %v; want an error", name, pub)
		}
	}
}

// TestEngineTokenSigner checks that an engine with a Signer signs its tokens with it and never
// parses the identity or IAM private key: the tokens are the bytes Go's own signing makes, each
// key is prepared once however many tokens and emulators (the warm-up's too) use it, and the
// CA still works from the stored keys.
func TestEngineTokenSigner(t *testing.T) {
	stored := storedTestKeys(t)
	var mu sync.Mutex
	prepared := map[string]int{}
	signer := func(der []byte) (func([]byte) ([]byte, error), error) {
		key, err := parsePKCS8RSA(der)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		prepared[string(der)]++
		mu.Unlock()
		return jwt.RS256(key), nil
	}
	withSigner, err := NewEngine(EngineConfig{Stored: stored, Signer: signer, Clock: vclock.Fixed(t0)})
	if err != nil {
		t.Fatal(err)
	}
	inGo, err := NewEngine(EngineConfig{Stored: stored, Clock: vclock.Fixed(t0)})
	if err != nil {
		t.Fatal(err)
	}
	tok := identityToken(t, withSigner)
	if want := identityToken(t, inGo); tok != want {
		t.Fatalf("token signed by the Signer:\n%s\nwant Go's:\n%s", tok, want)
	}
	identityToken(t, withSigner)
	withSigner.warm(0)
	if _, err := withSigner.Emulator().CA(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	// The warm-up's workstation session logs in with an IAM token: that key is prepared too.
	for role, der := range map[imds.KeyRole][]byte{imds.KeyIdentity: stored[imds.KeyIdentity], imds.KeyIAM: stored[imds.KeyIAM]} {
		if n := prepared[string(der)]; n != 1 {
			t.Errorf("Signer prepared the %s key %d times; want once", keyNames[role], n)
		}
	}
	if len(prepared) != 2 {
		t.Errorf("Signer prepared %d keys; want the identity and IAM keys only", len(prepared))
	}
}

// TestEngineTokenSignerError checks that a key the Signer cannot prepare fails the token
// request as an internal error naming the key, not the engine's start.
func TestEngineTokenSignerError(t *testing.T) {
	e, err := NewEngine(EngineConfig{
		Stored: storedTestKeys(t),
		Signer: func([]byte) (func([]byte) ([]byte, error), error) { return nil, errors.New("refused") },
		Clock:  vclock.Fixed(t0),
	})
	if err != nil {
		t.Fatalf("NewEngine: %v; want the key left until it is needed", err)
	}
	req := httptest.NewRequest(http.MethodPut, "http://"+imds.MetadataHost+"/instance_identity/v1/token?version=2025-04-22", strings.NewReader(`{}`))
	req.Header.Set("Metadata-Flavor", "ibm")
	resp, err := e.Emulator().Transport(imds.Origin{Place: imds.OnInstance}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("token with a key the Signer refuses: %d; want 500", resp.StatusCode)
	}
}
