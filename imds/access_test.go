package imds_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/scenario"
)

// profileToken gets, on the instance, an IAM token of the trusted profile with that ID.
func profileToken(t testing.TB, e *imds.Emulator, profileID string) string {
	t.Helper()
	status, m := call(t, e, "POST", md+"/identity/v1/iam_tokens?version=2025-08-26", `{"trusted_profile": {"id": "`+profileID+`"}}`, "Authorization", "Bearer "+token(t, e))
	if status != 200 {
		t.Fatalf("IAM exchange for %s: %d %v", profileID, status, m)
	}
	return m["access_token"].(string)
}

// TestVPCAccess: every VPC route checks the caller's platform role on VPC Infrastructure
// Services against IBM's table of minimum roles. The default world's my-vsi-reader is a
// Viewer, my-cos-writer has no VPC policy, the operator is an Administrator.
func TestVPCAccess(t *testing.T) {
	inst := "/v1/instances/" + scenario.DefaultInstanceID
	tmpl := "/v1/instance/templates/" + scenario.DefaultTemplateID
	tests := []struct {
		method, path, body string
		// status for the operator, my-vsi-reader (Viewer) and my-cos-writer (no VPC role)
		operator, viewer, none int
	}{
		{"GET", "/v1/instances", "", 200, 200, 403},
		{"GET", inst, "", 200, 200, 403},
		{"GET", inst + "/network_interfaces", "", 200, 200, 403},
		{"GET", inst + "/initialization", "", 200, 403, 403},
		{"GET", "/v1/instance/templates", "", 200, 200, 403},
		{"GET", tmpl, "", 200, 200, 403},
		{"GET", "/v1/keys", "", 200, 200, 403},
		{"GET", "/v1/instance/profiles", "", 200, 200, 200},
		{"PATCH", inst, `{"metadata_service": {"enabled": false}}`, 200, 403, 403},
		{"POST", inst + "/actions", `{"type": "reboot"}`, 201, 403, 403},
		{"PATCH", tmpl, `{"name": "renamed"}`, 200, 403, 403},
		{"POST", "/v1/instance/templates", `{}`, 400, 403, 403},
		{"POST", "/v1/instances", `{}`, 400, 403, 403},
		{"DELETE", tmpl, "", 204, 403, 403},
		{"DELETE", inst, "", 409, 403, 403},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			for _, who := range []struct {
				name, profile string
				want          int
			}{{"operator", "", tt.operator}, {"viewer", scenario.DefaultProfileID, tt.viewer}, {"none", scenario.LinkedProfileID, tt.none}} {
				e, _ := newEmu(t, nil)
				tok, _ := e.UserToken()
				if who.profile != "" {
					tok = profileToken(t, e, who.profile)
				}
				before := e.Scenario()
				status, body := roundTrip(t, e, workstation, tt.method, vpcAPI+tt.path+"?"+vpcQuery, tt.body, "Authorization", "Bearer "+tok)
				if status != who.want {
					t.Errorf("%s: got %d; want %d: %s", who.name, status, who.want, body)
					continue
				}
				if status != 403 {
					continue
				}
				wantError(t, status, body, 403, "not_authorized", "")
				if !strings.Contains(string(body), "the provided token is not authorized to") {
					t.Errorf("%s: message is not IBM's: %s", who.name, body)
				}
				// Refused means unchanged, and recorded: the caller is known.
				if after := e.Scenario(); !jsonEqual(t, before, after) {
					t.Errorf("%s: a refused call changed the world", who.name)
				}
				evs := e.Events()
				if ev := evs[len(evs)-1]; ev.Reason.ReasonCode != 403 || ev.Initiator.TypeURI != "service/security/account/profile" {
					t.Errorf("%s: event got %+v", who.name, ev)
				}
			}
		})
	}
}

func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestVPCAccessMessage: the refusal names what was refused, in the words IBM's CLI prints.
func TestVPCAccessMessage(t *testing.T) {
	e, _ := newEmu(t, nil)
	tok := profileToken(t, e, scenario.DefaultProfileID)
	status, body := roundTrip(t, e, workstation, "PATCH", vpcAPI+"/v1/instances/"+scenario.DefaultInstanceID+"?"+vpcQuery, `{}`, "Authorization", "Bearer "+tok)
	want := "the provided token is not authorized to update the specified instance (ID:" + scenario.DefaultInstanceID + ") in this account: it needs the Editor role on VPC Infrastructure Services"
	if status != 403 || !strings.Contains(string(body), want) {
		t.Errorf("got %d %s; want %q", status, body, want)
	}
}

// TestVPCAccessPolicies: roles come from the scenario's policies, read at each call; a scenario
// without policies (written before they existed) allows everything, an empty list nothing.
func TestVPCAccessPolicies(t *testing.T) {
	s := scenario.Default()
	for i := range s.TrustedProfiles {
		s.TrustedProfiles[i].Policies = nil
	}
	s.Operator.Policies = []scenario.Policy{}
	e, _ := newEmu(t, s)
	patch := func(tok string) int {
		status, _ := roundTrip(t, e, workstation, "PATCH", vpcAPI+"/v1/instances/"+scenario.DefaultInstanceID+"?"+vpcQuery, `{"name": "x1"}`, "Authorization", "Bearer "+tok)
		return status
	}
	if got := patch(profileToken(t, e, scenario.DefaultProfileID)); got != 200 {
		t.Errorf("profile without policies: got %d; want 200", got)
	}
	user, _ := e.UserToken()
	if got := patch(user); got != 403 {
		t.Errorf("operator with no policies: got %d; want 403", got)
	}
	// A change of policy applies to the next call, with the same token.
	e.Update(func(s *scenario.Scenario) error {
		s.Operator.Policies = []scenario.Policy{{Service: scenario.VPCService, Roles: []string{"Viewer", "Editor"}}}
		return nil
	})
	if got := patch(user); got != 200 {
		t.Errorf("operator made Editor: got %d; want 200", got)
	}
}

// TestAccess: what the panel shows, from imds: each holder's role and the operations it may
// and may not call, also at /_emulator/access.
func TestAccess(t *testing.T) {
	e, _ := newEmu(t, nil)
	acc := e.Access()
	if len(acc) != 4 || acc[0].Kind != "operator" || acc[0].Role != "Administrator" || len(acc[0].Denied) != 0 {
		t.Fatalf("operator got %+v", acc[0])
	}
	reader := acc[1]
	if reader.Name != scenario.DefaultProfileName || reader.Role != "Viewer" || !slices.Contains(reader.Operations, "GET /v1/instances/{id}") ||
		!slices.Contains(reader.Denied, "PATCH /v1/instances/{id}") || !slices.Contains(reader.LinkedInstances, scenario.DefaultInstanceID) {
		t.Errorf("my-vsi-reader got %+v", reader)
	}
	if writer := acc[2]; writer.Role != "" || slices.Contains(writer.Operations, "GET /v1/instances") || writer.Policies[0].Service != "cloud-object-storage" {
		t.Errorf("my-cos-writer got %+v", writer)
	}
	body := get(t, e, md+"/_emulator/access")
	var doc struct {
		Access []imds.Access `json:"access"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || len(doc.Access) != 4 || doc.Access[1].Role != "Viewer" {
		t.Errorf("/_emulator/access got %v %s", err, body)
	}
}

// TestErrorShapes: the metadata and identity host answers errors as the real service did in
// the capture (errors and trace only; X-Request-Id is the trace; charset in the content type;
// invalid_version_range naming the date as a parameter); the VPC API keeps status_code.
func TestErrorShapes(t *testing.T) {
	e, _ := newEmu(t, nil)
	req, _ := http.NewRequest("PUT", "http://169.254.169.254/instance_identity/v1/token?version=2021-09-30", strings.NewReader(`{"expires_in": 300}`))
	req.Header.Set("Metadata-Flavor", "ibm")
	req.Header.Set("Accept", "application/json")
	resp, err := (&http.Client{Transport: e.Transport(imds.Origin{})}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw map[string]json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var trace string
	json.Unmarshal(raw["trace"], &trace)
	wantErrors := `[{"code":"invalid_version_range","message":"The ` + "`version`" + ` value cannot be before ` + "`2022-03-01`" + `.","target":{"name":"2021-09-30","type":"parameter"}}]`
	if resp.StatusCode != 400 || !slices.Equal(keys, []string{"errors", "trace"}) || string(raw["errors"]) != wantErrors {
		t.Errorf("got %d %v %s; want 400, errors and trace only, %s", resp.StatusCode, keys, raw["errors"], wantErrors)
	}
	if got := resp.Header.Get("X-Request-Id"); got != trace || len(trace) != 36 {
		t.Errorf("X-Request-Id got %q; want the trace %q", got, trace)
	}
	if got := resp.Header.Get("Content-Type"); got != "application/json; charset=utf-8" {
		t.Errorf("Content-Type got %q", got)
	}
	status, body := vpcCall(t, e, "GET", "/v1/instances/nope", "")
	var vpcBody struct {
		StatusCode int `json:"status_code"`
	}
	if json.Unmarshal(body, &vpcBody); status != 404 || vpcBody.StatusCode != 404 {
		t.Errorf("VPC API error got %d %s; want status_code 404", status, body)
	}
}
