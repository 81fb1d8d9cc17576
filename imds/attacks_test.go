package imds_test

// Token attacks of issue 6 that TestBearerAttacks (iam_test.go) leaves out or tests on one
// surface only: a token of the wrong kind on every surface, a foreign kid, an embedded key,
// expiry by one second and not-yet-valid tokens through HTTP, and spellings of a genuine token
// the emulator never issued.

import (
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/scenario"
	"github.com/imdsplay/imdsplay/internal/testkeys"
)

// atkSurface is one call that needs a token.
type atkSurface struct {
	name         string
	from         imds.Origin
	method, url  string
	body         string
	form         bool // the token goes in IAM's form as cr_token, not in a header
	status, code string
}

// atkIdentitySurfaces need an identity token; atkIAMSurfaces an IAM access token.
var (
	atkIdentitySurfaces = []atkSurface{
		{name: "metadata-read", method: "GET", url: md + "/metadata/v1/instance?version=2025-08-26", status: "401", code: "unauthenticated"},
		{name: "iam-exchange", method: "POST", url: md + "/identity/v1/iam_tokens?version=2025-08-26", status: "401", code: "unauthenticated"},
		{name: "certificate", method: "POST", url: md + "/identity/v1/certificates?version=2025-08-26", body: `{"csr": ` + strconv.Quote(fzCSR) + `}`, status: "401", code: "unauthenticated"},
		{name: "iam-cr-token-grant", from: workstation, method: "POST", url: "https://iam.cloud.ibm.com/identity/token", form: true, status: "400", code: "BXNIM0538E"},
	}
	atkIAMSurfaces = []atkSurface{
		{name: "vpc-list", from: workstation, method: "GET", url: vpcAPI + "/v1/instances?" + vpcQuery, status: "401", code: "not_authorized"},
		{name: "vpc-patch", from: workstation, method: "PATCH", url: vpcAPI + "/v1/instances/" + scenario.DefaultInstanceID + "?" + vpcQuery, body: `{"name": "renamed-vm"}`, status: "401", code: "not_authorized"},
	}
)

// send presents tok to the surface and returns the status and the error code, if any.
func (s atkSurface) send(t *testing.T, e *imds.Emulator, tok string) (int, string) {
	t.Helper()
	body, headers := s.body, []string{"Authorization", "Bearer " + tok}
	if s.form {
		body = url.Values{"grant_type": {imds.GrantCRToken}, "cr_token": {tok}}.Encode()
		headers = []string{"Content-Type", "application/x-www-form-urlencoded"}
	}
	status, data := roundTrip(t, e, s.from, s.method, s.url, body, headers...)
	var m struct {
		Errors []struct {
			Code string `json:"code"`
		} `json:"errors"`
		StatusCode int    `json:"status_code"`
		ErrorCode  string `json:"errorCode"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: answer is not JSON: %s", s.name, data)
	}
	if m.ErrorCode != "" {
		return status, m.ErrorCode
	}
	if len(m.Errors) > 0 {
		if m.StatusCode != 0 && m.StatusCode != status { // the metadata host sends none (TestErrorShapes)
			t.Fatalf("%s: status_code %d; status %d", s.name, m.StatusCode, status)
		}
		return status, m.Errors[0].Code
	}
	return status, ""
}

// mustRefuse checks that every surface refuses tok with its own refusal.
func mustRefuse(t *testing.T, e *imds.Emulator, surfaces []atkSurface, tok string) {
	t.Helper()
	for _, s := range surfaces {
		status, code := s.send(t, e, tok)
		if strconv.Itoa(status) != s.status || code != s.code {
			t.Errorf("%s: got %d %q; want %s %q", s.name, status, code, s.status, s.code)
		}
	}
}

// mustAccept checks that every surface accepts tok (the control case of each attack).
func mustAccept(t *testing.T, e *imds.Emulator, surfaces []atkSurface, tok string) {
	t.Helper()
	for _, s := range surfaces {
		if status, code := s.send(t, e, tok); status/100 != 2 {
			t.Errorf("%s: control token got %d %q; want 2xx", s.name, status, code)
		}
	}
}

// resign returns the claims of tok, changed by edit, signed with key under the header kid
// (and the signer options opts, if any): with the same kid and no edit, a token the emulator
// did not sign with every claim right.
func resign(t testing.TB, tok string, key *rsa.PrivateKey, kid string, edit func(map[string]any), opts ...func(*jose.SignerOptions)) string {
	t.Helper()
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := parsed.UnsafeClaimsWithoutVerification(&claims); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(claims)
	}
	o := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		o = o.WithHeader("kid", kid)
	}
	for _, f := range opts {
		f(o)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, o)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// expOf returns the exp claim of tok.
func expOf(t *testing.T, tok string) time.Time {
	t.Helper()
	var c struct {
		Exp int64 `json:"exp"`
	}
	decodeSeg(t, strings.Split(tok, ".")[1], &c)
	return time.Unix(c.Exp, 0)
}

// kidOf returns the kid header of tok.
func kidOf(t testing.TB, tok string) string {
	t.Helper()
	var hdr map[string]any
	decodeSeg(t, strings.Split(tok, ".")[0], &hdr)
	kid, _ := hdr["kid"].(string)
	return kid
}

// TestTokenKindMisuse presents an identity token where an IAM token is expected (the VPC API)
// and IAM tokens, a trusted profile's and the operator's, where an identity token is
// expected (every metadata-host call and IAM's cr-token grant).
func TestTokenKindMisuse(t *testing.T) {
	e, _ := newEmu(t, nil)
	identity := token(t, e)
	_, m := call(t, e, "POST", md+"/identity/v1/iam_tokens?version=2025-08-26", ``, "Authorization", "Bearer "+identity)
	profile, _ := m["access_token"].(string)
	user, err := e.UserToken()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ok/control", func(t *testing.T) {
		mustAccept(t, e, atkIdentitySurfaces, identity)
		mustAccept(t, e, atkIAMSurfaces[:1], profile)
		mustAccept(t, e, atkIAMSurfaces[:1], user)
	})
	t.Run("fail/identity-token-on-vpc-api", func(t *testing.T) { mustRefuse(t, e, atkIAMSurfaces, identity) })
	t.Run("fail/profile-token-on-metadata-host", func(t *testing.T) { mustRefuse(t, e, atkIdentitySurfaces, profile) })
	t.Run("fail/user-token-on-metadata-host", func(t *testing.T) { mustRefuse(t, e, atkIdentitySurfaces, user) })
	// The same claims under the other service's key: right shape, wrong signer.
	k := testkeys.Get()
	t.Run("fail/identity-claims-signed-by-iam-key", func(t *testing.T) {
		mustRefuse(t, e, atkIdentitySurfaces, resign(t, identity, k.IAM, kidOf(t, identity), nil))
	})
	t.Run("fail/iam-claims-signed-by-identity-key", func(t *testing.T) {
		mustRefuse(t, e, atkIAMSurfaces, resign(t, user, k.Identity, kidOf(t, user), nil))
	})
}

// TestTokenForeignKey presents tokens with every claim right, signed by a key that is not the
// emulator's and naming it in ways a careless verifier would follow: a foreign kid, the key
// itself embedded in the header (jwk), a URL to fetch it from (jku).
func TestTokenForeignKey(t *testing.T) {
	e, _ := newEmu(t, nil)
	identity := token(t, e)
	user, err := e.UserToken()
	if err != nil {
		t.Fatal(err)
	}
	// A key of the emulator's that signs no tokens stands for any foreign key (and saves a
	// slow RSA key generation in the WebAssembly run).
	rogue := testkeys.Get().CARoot
	embed := func(o *jose.SignerOptions) { o.EmbedJWK = true }
	jku := func(o *jose.SignerOptions) { o.WithHeader("jku", "http://203.0.113.10/keys.json") }
	for _, tt := range []struct {
		name     string
		tok      string
		surfaces []atkSurface
	}{
		{"fail/identity-foreign-kid", resign(t, identity, rogue, "VSI-CR_eu-de_0123456789abcdef", nil), atkIdentitySurfaces},
		{"fail/identity-no-kid", resign(t, identity, rogue, "", nil), atkIdentitySurfaces},
		{"fail/identity-embedded-jwk", resign(t, identity, rogue, "", nil, embed), atkIdentitySurfaces},
		{"fail/identity-jku", resign(t, identity, rogue, kidOf(t, identity), nil, jku), atkIdentitySurfaces},
		{"fail/iam-foreign-kid", resign(t, user, rogue, "iam_0123456789abcdef", nil), atkIAMSurfaces},
		{"fail/iam-embedded-jwk", resign(t, user, rogue, "", nil, embed), atkIAMSurfaces},
	} {
		t.Run(tt.name, func(t *testing.T) { mustRefuse(t, e, tt.surfaces, tt.tok) })
	}
}

// TestTokenTimeBounds checks expiry by one second and tokens not yet valid by one second,
// through HTTP on every surface, each beside a control that passes.
func TestTokenTimeBounds(t *testing.T) {
	t.Run("identity", func(t *testing.T) {
		e, clock := newEmu(t, nil)
		_, m := call(t, e, "PUT", md+"/identity/v1/token?version=2025-08-26", `{"expires_in": 60}`, "Metadata-Flavor", "ibm")
		tok := m["access_token"].(string)
		exp := expOf(t, tok)
		clock.Advance(exp.Add(-time.Second).Sub(clock.Now()))
		mustAccept(t, e, atkIdentitySurfaces, tok)
		clock.Advance(2 * time.Second) // exp + 1s
		mustRefuse(t, e, atkIdentitySurfaces, tok)
	})
	t.Run("iam", func(t *testing.T) {
		e, clock := newEmu(t, nil)
		user, err := e.UserToken()
		if err != nil {
			t.Fatal(err)
		}
		exp := expOf(t, user)
		clock.Advance(exp.Add(-time.Second).Sub(clock.Now()))
		mustAccept(t, e, atkIAMSurfaces[:1], user)
		clock.Advance(2 * time.Second) // exp + 1s
		mustRefuse(t, e, atkIAMSurfaces, user)
	})
	t.Run("not-yet-valid", func(t *testing.T) {
		e, _ := newEmu(t, nil)
		identity := token(t, e)
		user, err := e.UserToken()
		if err != nil {
			t.Fatal(err)
		}
		k := testkeys.Get()
		later := func(claim string) func(map[string]any) {
			return func(c map[string]any) { c[claim] = c["iat"].(float64) + 1 }
		}
		// Signed with the emulator's own keys, so only the times can fail them.
		mustAccept(t, e, atkIdentitySurfaces, resign(t, identity, k.Identity, kidOf(t, identity), nil))
		mustRefuse(t, e, atkIdentitySurfaces, resign(t, identity, k.Identity, kidOf(t, identity), later("iat")))
		mustRefuse(t, e, atkIdentitySurfaces, resign(t, identity, k.Identity, kidOf(t, identity), later("nbf")))
		mustAccept(t, e, atkIAMSurfaces[:1], resign(t, user, k.IAM, kidOf(t, user), nil))
		mustRefuse(t, e, atkIAMSurfaces, resign(t, user, k.IAM, kidOf(t, user), later("iat")))
		mustRefuse(t, e, atkIAMSurfaces, resign(t, user, k.IAM, kidOf(t, user), later("nbf")))
	})
	t.Run("no-exp", func(t *testing.T) {
		e, _ := newEmu(t, nil)
		identity := token(t, e)
		k := testkeys.Get()
		mustRefuse(t, e, atkIdentitySurfaces, resign(t, identity, k.Identity, kidOf(t, identity), func(c map[string]any) { delete(c, "exp") }))
	})
}

// TestTokenSpellings presents other spellings of a genuine token: base64url that decodes to
// the same bytes (unused bits set in a segment's last character, a CR or LF inside a segment,
// standard base64's alphabet or padding). go-jose decodes all of them to the signed bytes; the
// emulator must still refuse them, since it never issued them. Found by FuzzBearer.
func TestTokenSpellings(t *testing.T) {
	e, _ := newEmu(t, nil)
	identity := token(t, e)
	user, err := e.UserToken()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		kind     string
		tok      string
		surfaces []atkSurface
	}{{"identity", identity, atkIdentitySurfaces}, {"iam", user, atkIAMSurfaces}} {
		parts := strings.Split(tc.tok, ".")
		spell := map[string]string{
			"fail/unused-bits-in-signature": parts[0] + "." + parts[1] + "." + setUnusedBits(t, parts[2]),
			"fail/unused-bits-in-payload":   parts[0] + "." + setUnusedBits(t, parts[1]) + "." + parts[2],
			"fail/padding":                  tc.tok + strings.Repeat("=", (4-len(parts[2])%4)%4),
		}
		if strings.ContainsAny(parts[2], "-_") {
			spell["fail/std-alphabet"] = parts[0] + "." + parts[1] + "." + strings.NewReplacer("-", "+", "_", "/").Replace(parts[2])
		}
		for name, tok := range spell {
			if tok == tc.tok {
				continue // the segment has no unused bits to set
			}
			t.Run(tc.kind+"/"+name, func(t *testing.T) { mustRefuse(t, e, tc.surfaces, tok) })
		}
		// Header values cannot carry CR or LF over HTTP, but a token can reach the verifier by
		// other ways (the cr_token form field, Go callers).
		for _, c := range []string{"\r", "\n"} {
			odd := parts[0] + "." + parts[1][:10] + c + parts[1][10:] + "." + parts[2]
			var err error
			if tc.kind == "identity" {
				_, err = e.VerifyIdentityToken(odd)
			} else {
				_, err = e.VerifyIAMToken(odd)
			}
			if imds.ErrorCode(err) != imds.CodeUnauthenticated {
				t.Errorf("%s with %q inside: got %v; want unauthenticated", tc.kind, c, err)
			}
		}
	}
	t.Run("fail/cr-inside-cr-token", func(t *testing.T) {
		parts := strings.Split(identity, ".")
		form := url.Values{"grant_type": {imds.GrantCRToken}, "cr_token": {parts[0] + "\r." + parts[1] + "." + parts[2]}}
		req := httptest.NewRequest("POST", "https://iam.cloud.ibm.com/identity/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code != http.StatusBadRequest {
			t.Fatalf("got %d %s; want 400", rec.Code, rec.Body)
		}
	})
}

// setUnusedBits returns seg, unpadded base64url, with the unused low bits of its last
// character set, or seg itself when its length leaves no unused bits.
func setUnusedBits(t *testing.T, seg string) string {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	unused := map[int]int{2: 4, 3: 2}[len(seg)%4]
	if unused == 0 {
		return seg
	}
	i := strings.IndexByte(alphabet, seg[len(seg)-1])
	if i < 0 {
		t.Fatalf("not base64url: %q", seg)
	}
	return seg[:len(seg)-1] + string(alphabet[i|(1<<unused-1)])
}
