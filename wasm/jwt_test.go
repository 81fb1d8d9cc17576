package main

import (
	"crypto/rsa"
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	imdsjwt "github.com/imdsplay/imdsplay/imds/jwt"
)

// signTest signs claims with k under kid, with go-jose: tokens made independently of imds/jwt.
func signTest(t *testing.T, k *rsa.PrivateKey, kid string, claims any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k}, opts)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.Signed(sig).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyJWT(t *testing.T) {
	ks := testKeys()
	sets := []KeySet{
		{Name: "identity", Set: imdsjwt.JWKSet{Keys: []imdsjwt.JWK{imdsjwt.NewJWK(&ks[0].PublicKey, "id-1")}}},
		{Name: "IAM", Set: imdsjwt.JWKSet{Keys: []imdsjwt.JWK{imdsjwt.NewJWK(&ks[1].PublicKey, "iam-1")}}},
	}
	claims := map[string]any{
		"sub": "crn:v1:bluemix:public:is:us-south-1:a/123::instance:0717_abc",
		"iat": t0.Unix(), "exp": t0.Add(5 * time.Minute).Unix(),
	}
	tests := []struct {
		name       string
		token      string
		now        time.Time
		valid, sig bool
		set        string
		reason     string
	}{
		{"ok/identity", signTest(t, ks[0], "id-1", claims), t0, true, true, "identity", "verified with the identity key id-1"},
		{"ok/iam", signTest(t, ks[1], "iam-1", claims), t0, true, true, "IAM", "verified with the IAM key iam-1"},
		{"ok/no-kid", signTest(t, ks[1], "", claims), t0, true, true, "IAM", "verified"},
		{"fail/expired", signTest(t, ks[0], "id-1", claims), t0.Add(6 * time.Minute), false, true, "identity", "expired 1m0s ago"},
		{"fail/unknown-key", signTest(t, ks[2], "id-1", claims), t0, false, false, "", `any published key (kid "id-1")`},
		{"fail/alg-none", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", t0, false, false, "", "signature not checked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := VerifyJWT(tt.token, sets, tt.now)
			if err != nil {
				t.Fatal(err)
			}
			if info.Valid != tt.valid || info.SignatureValid != tt.sig || info.KeySet != tt.set {
				t.Errorf("got valid=%v sig=%v set=%q; want %v %v %q (%s)", info.Valid, info.SignatureValid, info.KeySet, tt.valid, tt.sig, tt.set, info.Reason)
			}
			if !strings.Contains(info.Reason, tt.reason) {
				t.Errorf("got reason %q; want it to contain %q", info.Reason, tt.reason)
			}
			if info.Claims["sub"] == nil {
				t.Errorf("got claims %v; want them decoded whatever the signature", info.Claims)
			}
		})
	}
	t.Run("ok/times", func(t *testing.T) {
		info, err := VerifyJWT(tests[0].token, sets, t0)
		if err != nil {
			t.Fatal(err)
		}
		if info.ExpiresAtMs != t0.Add(5*time.Minute).UnixMilli() || info.IssuedAtMs != t0.UnixMilli() || info.NowMs != t0.UnixMilli() {
			t.Errorf("got iat=%d exp=%d now=%d; want %d %d %d", info.IssuedAtMs, info.ExpiresAtMs, info.NowMs,
				t0.UnixMilli(), t0.Add(5*time.Minute).UnixMilli(), t0.UnixMilli())
		}
	})
	for _, bad := range []string{"", "abc", "a.b", "!!.e30.x", "e30.!!.x"} {
		t.Run("fail/malformed/"+bad, func(t *testing.T) {
			if _, err := VerifyJWT(bad, sets, t0); err == nil {
				t.Errorf("got no error for %q; want one", bad)
			} else if bad == "abc" && !errors.Is(err, errNotJWT) {
				t.Errorf("got %v; want errNotJWT", err)
			}
		})
	}
}
