package imds_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/scenario"
	"github.com/imdsplay/imdsplay/internal/fixture"
	"github.com/imdsplay/imdsplay/internal/testkeys"
)

func TestIAMExchange(t *testing.T) {
	s := scenario.Default()
	linkedCRN := s.FindProfile(scenario.TrustedProfileTarget{ID: scenario.LinkedProfileID}).CRN
	tests := []struct {
		name, path, body string
		status           int
		code, sub        string
	}{
		{"ok/default", "/identity/v1/iam_tokens?version=2025-08-26", ``, 200, "", scenario.DefaultProfileID},
		{"ok/by-id", "/identity/v1/iam_tokens?version=2025-08-26", `{"trusted_profile": {"id": "` + scenario.LinkedProfileID + `"}}`, 200, "", scenario.LinkedProfileID},
		{"ok/by-crn", "/identity/v1/iam_tokens?version=2025-08-26", `{"trusted_profile": {"crn": "` + linkedCRN + `"}}`, 200, "", scenario.LinkedProfileID},
		{"ok/by-name", "/identity/v1/iam_tokens?version=2025-08-26", `{"trusted_profile": {"name": "` + scenario.LinkedProfileName + `"}}`, 200, "", scenario.LinkedProfileID},
		{"ok/legacy", "/instance_identity/v1/iam_token?version=2024-11-12", `{"trusted_profile": {"id": "` + scenario.LinkedProfileID + `"}}`, 200, "", scenario.LinkedProfileID},
		{"fail/legacy-new-date", "/instance_identity/v1/iam_token?version=2025-08-26", `{}`, 404, "not_found", ""},
		{"fail/unlinked", "/identity/v1/iam_tokens?version=2025-08-26", `{"trusted_profile": {"id": "` + scenario.UnlinkedProfileID + `"}}`, 400, "profile_not_linked", ""},
		{"fail/unknown", "/identity/v1/iam_tokens?version=2025-08-26", `{"trusted_profile": {"id": "Profile-nope"}}`, 400, "not_found", ""},
		{"fail/empty-ref", "/identity/v1/iam_tokens?version=2025-08-26", `{"trusted_profile": {}}`, 400, "missing_field", ""},
		{"fail/unknown-field", "/identity/v1/iam_tokens?version=2025-08-26", `{"trusted_profile": {"uuid": "x"}}`, 400, "unknown_field", ""},
		// Two identifiers must name one profile: the error-code page's rule.
		{"ok/id-and-its-crn", "/identity/v1/iam_tokens?version=2025-08-26", `{"trusted_profile": {"id": "` + scenario.LinkedProfileID + `", "crn": "` + linkedCRN + `"}}`, 200, "", scenario.LinkedProfileID},
		{"fail/id-and-another-crn", "/identity/v1/iam_tokens?version=2025-08-26", `{"trusted_profile": {"id": "` + scenario.DefaultProfileID + `", "crn": "` + linkedCRN + `"}}`, 400, "invalid_value", ""},
		{"fail/id-and-another-name", "/identity/v1/iam_tokens?version=2025-08-26", `{"trusted_profile": {"id": "` + scenario.LinkedProfileID + `", "name": "` + scenario.DefaultProfileName + `"}}`, 400, "invalid_value", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newEmu(t, nil)
			tok := token(t, e)
			status, m := call(t, e, "POST", md+tt.path, tt.body, "Authorization", "Bearer "+tok)
			if status != tt.status {
				t.Fatalf("status got %d; want %d (%v)", status, tt.status, m)
			}
			if tt.code != "" {
				if got := errorCode(t, status, m); got != tt.code {
					t.Fatalf("code got %q; want %q", got, tt.code)
				}
				return
			}
			c, err := e.VerifyIAMToken(m["access_token"].(string))
			if err != nil {
				t.Fatal(err)
			}
			if c.Subject != tt.sub || c.GrantType != imds.GrantCRToken || c.Issuer != imds.IAMIssuer || c.SubType != "Profile" {
				t.Fatalf("claims got sub %q grant %q iss %q type %q", c.Subject, c.GrantType, c.Issuer, c.SubType)
			}
			if m["expires_in"] != float64(3600) || m["created_at"] != "2026-03-12T12:34:56Z" || m["expires_at"] != "2026-03-12T13:34:56Z" {
				t.Fatalf("times got %v", m)
			}
		})
	}
}

func TestIAMExchangeDefaultProfile(t *testing.T) {
	t.Run("fail/no-default", func(t *testing.T) {
		s := scenario.Default()
		s.Instances[0].DefaultProfile = nil
		e, _ := newEmu(t, s)
		status, m := call(t, e, "POST", md+"/identity/v1/iam_tokens?version=2025-08-26", `{}`, "Authorization", "Bearer "+token(t, e))
		if status != 400 || errorCode(t, status, m) != "missing_field" {
			t.Fatalf("got %d %v; want 400 missing_field", status, m)
		}
	})
	t.Run("fail/default-not-linked", func(t *testing.T) {
		e, _ := newEmu(t, nil)
		if err := e.LinkProfile("", scenario.DefaultProfileID, false); err != nil {
			t.Fatal(err)
		}
		status, m := call(t, e, "POST", md+"/identity/v1/iam_tokens?version=2025-08-26", ``, "Authorization", "Bearer "+token(t, e))
		if status != 400 || errorCode(t, status, m) != "profile_not_linked" {
			t.Fatalf("got %d %v; want 400 profile_not_linked", status, m)
		}
	})
}

// TestBearerAttacks sends every kind of bad bearer token the issue lists; each must be 401.
func TestBearerAttacks(t *testing.T) {
	e, clock := newEmu(t, nil)
	good := token(t, e)
	parts := strings.Split(good, ".")
	other, _ := newEmuFresh(t)
	foreign := token(t, other)

	var claims map[string]any
	decodeSeg(t, parts[1], &claims)
	b64 := func(v any) string { d, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(d) }
	algNone := b64(map[string]string{"alg": "none", "typ": "JWT"}) + "." + parts[1] + "."

	// HS256 signed with the public key's bytes: the classic key-confusion attack.
	jwksBody := get(t, e, md+"/_emulator/identity/keys")
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(jwksBody, &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("jwks: %v %s", err, jwksBody)
	}
	pub := set.Keys[0].Key.(*rsa.PublicKey)
	hsSigner, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: pub.N.Bytes()}, nil)
	hs, _ := jwt.Signed(hsSigner).Claims(claims).Serialize()

	// Signed by a key of our own with the emulator's kid.
	rogue, _ := rsa.GenerateKey(rand.Reader, 2048)
	var hdr map[string]any
	decodeSeg(t, parts[0], &hdr)
	rsSigner, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: rogue}, (&jose.SignerOptions{}).WithHeader("kid", hdr["kid"]))
	wrongKey, _ := jwt.Signed(rsSigner).Claims(claims).Serialize()

	tamperedClaims := map[string]any{}
	for k, v := range claims {
		tamperedClaims[k] = v
	}
	tamperedClaims["exp"] = claims["exp"].(float64) + 86400
	tampered := parts[0] + "." + b64(tamperedClaims) + "." + parts[2]

	iam := func() string {
		_, m := call(t, e, "POST", md+"/identity/v1/iam_tokens?version=2025-08-26", ``, "Authorization", "Bearer "+good)
		return m["access_token"].(string)
	}()

	cases := map[string]string{
		"fail/alg-none":            algNone,
		"fail/hs256-public-key":    hs,
		"fail/wrong-key":           wrongKey,
		"fail/other-emulator":      foreign,
		"fail/tampered":            tampered,
		"fail/truncated-signature": good[:len(good)-4],
		"fail/padded-signature":    good + "AAAA",
		"fail/garbage":             "not-a-jwt",
		"fail/iam-token":           iam,
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			status, m := call(t, e, "POST", md+"/identity/v1/iam_tokens?version=2025-08-26", ``, "Authorization", "Bearer "+tok)
			if status != 401 || errorCode(t, status, m) != "unauthenticated" {
				t.Fatalf("got %d %v; want 401 unauthenticated", status, m)
			}
		})
	}
	// No header at all is a missing field; unauthenticated is for a token that was provided.
	t.Run("fail/missing", func(t *testing.T) {
		status, m := call(t, e, "POST", md+"/identity/v1/iam_tokens?version=2025-08-26", ``)
		if status != 400 || errorCode(t, status, m) != "missing_field" {
			t.Fatalf("got %d %v; want 400 missing_field", status, m)
		}
	})
	t.Run("fail/basic-scheme", func(t *testing.T) {
		status, _ := call(t, e, "POST", md+"/identity/v1/iam_tokens?version=2025-08-26", ``, "Authorization", "Basic "+good)
		if status != 401 {
			t.Fatalf("got %d; want 401", status)
		}
	})
	t.Run("fail/identity-token-on-vpc-api", func(t *testing.T) {
		status, _ := callFrom(t, e, imds.Origin{Place: imds.OnWorkstation}, "GET", "https://us-south.iaas.cloud.ibm.com/v1/instances?version=2025-05-13&generation=2", ``, "Authorization", "Bearer "+good)
		if status != 401 {
			t.Fatalf("got %d; want 401", status)
		}
	})
	t.Run("expiry", func(t *testing.T) {
		short := func() string {
			_, m := call(t, e, "PUT", md+"/identity/v1/token?version=2025-08-26", `{"expires_in": 60}`, "Metadata-Flavor", "ibm")
			return m["access_token"].(string)
		}()
		// JWT times are whole seconds, so the token lapses within the last second of its
		// lifetime, never after it.
		clock.Advance(59 * time.Second)
		if status, m := call(t, e, "POST", md+"/identity/v1/iam_tokens?version=2025-08-26", ``, "Authorization", "Bearer "+short); status != 200 {
			t.Fatalf("just before expiry: got %d %v; want 200", status, m)
		}
		clock.Advance(time.Second)
		if status, _ := call(t, e, "POST", md+"/identity/v1/iam_tokens?version=2025-08-26", ``, "Authorization", "Bearer "+short); status != 401 {
			t.Fatalf("at expiry: got %d; want 401", status)
		}
	})
	t.Run("not-yet-valid", func(t *testing.T) {
		// A token whose iat lies an hour ahead, signed by the emulator's own key: it must not
		// be accepted before its time.
		k := testkeys.Get().Identity
		c := map[string]any{}
		for k, v := range claims {
			c[k] = v
		}
		c["iat"] = claims["iat"].(float64) + 3600
		c["nbf"] = claims["iat"].(float64) + 3600
		c["exp"] = claims["exp"].(float64) + 7200
		signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k}, (&jose.SignerOptions{}).WithHeader("kid", hdr["kid"]))
		future, _ := jwt.Signed(signer).Claims(c).Serialize()
		if _, err := e.VerifyIdentityToken(future); imds.ErrorCode(err) != imds.CodeUnauthenticated {
			t.Fatalf("got %v; want unauthenticated", err)
		}
		c["iat"], c["nbf"] = claims["iat"], claims["iat"]
		present, _ := jwt.Signed(signer).Claims(c).Serialize()
		if _, err := e.VerifyIdentityToken(present); err != nil {
			t.Fatalf("control token with the same key: %v", err)
		}
	})
}

// newEmuFresh returns an emulator with keys of its own, like a second deployment.
func newEmuFresh(t testing.TB) (*imds.Emulator, error) {
	t.Helper()
	e, err := imds.New(imds.Config{Time: func() time.Time { return fixture.Time() }})
	if err != nil {
		t.Fatal(err)
	}
	return e, nil
}

func get(t testing.TB, e *imds.Emulator, u string) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	resp, err := (&http.Client{Transport: e.Transport(imds.Origin{})}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}

func TestIAMHost(t *testing.T) {
	e, _ := newEmu(t, nil)
	ws := imds.Origin{Place: imds.OnWorkstation}
	post := func(form url.Values) (int, map[string]any) {
		return callFrom(t, e, ws, "POST", "https://iam.cloud.ibm.com/identity/token", form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
	}
	status, m := post(url.Values{"grant_type": {imds.GrantAPIKey}, "apikey": {scenario.OperatorAPIKey}})
	if status != 200 || m["token_type"] != "Bearer" {
		t.Fatalf("apikey grant: %d %v", status, m)
	}
	// IAM's documented answer to a user's API key: a refresh token and the IMS user ID too.
	if rt, _ := m["refresh_token"].(string); len(rt) < 64 || rt == "not_supported" || m["ims_user_id"] != float64(8009626) {
		t.Fatalf("apikey grant: refresh_token %v, ims_user_id %v", m["refresh_token"], m["ims_user_id"])
	}
	if c, err := e.VerifyIAMToken(m["access_token"].(string)); err != nil || c.SubType != "User" {
		t.Fatalf("user token: %v %+v", err, c)
	}
	if status, m := post(url.Values{"grant_type": {imds.GrantAPIKey}, "apikey": {"wrong"}}); status != 400 || m["errorCode"] != "BXNIM0415E" {
		t.Fatalf("bad apikey: %d %v", status, m)
	}
	if status, _ := post(url.Values{"grant_type": {"password"}}); status != 400 {
		t.Fatalf("bad grant: %d", status)
	}
	status, m = post(url.Values{"grant_type": {imds.GrantCRToken}, "cr_token": {token(t, e)}, "profile_id": {scenario.LinkedProfileID}})
	if status != 200 {
		t.Fatalf("cr-token grant: %d %v", status, m)
	}
	if c, err := e.VerifyIAMToken(m["access_token"].(string)); err != nil || c.Subject != scenario.LinkedProfileID {
		t.Fatalf("cr token: %v %+v", err, c)
	}
	if m["refresh_token"] != "not_supported" || m["ims_user_id"] != nil {
		t.Fatalf("cr-token grant: refresh_token %v, ims_user_id %v", m["refresh_token"], m["ims_user_id"])
	}
	defaultCRN := "crn:v1:bluemix:public:iam-identity::a/" + scenario.DefaultAccountID + "::profile:" + scenario.DefaultProfileID
	if status, m := post(url.Values{"grant_type": {imds.GrantCRToken}, "cr_token": {token(t, e)}, "profile_id": {scenario.LinkedProfileID}, "profile_crn": {defaultCRN}}); status != 400 || m["errorCode"] != "BXNIM0538E" {
		t.Fatalf("cr-token grant naming two profiles: %d %v", status, m)
	}
	if status, _ := post(url.Values{"grant_type": {imds.GrantCRToken}, "cr_token": {"x"}, "profile_id": {scenario.LinkedProfileID}}); status != 400 {
		t.Fatalf("bad cr token: %d", status)
	}
	// The IAM keys verify the token and contain no private part.
	if body := get(t, e, md+"/identity/keys"); !strings.Contains(string(body), "not_found") {
		t.Fatalf("IAM keys on the metadata host: %s", body)
	}
	body := get(t, e, "https://iam.cloud.ibm.com/identity/keys")
	if strings.Contains(string(body), `"d"`) {
		t.Fatalf("private key material served: %s", body)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil || len(set.Keys) != 1 || !set.Keys[0].IsPublic() {
		t.Fatalf("iam keys: %v %s", err, body)
	}
}
