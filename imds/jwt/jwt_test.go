package jwt_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	"github.com/imdsplay/imdsplay/imds/jwt"
	"github.com/imdsplay/imdsplay/internal/fixture"
	"github.com/imdsplay/imdsplay/internal/testkeys"
)

// t0 is the fixture's time to the second, as NumericDate carries it.
var t0 = fixture.Time().Truncate(time.Second)

// claims is a token body like the emulator's: registered claims plus a private one.
type claims struct {
	jwt.Claims
	Nonce string `json:"nonce,omitempty"`
}

func sample() claims {
	return claims{Claims: jwt.Claims{
		Issuer: "VSI-CR_us-south", Subject: "crn:v1:instance", Audience: jwt.Audience{"a", "b"},
		IssuedAt: jwt.NewNumericDate(t0), Expiry: jwt.NewNumericDate(t0.Add(5 * time.Minute)),
	}, Nonce: "n-1"}
}

func keys(t testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey) {
	t.Helper()
	k := testkeys.Get()
	return k.Identity, k.IAM
}

// goJoseSign signs with go-jose: a token made independently of this package.
func goJoseSign(t testing.TB, alg jose.SignatureAlgorithm, key any, kid string, body any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := josejwt.Signed(s).Claims(body).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func seg(v string) string { return base64.RawURLEncoding.EncodeToString([]byte(v)) }

func TestSignIsWhatGoJoseVerifies(t *testing.T) {
	key, _ := keys(t)
	tok, err := jwt.Sign(key, "kid-1", sample())
	if err != nil {
		t.Fatal(err)
	}
	if h := strings.Split(tok, ".")[0]; h != seg(`{"alg":"RS256","kid":"kid-1","typ":"JWT"}`) {
		t.Errorf("header: got %s", h)
	}
	parsed, err := josejwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var std josejwt.Claims
	var got claims
	if err := parsed.Claims(&key.PublicKey, &std, &got); err != nil {
		t.Fatalf("go-jose does not verify the token: %v", err)
	}
	if err := std.ValidateWithLeeway(josejwt.Expected{Issuer: "VSI-CR_us-south", Time: t0}, 0); err != nil {
		t.Fatal(err)
	}
	if got.Nonce != "n-1" || len(got.Audience) != 2 || !got.Expiry.Time().Equal(t0.Add(5*time.Minute)) {
		t.Errorf("claims: got %+v", got)
	}
	// The same claims give the same token: PKCS #1 v1.5 signatures are deterministic.
	again, _ := jwt.Sign(key, "kid-1", sample())
	if again != tok {
		t.Error("two signatures of the same claims differ")
	}
}

func TestParseAcceptsGoJoseTokens(t *testing.T) {
	key, _ := keys(t)
	for _, kid := range []string{"kid-1", ""} {
		tok := goJoseSign(t, jose.RS256, key, kid, sample())
		parsed, err := jwt.Parse(tok)
		if err != nil {
			t.Fatalf("kid %q: %v", kid, err)
		}
		if parsed.Header.Kid != kid || parsed.Header.Typ != "JWT" {
			t.Errorf("header: got %+v", parsed.Header)
		}
		var got claims
		if err := parsed.Claims(&key.PublicKey, &got); err != nil {
			t.Fatal(err)
		}
		if got.Subject != "crn:v1:instance" || got.Nonce != "n-1" {
			t.Errorf("claims: got %+v", got)
		}
	}
}

func TestParseRejects(t *testing.T) {
	key, other := keys(t)
	good, err := jwt.Sign(key, "kid-1", sample())
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	body := parts[1]
	// The signature of 256 bytes ends in a character with 4 unused bits: setting one gives a
	// string that lenient decoders read as the same bytes.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, parts[2][len(parts[2])-1])
	sloppy := parts[2][:len(parts[2])-1] + alphabet[last+1:last+2]
	if lenient, _ := base64.RawURLEncoding.DecodeString(sloppy); string(lenient) != string(mustDecode(t, parts[2])) {
		t.Fatal("the sloppy signature does not decode to the same bytes")
	}
	withHeader := func(h string) string { return seg(h) + "." + body + "." + parts[2] }
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"fail/empty", "", jwt.ErrMalformed},
		{"fail/two-segments", parts[0] + "." + body, jwt.ErrMalformed},
		{"fail/four-segments", good + ".x", jwt.ErrMalformed},
		{"fail/padded", good + "==", jwt.ErrMalformed},
		{"fail/padded-header", parts[0] + "=." + body + "." + parts[2], jwt.ErrMalformed},
		{"fail/line-break", parts[0] + "." + body[:10] + "\r\n" + body[10:] + "." + parts[2], jwt.ErrMalformed},
		{"fail/space", " " + good, jwt.ErrMalformed},
		{"fail/std-base64", strings.NewReplacer("-", "+", "_", "/").Replace(good) + "+/", jwt.ErrMalformed},
		{"fail/unused-bits", parts[0] + "." + body + "." + sloppy, jwt.ErrMalformed},
		{"fail/alg-none", seg(`{"alg":"none"}`) + "." + body + ".", jwt.ErrAlgorithm},
		{"fail/alg-lowercase", withHeader(`{"alg":"rs256","kid":"kid-1"}`), jwt.ErrAlgorithm},
		{"fail/alg-missing", withHeader(`{"kid":"kid-1"}`), jwt.ErrAlgorithm},
		{"fail/alg-hs256", goJoseSign(t, jose.HS256, key.N.Bytes(), "kid-1", sample()), jwt.ErrAlgorithm},
		{"fail/alg-ps256", goJoseSign(t, jose.PS256, key, "kid-1", sample()), jwt.ErrAlgorithm},
		{"fail/crit", withHeader(`{"alg":"RS256","crit":["exp"]}`), jwt.ErrMalformed},
		{"fail/header-array", withHeader(`["alg","RS256"]`), jwt.ErrMalformed},
		{"fail/header-string", withHeader(`"RS256"`), jwt.ErrMalformed},
		{"fail/header-trailing", withHeader(`{"alg":"RS256"}{}`), jwt.ErrMalformed},
		{"fail/header-not-json", withHeader(`alg=RS256`), jwt.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jwt.Parse(tt.token)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v; want %v", err, tt.want)
			}
		})
	}

	t.Run("fail/another-key", func(t *testing.T) {
		parsed, err := jwt.Parse(goJoseSign(t, jose.RS256, other, "kid-1", sample()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parsed.Verify(&key.PublicKey); !errors.Is(err, jwt.ErrSignature) {
			t.Fatalf("got %v; want ErrSignature", err)
		}
	})
	t.Run("fail/key-in-header", func(t *testing.T) {
		// A header that carries its own key (jwk) changes nothing: keys come from the caller.
		jwk, _ := json.Marshal(jwt.NewJWK(&other.PublicKey, "kid-1"))
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: other},
			(&jose.SignerOptions{EmbedJWK: true}).WithHeader("kid", "kid-1"))
		if err != nil {
			t.Fatal(err)
		}
		tok, _ := josejwt.Signed(signer).Claims(sample()).Serialize()
		if !strings.Contains(string(mustDecode(t, strings.Split(tok, ".")[0])), `"jwk"`) || len(jwk) == 0 {
			t.Fatal("the forged token carries no jwk header")
		}
		parsed, err := jwt.Parse(tok)
		if err != nil {
			t.Fatal(err)
		}
		if err := parsed.Claims(&key.PublicKey, new(claims)); !errors.Is(err, jwt.ErrSignature) {
			t.Fatalf("got %v; want ErrSignature", err)
		}
	})
	t.Run("fail/truncated-signature", func(t *testing.T) {
		short := base64.RawURLEncoding.EncodeToString(mustDecode(t, parts[2])[:255])
		parsed, err := jwt.Parse(parts[0] + "." + body + "." + short)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parsed.Verify(&key.PublicKey); !errors.Is(err, jwt.ErrSignature) {
			t.Fatalf("got %v; want ErrSignature", err)
		}
	})
	t.Run("fail/payload-not-object", func(t *testing.T) {
		tok, err := jwt.Sign(key, "", []int{1, 2})
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := jwt.Parse(tok)
		if err != nil {
			t.Fatal(err)
		}
		if err := parsed.Claims(&key.PublicKey, new(claims)); !errors.Is(err, jwt.ErrMalformed) {
			t.Fatalf("got %v; want ErrMalformed", err)
		}
	})
	t.Run("fail/nil-key", func(t *testing.T) {
		parsed, _ := jwt.Parse(good)
		if _, err := parsed.Verify(nil); !errors.Is(err, jwt.ErrSignature) {
			t.Fatalf("got %v; want ErrSignature", err)
		}
	})
}

func mustDecode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestValidate(t *testing.T) {
	c := sample().Claims
	nbf := jwt.NewNumericDate(t0.Add(time.Second))
	tests := []struct {
		name   string
		issuer string
		now    time.Time
		nbf    *jwt.NumericDate
		want   error
	}{
		{"ok/issued-now", "VSI-CR_us-south", t0, nil, nil},
		{"ok/any-issuer", "", t0, nil, nil},
		{"ok/last-second", "", t0.Add(5*time.Minute - time.Second), nil, nil},
		{"ok/nbf-reached", "", t0.Add(time.Second), nbf, nil},
		{"fail/expired-at-exp", "", t0.Add(5 * time.Minute), nil, jwt.ErrExpired},
		{"fail/expired-by-one-second", "", t0.Add(5*time.Minute + time.Second), nil, jwt.ErrExpired},
		{"fail/issued-in-the-future", "", t0.Add(-time.Second), nil, jwt.ErrIssuedInTheFuture},
		{"fail/not-valid-yet", "", t0, nbf, jwt.ErrNotValidYet},
		{"fail/issuer", "iam", t0, nil, jwt.ErrIssuer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := c
			c.NotBefore = tt.nbf
			if err := c.Validate(tt.issuer, tt.now); !errors.Is(err, tt.want) {
				t.Fatalf("got %v; want %v", err, tt.want)
			}
		})
	}
}

func TestNumericDateJSON(t *testing.T) {
	var n jwt.NumericDate
	for _, ok := range []struct {
		in   string
		want int64
	}{{"1764158400", 1764158400}, {"1764158400.9", 1764158400}, {"-1", -1}, {"1e9", 1e9}} {
		if err := json.Unmarshal([]byte(ok.in), &n); err != nil || int64(n) != ok.want {
			t.Errorf("%s: got %d, %v; want %d", ok.in, n, err, ok.want)
		}
	}
	// Values whose conversion would overflow (an nbf read as the distant past) are refused.
	for _, bad := range []string{`"1"`, "null", "true", "4.7e18", "-4.7e18", "1e400", "NaN"} {
		if err := json.Unmarshal([]byte(bad), &n); err == nil {
			t.Errorf("%s: accepted as %d", bad, n)
		}
	}
	b, _ := json.Marshal(jwt.NewNumericDate(t0.Add(999 * time.Millisecond)))
	if want := strconv.FormatInt(t0.Unix(), 10); string(b) != want {
		t.Errorf("marshal: got %s", b)
	}
	if jwt.NewNumericDate(time.Time{}) != nil || !(*jwt.NumericDate)(nil).Time().IsZero() {
		t.Error("the zero time is not nil, or nil is not the zero time")
	}
}

func TestAudienceJSON(t *testing.T) {
	var a jwt.Audience
	if err := json.Unmarshal([]byte(`"one"`), &a); err != nil || len(a) != 1 || !a.Contains("one") {
		t.Errorf("string: got %q, %v", a, err)
	}
	if err := json.Unmarshal([]byte(`["x","y"]`), &a); err != nil || len(a) != 2 || a.Contains("one") {
		t.Errorf("array: got %q, %v", a, err)
	}
	for _, bad := range []string{`1`, `[1]`, `{"a":1}`} {
		if err := json.Unmarshal([]byte(bad), &a); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
	one, _ := json.Marshal(jwt.Audience{"one"})
	two, _ := json.Marshal(jwt.Audience{"x", "y"})
	if string(one) != `"one"` || string(two) != `["x","y"]` {
		t.Errorf("marshal: got %s and %s", one, two)
	}
}

func TestJWK(t *testing.T) {
	key, _ := keys(t)
	k := jwt.NewJWK(&key.PublicKey, "kid-1")
	b, _ := json.Marshal(jwt.JWKSet{Keys: []jwt.JWK{k}})
	// go-jose reads the set as the same public key.
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(b, &set); err != nil {
		t.Fatal(err)
	}
	if got := set.Key("kid-1"); len(got) != 1 || !got[0].IsPublic() || !key.PublicKey.Equal(got[0].Key) || got[0].Algorithm != "RS256" || got[0].Use != "sig" {
		t.Fatalf("go-jose reads %+v", got)
	}
	if !strings.HasPrefix(string(b), `{"keys":[{"use":"sig","kty":"RSA","kid":"kid-1","alg":"RS256","n":"`) || !strings.HasSuffix(string(b), `","e":"AQAB"}]}`) {
		t.Errorf("JWKS: got %s", b)
	}
	pub, err := k.PublicKey()
	if err != nil || !key.PublicKey.Equal(pub) {
		t.Fatalf("PublicKey: %v", err)
	}
	if got := (jwt.JWKSet{Keys: []jwt.JWK{k, k}}).Find("kid-1"); len(got) != 2 {
		t.Errorf("Find: got %d keys; want 2", len(got))
	}
	if got := (jwt.JWKSet{Keys: []jwt.JWK{k}}).Find("other"); len(got) != 0 {
		t.Errorf("Find: got %d keys; want 0", len(got))
	}

	bad := map[string]func(*jwt.JWK){
		"kty-ec":            func(k *jwt.JWK) { k.Kty = "EC" },
		"alg-hs256":         func(k *jwt.JWK) { k.Alg = "HS256" },
		"use-enc":           func(k *jwt.JWK) { k.Use = "enc" },
		"e-padded":          func(k *jwt.JWK) { k.E = "AQAB=" },
		"e-leading-zero":    func(k *jwt.JWK) { k.E = "AAEAAQ" },
		"e-even":            func(k *jwt.JWK) { k.E = "AQAA" },
		"e-too-long":        func(k *jwt.JWK) { k.E = "AQEBAQEB" },
		"n-empty":           func(k *jwt.JWK) { k.N = "" },
		"n-small":           func(k *jwt.JWK) { k.N = k.N[:20] },
		"n-not-base64url":   func(k *jwt.JWK) { k.N = "+" + k.N[1:] },
		"n-leading-zero":    func(k *jwt.JWK) { k.N = "AA" + k.N },
		"n-line-break":      func(k *jwt.JWK) { k.N = k.N[:8] + "\n" + k.N[8:] },
		"e-missing-and-n-0": func(k *jwt.JWK) { k.N, k.E = "AA", "" },
	}
	for name, mutate := range bad {
		t.Run("fail/"+name, func(t *testing.T) {
			k := jwt.NewJWK(&key.PublicKey, "kid-1")
			mutate(&k)
			if pub, err := k.PublicKey(); err == nil {
				t.Fatalf("accepted a key with %d bits, e %d", pub.N.BitLen(), pub.E)
			}
		})
	}
}

// FuzzParse checks that Parse never panics and that every token it accepts has the one
// spelling the package writes: each segment is exactly the unpadded base64url of its bytes.
func FuzzParse(f *testing.F) {
	key, _ := keys(f)
	good, _ := jwt.Sign(key, "kid-1", sample())
	f.Add(good)
	f.Add(good + "=")
	f.Add(seg(`{"alg":"none"}`) + "." + seg(`{}`) + ".")
	f.Add(seg(`{"alg":"RS256","crit":[]}`) + ".e30.AA")
	f.Add("..")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := jwt.Parse(s)
		if err != nil {
			return
		}
		for _, p := range strings.Split(s, ".") {
			b, err := base64.RawURLEncoding.DecodeString(p)
			if err != nil || base64.RawURLEncoding.EncodeToString(b) != p {
				t.Fatalf("accepted a segment with another spelling: %q", p)
			}
		}
		if tok.Header.Alg != jwt.Algorithm {
			t.Fatalf("accepted alg %q", tok.Header.Alg)
		}
		if p, err := tok.Verify(&key.PublicKey); err == nil && s != good {
			t.Fatalf("a token the test did not sign verified: %q (payload %q)", s, p)
		}
	})
}

// signRaw signs a header and a payload given as JSON text, so that only the JSON can be at
// fault.
func signRaw(t *testing.T, key *rsa.PrivateKey, header, payload string) string {
	t.Helper()
	input := seg(header) + "." + seg(payload)
	digest := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// TestOneJSONValue: a header or a claims set followed by anything but whitespace is refused,
// as go-jose refuses it. json.Decoder.More, which this package once asked, reports false
// before a stray '}' or ']' and let both through.
func TestOneJSONValue(t *testing.T) {
	key, _ := keys(t)
	body, _ := json.Marshal(sample())
	tests := []struct{ name, header, payload string }{
		{"ok/plain", `{"alg":"RS256"}`, string(body)},
		{"ok/whitespace-after", "{\"alg\":\"RS256\"} \n", string(body) + "\t"},
		{"fail/header-stray-brace", `{"alg":"RS256"}}`, string(body)},
		{"fail/header-stray-bracket", `{"alg":"RS256"}]`, string(body)},
		{"fail/header-two-objects", `{"alg":"RS256"}{}`, string(body)},
		{"fail/claims-stray-bracket", `{"alg":"RS256"}`, string(body) + "]"},
		{"fail/claims-stray-brace", `{"alg":"RS256"}`, string(body) + "}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := signRaw(t, key, tt.header, tt.payload)
			// The oracle: go-jose's verdict on the same token.
			joseErr := func() error {
				parsed, err := josejwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
				if err != nil {
					return err
				}
				var c claims
				return parsed.Claims(&key.PublicKey, &c)
			}()
			ours := func() error {
				parsed, err := jwt.Parse(tok)
				if err != nil {
					return err
				}
				var c claims
				return parsed.Claims(&key.PublicKey, &c)
			}()
			if want := strings.HasPrefix(tt.name, "ok/"); (joseErr == nil) != want {
				t.Fatalf("go-jose: %v; the case says ok=%v", joseErr, want)
			}
			if (ours == nil) != (joseErr == nil) {
				t.Errorf("jwt: %v; go-jose: %v", ours, joseErr)
			}
			if ours != nil && !errors.Is(ours, jwt.ErrMalformed) {
				t.Errorf("jwt: %v; want ErrMalformed", ours)
			}
		})
	}
}
