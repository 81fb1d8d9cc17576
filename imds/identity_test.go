package imds_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/scenario"
	"github.com/imdsplay/imdsplay/imds/vclock"
	"github.com/imdsplay/imdsplay/internal/fixture"
)

// newEmu returns the fixture's emulator (fixed keys, clock and seeded randomness) for s.
func newEmu(t testing.TB, s *scenario.Scenario) (*imds.Emulator, *vclock.Clock) {
	t.Helper()
	return fixture.NewEmulator(t, fixture.WithScenario(s))
}

// call sends one request through the in-process network from the instance.
func call(t testing.TB, e *imds.Emulator, method, url, body string, headers ...string) (int, map[string]any) {
	t.Helper()
	return callFrom(t, e, imds.Origin{}, method, url, body, headers...)
}

func callFrom(t testing.TB, e *imds.Emulator, o imds.Origin, method, url, body string, headers ...string) (int, map[string]any) {
	t.Helper()
	status, data := roundTrip(t, e, o, method, url, body, headers...)
	var m map[string]any
	if len(data) > 0 {
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s %s: answer is not JSON: %v\n%s", method, url, err, data)
		}
	}
	return status, m
}

const md = "http://api.metadata.cloud.ibm.com"

// token gets an identity token with default settings.
func token(t testing.TB, e *imds.Emulator) string {
	t.Helper()
	status, m := call(t, e, "PUT", md+"/identity/v1/token?version=2025-08-26", `{"expires_in": 3600}`, "Metadata-Flavor", "ibm")
	if status != 200 {
		t.Fatalf("token: status %d: %v", status, m)
	}
	return m["access_token"].(string)
}

// errorCode returns errors[0].code and checks the rest of IBM's error shape.
func errorCode(t testing.TB, status int, m map[string]any) string {
	t.Helper()
	errs, ok := m["errors"].([]any)
	if !ok || len(errs) != 1 {
		t.Fatalf("not an IBM error body: %v", m)
	}
	// The metadata host sends no status_code (TestErrorShapes); the others repeat the status.
	if got, ok := m["status_code"].(float64); ok && int(got) != status {
		t.Fatalf("status_code got %v; want %d", got, status)
	}
	if tr, _ := m["trace"].(string); len(tr) != 36 {
		t.Fatalf("trace got %q; want a UUID", tr)
	}
	first := errs[0].(map[string]any)
	if msg, _ := first["message"].(string); msg == "" {
		t.Fatalf("error without message: %v", first)
	}
	return first["code"].(string)
}

func TestIdentityToken(t *testing.T) {
	tests := []struct {
		name, method, path, body string
		headers                  []string
		status                   int
		code, target             string
	}{
		{"ok/identity", "PUT", "/identity/v1/token?version=2025-08-26", `{}`, []string{"Metadata-Flavor", "ibm"}, 200, "", ""},
		{"ok/legacy", "PUT", "/instance_identity/v1/token?version=2025-04-22", `{}`, []string{"Metadata-Flavor", "ibm"}, 200, "", ""},
		{"ok/legacy-last-date", "PUT", "/instance_identity/v1/token?version=2025-08-25", `{"expires_in": 5}`, []string{"Metadata-Flavor", "ibm"}, 200, "", ""},
		{"ok/empty-body", "PUT", "/identity/v1/token?version=2022-03-01", ``, []string{"Metadata-Flavor", "ibm"}, 200, "", ""},
		{"ok/max-expiry", "PUT", "/identity/v1/token?version=2022-03-01", `{"expires_in": 3600, "nonce": "n-1"}`, []string{"Metadata-Flavor", "ibm"}, 200, "", ""},
		{"ok/today", "PUT", "/identity/v1/token?version=2026-03-12", `{}`, []string{"Metadata-Flavor", "ibm"}, 200, "", ""},
		{"fail/legacy-new-date", "PUT", "/instance_identity/v1/token?version=2025-08-26", `{}`, []string{"Metadata-Flavor", "ibm"}, 404, "not_found", ""},
		{"fail/no-version", "PUT", "/identity/v1/token", `{}`, []string{"Metadata-Flavor", "ibm"}, 400, "missing_field", "version"},
		{"fail/bad-version", "PUT", "/identity/v1/token?version=2025-8-26", `{}`, []string{"Metadata-Flavor", "ibm"}, 400, "invalid_value", "version"},
		// As the real service answered (../shared/reference/captured): the date itself is the
		// target's name.
		{"fail/too-old", "PUT", "/identity/v1/token?version=2022-02-28", `{}`, []string{"Metadata-Flavor", "ibm"}, 400, "invalid_version_range", "2022-02-28"},
		{"fail/future", "PUT", "/identity/v1/token?version=2026-03-13", `{}`, []string{"Metadata-Flavor", "ibm"}, 400, "invalid_version_range", "2026-03-13"},
		{"fail/unknown-parameter", "PUT", "/identity/v1/token?version=2025-08-26&expires_in=60", `{}`, []string{"Metadata-Flavor", "ibm"}, 400, "unknown_field", "expires_in"},
		{"fail/no-flavor", "PUT", "/identity/v1/token?version=2025-08-26", `{}`, nil, 400, "missing_value", "Metadata-Flavor"},
		{"fail/bad-flavor", "PUT", "/identity/v1/token?version=2025-08-26", `{}`, []string{"Metadata-Flavor", "aws"}, 400, "invalid_value", "Metadata-Flavor"},
		{"fail/expiry-low", "PUT", "/identity/v1/token?version=2025-08-26", `{"expires_in": 4}`, []string{"Metadata-Flavor", "ibm"}, 400, "invalid_value", "expires_in"},
		{"fail/expiry-high", "PUT", "/identity/v1/token?version=2025-08-26", `{"expires_in": 7200}`, []string{"Metadata-Flavor", "ibm"}, 400, "invalid_value", "expires_in"},
		{"fail/expiry-type", "PUT", "/identity/v1/token?version=2025-08-26", `{"expires_in": "60"}`, []string{"Metadata-Flavor", "ibm"}, 400, "invalid_value", "expires_in"},
		{"fail/unknown-field", "PUT", "/identity/v1/token?version=2025-08-26", `{"xyzzy": 1}`, []string{"Metadata-Flavor", "ibm"}, 400, "unknown_field", "xyzzy"},
		{"fail/malformed", "PUT", "/identity/v1/token?version=2025-08-26", `{"expires_in": `, []string{"Metadata-Flavor", "ibm"}, 400, "invalid_request", ""},
		{"fail/not-object", "PUT", "/identity/v1/token?version=2025-08-26", `[1]`, []string{"Metadata-Flavor", "ibm"}, 400, "invalid_request", ""},
		{"fail/trailing", "PUT", "/identity/v1/token?version=2025-08-26", `{} {}`, []string{"Metadata-Flavor", "ibm"}, 400, "invalid_request", ""},
		{"fail/oversized", "PUT", "/identity/v1/token?version=2025-08-26", `{"nonce":"` + strings.Repeat("a", 70<<10) + `"}`, []string{"Metadata-Flavor", "ibm"}, 400, "invalid_request", ""},
		{"fail/long-nonce", "PUT", "/identity/v1/token?version=2025-08-26", `{"nonce":"` + strings.Repeat("a", 1025) + `"}`, []string{"Metadata-Flavor", "ibm"}, 400, "invalid_value", "nonce"},
		{"fail/method", "GET", "/identity/v1/token?version=2025-08-26", ``, []string{"Metadata-Flavor", "ibm"}, 404, "not_found", ""},
		{"fail/unknown-path", "PUT", "/identity/v1/tokens?version=2025-08-26", `{}`, []string{"Metadata-Flavor", "ibm"}, 404, "not_found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newEmu(t, nil)
			status, m := call(t, e, tt.method, md+tt.path, tt.body, tt.headers...)
			if status != tt.status {
				t.Fatalf("status got %d; want %d (%v)", status, tt.status, m)
			}
			if tt.code == "" {
				return
			}
			if got := errorCode(t, status, m); got != tt.code {
				t.Fatalf("code got %q; want %q", got, tt.code)
			}
			if tt.target != "" {
				target := m["errors"].([]any)[0].(map[string]any)["target"].(map[string]any)
				if got := target["name"]; got != tt.target {
					t.Fatalf("target got %q; want %q", got, tt.target)
				}
			}
		})
	}
}

func TestIdentityTokenResponse(t *testing.T) {
	e, _ := newEmu(t, nil)
	status, m := call(t, e, "PUT", md+"/identity/v1/token?version=2025-08-26", `{"expires_in": 600, "nonce": "2026-03-12T12:34:56.789Z"}`, "Metadata-Flavor", "ibm")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	want := map[string]any{
		"created_at": "2026-03-12T12:34:56.789Z", "expires_at": "2026-03-12T12:44:56.789Z",
		"expires_in": float64(600), "nonce": "2026-03-12T12:34:56.789Z",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s got %v; want %v", k, m[k], v)
		}
	}
	tok := m["access_token"].(string)
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	var hdr map[string]any
	decodeSeg(t, parts[0], &hdr)
	if hdr["alg"] != "RS256" || !strings.HasPrefix(hdr["kid"].(string), "VSI-CR_us-south_") {
		t.Fatalf("header got %v", hdr)
	}
	var claims map[string]any
	decodeSeg(t, parts[1], &claims)
	if claims["iss"] != "VSI-CR_us-south" || claims["nonce"] != "2026-03-12T12:34:56.789Z" {
		t.Fatalf("claims got %v", claims)
	}
	iaas := claims["iaas"].(map[string]any)
	for k, v := range map[string]string{
		"instanceID": scenario.DefaultInstanceID, "accountID": scenario.DefaultAccountID, "zone": scenario.DefaultZone,
		"region": "us-south", "profile_name": "bx2-2x8", "resource_group_id": scenario.DefaultResourceGroup,
	} {
		if iaas[k] != v {
			t.Errorf("iaas.%s got %v; want %v", k, iaas[k], v)
		}
	}
	if aud := claims["aud"].([]any); len(aud) != 2 || aud[0] != "VSI-CR_us-south" {
		t.Errorf("aud got %v", aud)
	}
	if int64(claims["exp"].(float64))-int64(claims["iat"].(float64)) != 600 {
		t.Errorf("exp-iat got %v", claims)
	}
	for _, k := range []string{"vpc", "subnets", "ip_addresses"} {
		if claims[k] == nil {
			t.Errorf("claim %s missing", k)
		}
	}
	c, err := e.VerifyIdentityToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	if c.VPC.ID != scenario.DefaultVPCID {
		t.Errorf("vpc got %q; want %q", c.VPC.ID, scenario.DefaultVPCID)
	}
}

func decodeSeg(t testing.TB, seg string, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func TestServiceDisabled(t *testing.T) {
	e, _ := newEmu(t, nil)
	tok := token(t, e)
	if err := e.SetMetadataService("", scenario.MetadataService{Enabled: false, Protocol: "http", ResponseHopLimit: 1}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ method, path, body string }{
		{"PUT", "/identity/v1/token?version=2025-08-26", `{}`},
		{"POST", "/identity/v1/iam_tokens?version=2025-08-26", `{}`},
		{"POST", "/identity/v1/certificates?version=2025-08-26", `{}`},
		{"GET", "/metadata/v1/instance?version=2025-08-26", ``},
	} {
		status, m := call(t, e, c.method, md+c.path, c.body, "Metadata-Flavor", "ibm", "Authorization", "Bearer "+tok)
		if status != 403 || errorCode(t, status, m) != "unauthorized" {
			t.Errorf("%s %s: got %d %v; want 403 unauthorized", c.method, c.path, status, m)
		}
	}
	events := e.Events()
	if len(events) != 5 {
		t.Fatalf("got %d events; want 5", len(events))
	}
	wantActions := []string{"is.metadata.jwt-token.create", "is.metadata.jwt-token.create", "is.metadata.computeresource-token.request",
		"is.metadata.instance-identity-certificate.create", "is.metadata.instance.read"}
	for i, ev := range events {
		if ev.Action != wantActions[i] {
			t.Errorf("event %d action got %q; want %q", i, ev.Action, wantActions[i])
		}
		if i > 0 && (ev.Outcome != "failure" || ev.Reason.ReasonCode != 403) {
			t.Errorf("event %d got %s %d; want failure 403", i, ev.Outcome, ev.Reason.ReasonCode)
		}
	}
}
