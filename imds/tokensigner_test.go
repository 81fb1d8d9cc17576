package imds_test

import (
	"crypto/rsa"
	"errors"
	"reflect"
	"sync"
	"testing"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/jwt"
	"github.com/imdsplay/imdsplay/internal/fixture"
)

// TestTokenSigner checks that Config.TokenSigner stands for the identity and IAM keys: the
// tokens it signs are the bytes Go's own signing makes (PKCS #1 v1.5 is deterministic), they
// verify where the emulator checks tokens, the key sets carry its public keys, each role is
// asked for once, and neither private key is loaded.
func TestTokenSigner(t *testing.T) {
	all := fixture.Keys()
	private := [...]*rsa.PrivateKey{all.Identity, all.IAM, all.CARoot, all.CAIntermediate}
	var mu sync.Mutex
	asked := map[imds.KeyRole]int{}
	signed := map[imds.KeyRole]int{}
	signer, _ := fixture.NewEmulator(t, func(c *imds.Config) {
		c.Keys = &imds.Keys{CARoot: all.CARoot}
		c.LoadKey = func(r imds.KeyRole) (*rsa.PrivateKey, error) {
			if r == imds.KeyIdentity || r == imds.KeyIAM {
				t.Errorf("LoadKey asked for token key %d; want TokenSigner's", r)
			}
			return private[r], nil
		}
		c.TokenSigner = func(r imds.KeyRole) (*rsa.PublicKey, func([]byte) ([]byte, error), error) {
			mu.Lock()
			defer mu.Unlock()
			asked[r]++
			sign := jwt.RS256(private[r])
			return &private[r].PublicKey, func(input []byte) ([]byte, error) {
				mu.Lock()
				signed[r]++
				mu.Unlock()
				return sign(input)
			}, nil
		}
	})
	own, _ := fixture.NewEmulator(t) // the same keys, clock and randomness, all in Go

	for _, e := range []*imds.Emulator{signer, own} {
		if _, err := e.CA(); err != nil { // the CA's keys still come from Keys and LoadKey
			t.Fatal(err)
		}
	}
	tok, want := token(t, signer), token(t, own)
	if tok != want {
		t.Fatalf("identity token signed by TokenSigner:\n%s\nwant Go's own signature:\n%s", tok, want)
	}
	for _, c := range []struct {
		e   *imds.Emulator
		tok string
	}{{signer, tok}, {own, want}} { // each call draws from the emulator's randomness (its trace)
		if status, m := call(t, c.e, "GET", md+"/metadata/v1/instance?version=2025-08-26", "", "Authorization", "Bearer "+c.tok); status != 200 {
			t.Fatalf("metadata read with the token: %d %v", status, m)
		}
	}
	iam := func(e *imds.Emulator, identity string) string {
		t.Helper()
		status, m := call(t, e, "POST", md+"/identity/v1/iam_tokens?version=2025-08-26", "", "Authorization", "Bearer "+identity)
		s, _ := m["access_token"].(string)
		if status != 200 || s == "" {
			t.Fatalf("IAM token: %d %v", status, m)
		}
		return s
	}
	profile, wantProfile := iam(signer, tok), iam(own, want)
	if profile != wantProfile {
		t.Fatalf("IAM token signed by TokenSigner:\n%s\nwant Go's own signature:\n%s", profile, wantProfile)
	}
	if _, err := signer.VerifyIAMToken(profile); err != nil {
		t.Errorf("the IAM token does not verify: %v", err)
	}
	if _, err := signer.VerifyIdentityToken(tok); err != nil {
		t.Errorf("the identity token does not verify: %v", err)
	}
	for _, path := range []string{md + "/_emulator/identity/keys", "https://iam.cloud.ibm.com/identity/keys"} {
		_, got := call(t, signer, "GET", path, "")
		_, w := call(t, own, "GET", path, "")
		if len(got) == 0 || !reflect.DeepEqual(got, w) {
			t.Errorf("GET %s: %v; want %v", path, got, w)
		}
	}
	token(t, signer)
	mu.Lock()
	defer mu.Unlock()
	if asked[imds.KeyIdentity] != 1 || asked[imds.KeyIAM] != 1 || len(asked) != 2 {
		t.Errorf("TokenSigner asked for %v; want each token key once", asked)
	}
	if signed[imds.KeyIdentity] != 2 || signed[imds.KeyIAM] != 1 {
		t.Errorf("signatures made: %v; want 2 identity, 1 IAM", signed)
	}
}

// TestTokenSignerKeysFirst checks that a token key given in Keys is used rather than
// TokenSigner, which is then never asked for it.
func TestTokenSignerKeysFirst(t *testing.T) {
	all := fixture.Keys()
	e, _ := fixture.NewEmulator(t, func(c *imds.Config) {
		c.Keys = all
		c.TokenSigner = func(r imds.KeyRole) (*rsa.PublicKey, func([]byte) ([]byte, error), error) {
			t.Errorf("TokenSigner asked for key %d, which Keys has", r)
			return nil, nil, errors.New("unexpected")
		}
	})
	token(t, e)
}

// TestTokenSignerError checks that a signer that fails, when asked for the key or when
// signing, is an internal error of the request that needed it, not a panic.
func TestTokenSignerError(t *testing.T) {
	for name, fn := range map[string]func(imds.KeyRole) (*rsa.PublicKey, func([]byte) ([]byte, error), error){
		"no key": func(imds.KeyRole) (*rsa.PublicKey, func([]byte) ([]byte, error), error) {
			return nil, nil, errors.New("WebCrypto refused the key")
		},
		"nil key": func(imds.KeyRole) (*rsa.PublicKey, func([]byte) ([]byte, error), error) { return nil, nil, nil },
		"sign fails": func(r imds.KeyRole) (*rsa.PublicKey, func([]byte) ([]byte, error), error) {
			return &fixture.Keys().Identity.PublicKey, func([]byte) ([]byte, error) { return nil, errors.New("operation failed") }, nil
		},
	} {
		t.Run(name, func(t *testing.T) {
			e, _ := fixture.NewEmulator(t, func(c *imds.Config) {
				c.Keys = nil
				c.TokenSigner = fn
			})
			status, m := call(t, e, "PUT", md+"/identity/v1/token?version=2025-08-26", `{}`, "Metadata-Flavor", "ibm")
			if status != 500 || errorCode(t, status, m) != string(imds.CodeServiceError) {
				t.Fatalf("token with a failing signer: %d %v; want 500 %s", status, m, imds.CodeServiceError)
			}
		})
	}
}
