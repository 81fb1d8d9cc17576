package imds_test

// The official Go client of the identity flow, IBM's go-sdk-core VpcInstanceAuthenticator,
// unchanged, against imdstest. What it sends (read from v5.25.3's
// core/vpc_instance_authenticator.go and checked here on the wire):
//
//   - ServiceVersion "2022-03-01" (its default) or "2025-08-26"; Validate refuses any other
//     date. 2022-03-01 uses PUT /instance_identity/v1/token and
//     POST /instance_identity/v1/iam_token; 2025-08-26 uses PUT /identity/v1/token and
//     POST /identity/v1/iam_tokens. Both add ?version=<ServiceVersion>.
//   - The token PUT carries Metadata-Flavor: ibm and the body {"expires_in": 300} (TokenLifetime).
//   - The exchange POST carries the identity token as Bearer, Metadata-Flavor: ibm too, and the
//     body {"trusted_profile": {"id"|"crn"|"name": ...}} from IAMProfileID, IAMProfileCRN or
//     IAMProfileName, or no body at all for the instance's default trusted profile.
//   - URL defaults to http://169.254.169.254; its cache of the IAM token runs on the real clock.

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/IBM/go-sdk-core/v5/core"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/imdstest"
	"github.com/imdsplay/imdsplay/imds/scenario"
	"github.com/imdsplay/imdsplay/imds/vclock"
	"github.com/imdsplay/imdsplay/internal/fixture"
)

// sdkCall is one request the SDK made, as the server saw it.
type sdkCall struct {
	Method, Path, Version, Body, Flavor string
	Bearer                              bool
}

// sdkSpy records the SDK's requests on their way to the server.
type sdkSpy struct {
	base  http.RoundTripper
	mu    sync.Mutex
	calls []sdkCall
}

func (s *sdkSpy) RoundTrip(r *http.Request) (*http.Response, error) {
	c := sdkCall{Method: r.Method, Path: r.URL.Path, Version: r.URL.Query().Get("version"),
		Flavor: r.Header.Get("Metadata-Flavor"), Bearer: strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ")}
	if r.Body != nil {
		data, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r.Body.Close()
		c.Body = string(data)
		r.Body = io.NopCloser(strings.NewReader(c.Body))
	}
	s.mu.Lock()
	s.calls = append(s.calls, c)
	s.mu.Unlock()
	return s.base.RoundTrip(r)
}

func (s *sdkSpy) take() []sdkCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calls
	s.calls = nil
	return c
}

// sdkServer is an imdstest server with the fixed test keys and a client that spies.
func sdkServer(t *testing.T, tls bool, opts ...imdstest.Option) (*imdstest.Server, *sdkSpy, *http.Client) {
	t.Helper()
	opts = append([]imdstest.Option{imdstest.WithKeys(fixture.Keys())}, opts...)
	var srv *imdstest.Server
	if tls {
		srv = imdstest.NewTLSServer(t, opts...)
	} else {
		srv = imdstest.NewServer(t, opts...)
	}
	spy := &sdkSpy{base: srv.Client().Transport}
	return srv, spy, &http.Client{Transport: spy}
}

// sdkVerifyIAM checks an IAM access token the way a resource server would: with the keys IAM
// publishes at GET /identity/keys, fetched over HTTP from the test server.
func sdkVerifyIAM(t *testing.T, srv *imdstest.Server, token string) *imds.IAMClaims {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + "/identity/keys")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /identity/keys: got %d; want 200", resp.StatusCode)
	}
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatalf("GET /identity/keys: %v", err)
	}
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("IAM token: %v", err)
	}
	keys := set.Key(parsed.Headers[0].KeyID)
	if len(keys) != 1 {
		t.Fatalf("IAM token kid %q: got %d keys in the JWKS; want 1", parsed.Headers[0].KeyID, len(keys))
	}
	if keys[0].IsPublic() != true {
		t.Fatal("JWKS holds a private key")
	}
	// go-jose, independent of the emulator's own imds/jwt, checks the signature and the times.
	var c imds.IAMClaims
	var std jwt.Claims
	if err := parsed.Claims(keys[0].Key, &c, &std); err != nil {
		t.Fatalf("IAM token signature: %v", err)
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: imds.IAMIssuer, Time: srv.Clock().Now()}, 0); err != nil {
		t.Fatalf("IAM token claims: %v", err)
	}
	return &c
}

func TestSDKVpcInstanceAuthenticator(t *testing.T) {
	world := scenario.Default()
	linkedCRN := world.FindProfile(scenario.TrustedProfileTarget{ID: scenario.LinkedProfileID}).CRN
	type paths struct{ version, token, iam string }
	versions := map[string]paths{
		"":           {"2022-03-01", "/instance_identity/v1/token", "/instance_identity/v1/iam_token"}, // the SDK's default
		"2022-03-01": {"2022-03-01", "/instance_identity/v1/token", "/instance_identity/v1/iam_token"},
		"2025-08-26": {"2025-08-26", "/identity/v1/token", "/identity/v1/iam_tokens"},
	}
	profiles := []struct {
		name     string
		set      func(*core.VpcInstanceAuthenticatorBuilder)
		wantBody string
		wantSub  string
	}{
		{"id", func(b *core.VpcInstanceAuthenticatorBuilder) { b.SetIAMProfileID(scenario.LinkedProfileID) },
			`{"trusted_profile": {"id": "` + scenario.LinkedProfileID + `"}}`, scenario.LinkedProfileID},
		{"crn", func(b *core.VpcInstanceAuthenticatorBuilder) { b.SetIAMProfileCRN(linkedCRN) },
			`{"trusted_profile": {"crn": "` + linkedCRN + `"}}`, scenario.LinkedProfileID},
		{"name", func(b *core.VpcInstanceAuthenticatorBuilder) { b.SetIAMProfileName(scenario.LinkedProfileName) },
			`{"trusted_profile": {"name": "` + scenario.LinkedProfileName + `"}}`, scenario.LinkedProfileID},
		{"default", func(*core.VpcInstanceAuthenticatorBuilder) {}, "", scenario.DefaultProfileID},
	}
	for _, version := range []string{"", "2022-03-01", "2025-08-26"} {
		want := versions[version]
		for _, p := range profiles {
			name := "ok/" + cmpOr(version, "default-version") + "/" + p.name
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				srv, spy, client := sdkServer(t, false)
				b := core.NewVpcInstanceAuthenticatorBuilder().SetURL(srv.URL).SetClient(client)
				if version != "" {
					b.SetServiceVersion(version)
				}
				p.set(b)
				auth, err := b.Build()
				if err != nil {
					t.Fatal(err)
				}
				tok, err := auth.GetToken()
				if err != nil {
					t.Fatal(err)
				}
				c := sdkVerifyIAM(t, srv, tok)
				if c.Subject != p.wantSub || c.GrantType != imds.GrantCRToken || c.Authn == nil || c.Authn.Name != scenario.DefaultInstanceName {
					t.Errorf("claims: got sub %q grant %q authn %+v; want sub %q grant %q from %s",
						c.Subject, c.GrantType, c.Authn, p.wantSub, imds.GrantCRToken, scenario.DefaultInstanceName)
				}
				wantCalls := []sdkCall{
					{Method: "PUT", Path: want.token, Version: want.version, Body: `{"expires_in": 300}`, Flavor: "ibm"},
					{Method: "POST", Path: want.iam, Version: want.version, Body: p.wantBody, Flavor: "ibm", Bearer: true},
				}
				if got := spy.take(); !equalCalls(got, wantCalls) {
					t.Errorf("requests:\n got %+v\nwant %+v", got, wantCalls)
				}
				var actions []string
				for _, ev := range srv.Events() {
					actions = append(actions, ev.Action+":"+ev.Outcome)
				}
				if got, want := strings.Join(actions, " "), "is.metadata.jwt-token.create:success is.metadata.computeresource-token.request:success"; got != want {
					t.Errorf("events: got %s; want %s", got, want)
				}
			})
		}
	}
}

func equalCalls(a, b []sdkCall) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func cmpOr(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// With no URL the SDK calls http://169.254.169.254, which the server's Client reaches.
func TestSDKDefaultURL(t *testing.T) {
	srv, spy, client := sdkServer(t, false)
	auth, err := core.NewVpcInstanceAuthenticatorBuilder().SetClient(client).Build()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := auth.GetToken()
	if err != nil {
		t.Fatal(err)
	}
	if c := sdkVerifyIAM(t, srv, tok); c.Subject != scenario.DefaultProfileID {
		t.Errorf("sub: got %q; want %q", c.Subject, scenario.DefaultProfileID)
	}
	if n := len(spy.take()); n != 2 {
		t.Errorf("got %d requests; want 2", n)
	}
}

// With secure access on, the SDK works over https against the emulator's CA.
func TestSDKSecureAccess(t *testing.T) {
	for _, version := range []string{"2022-03-01", "2025-08-26"} {
		t.Run("ok/"+version, func(t *testing.T) {
			srv, _, client := sdkServer(t, true)
			auth, err := core.NewVpcInstanceAuthenticatorBuilder().SetURL("https://" + imds.MetadataHost).
				SetServiceVersion(version).SetClient(client).SetIAMProfileID(scenario.LinkedProfileID).Build()
			if err != nil {
				t.Fatal(err)
			}
			tok, err := auth.GetToken()
			if err != nil {
				t.Fatal(err)
			}
			sdkVerifyIAM(t, srv, tok)
		})
	}
	t.Run("fail/plain-http", func(t *testing.T) {
		_, _, client := sdkServer(t, true)
		auth, err := core.NewVpcInstanceAuthenticatorBuilder().SetClient(client).Build()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := auth.GetToken(); err == nil {
			t.Error("plain http with secure access on: got a token")
		}
	})
}

// The SDK's refusals and the service's, as the SDK reports them.
func TestSDKErrors(t *testing.T) {
	t.Run("fail/unsupported-version", func(t *testing.T) {
		_, err := core.NewVpcInstanceAuthenticatorBuilder().SetServiceVersion("2024-06-01").Build()
		if err == nil || !strings.Contains(err.Error(), "2022-03-01, 2025-08-26") {
			t.Errorf("got %v; want the SDK to list its two versions", err)
		}
	})
	t.Run("fail/two-profiles", func(t *testing.T) {
		_, err := core.NewVpcInstanceAuthenticatorBuilder().SetIAMProfileID("a").SetIAMProfileName("b").Build()
		if err == nil {
			t.Error("got no error")
		}
	})
	for _, tc := range []struct {
		name       string
		prepare    func(*imdstest.Server)
		profile    string
		wantStatus int
		wantText   string
	}{
		{"fail/profile-not-linked", func(*imdstest.Server) {}, scenario.UnlinkedProfileID, 400, "not linked"},
		{"fail/profile-unknown", func(*imdstest.Server) {}, "Profile-00000000-0000-4000-8000-000000000000", 400, "not found"},
		{"fail/service-disabled", (*imdstest.Server).DisableService, "", 403, "not enabled"},
		{"fail/default-unlinked", func(s *imdstest.Server) { s.UnlinkProfile(scenario.DefaultProfileID) }, "", 400, "not linked"},
	} {
		for _, version := range []string{"2022-03-01", "2025-08-26"} {
			t.Run(tc.name+"/"+version, func(t *testing.T) {
				srv, _, client := sdkServer(t, false)
				tc.prepare(srv)
				auth, err := core.NewVpcInstanceAuthenticatorBuilder().SetURL(srv.URL).SetServiceVersion(version).
					SetClient(client).SetIAMProfileID(tc.profile).Build()
				if err != nil {
					t.Fatal(err)
				}
				_, err = auth.GetToken()
				var ae *core.AuthenticationError
				if !errors.As(err, &ae) {
					t.Fatalf("got %v (%T); want a *core.AuthenticationError", err, err)
				}
				if ae.Response == nil || ae.Response.StatusCode != tc.wantStatus || !strings.Contains(ae.Error(), tc.wantText) {
					t.Errorf("got %q; want status %d and %q", ae.Error(), tc.wantStatus, tc.wantText)
				}
			})
		}
	}
}

// The SDK caches the IAM token by the real clock. With a server clock in the past (the
// default), every GetToken fetches anew; with a clock that follows real time, the cache holds.
func TestSDKTokenCache(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  []imdstest.Option
		calls int
	}{
		{"fixed-clock", nil, 4},
		{"real-clock", []imdstest.Option{imdstest.WithClock(vclock.Following(nil))}, 2},
	} {
		t.Run("ok/"+tc.name, func(t *testing.T) {
			srv, spy, client := sdkServer(t, false, tc.opts...)
			auth, err := core.NewVpcInstanceAuthenticatorBuilder().SetURL(srv.URL).SetServiceVersion("2025-08-26").SetClient(client).Build()
			if err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if _, err := auth.GetToken(); err != nil {
					t.Fatal(err)
				}
			}
			if got := len(spy.take()); got != tc.calls {
				t.Errorf("two GetToken calls made %d requests; want %d", got, tc.calls)
			}
		})
	}
}
