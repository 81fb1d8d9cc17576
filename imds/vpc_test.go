package imds_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/scenario"
)

const (
	vpcAPI   = "https://us-south.iaas.cloud.ibm.com"
	vpcQuery = "version=2025-05-13&generation=2"
)

var workstation = imds.Origin{Place: imds.OnWorkstation}

// vpcCall sends a VPC API request from the workstation with the operator's IAM token and the
// usual version and generation.
func vpcCall(t testing.TB, e *imds.Emulator, method, path, body string) (int, []byte) {
	t.Helper()
	tok, err := e.UserToken()
	if err != nil {
		t.Fatal(err)
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return roundTrip(t, e, workstation, method, vpcAPI+path+sep+vpcQuery, body, "Authorization", "Bearer "+tok)
}

// vpcJSON is vpcCall for a call that must succeed with status want; it decodes the answer.
func vpcJSON(t testing.TB, e *imds.Emulator, method, path, body string, want int) map[string]any {
	t.Helper()
	status, data := vpcCall(t, e, method, path, body)
	if status != want {
		t.Fatalf("%s %s: status got %d; want %d: %s", method, path, status, want, data)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// at walks a decoded JSON document: jsonAt(m, "metadata_service", "enabled").
func jsonAt(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func TestVPCRoutes(t *testing.T) {
	tests := []struct{ name, method, path string }{
		{"ok/instances", "GET", "/v1/instances"},
		{"ok/instance", "GET", "/v1/instances/" + scenario.DefaultInstanceID},
		{"ok/templates", "GET", "/v1/instance/templates"},
		{"ok/template", "GET", "/v1/instance/templates/" + scenario.DefaultTemplateID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newEmu(t, nil)
			status, body := vpcCall(t, e, tt.method, tt.path, "")
			if status != 200 {
				t.Fatalf("status got %d; want 200: %s", status, body)
			}
			goldenJSON(t, "vpc/"+strings.TrimPrefix(tt.name, "ok/"), body)
		})
	}
}

func TestVPCPaging(t *testing.T) {
	e, _ := newEmu(t, twoInstances())
	m := vpcJSON(t, e, "GET", "/v1/instances?limit=1", "", 200)
	if got := len(m["instances"].([]any)); got != 1 || m["total_count"] != 2.0 || m["limit"] != 1.0 {
		t.Fatalf("page got %d of %v (limit %v); want 1 of 2", got, m["total_count"], m["limit"])
	}
	next, _ := jsonAt(m, "next", "href").(string)
	if want := vpcAPI + "/v1/instances?limit=1&start=" + secondInstanceID; next != want {
		t.Fatalf("next got %q; want %q", next, want)
	}
	m = vpcJSON(t, e, "GET", "/v1/instances?limit=1&start="+secondInstanceID, "", 200)
	if got := jsonAt(m["instances"].([]any)[0], "id"); got != secondInstanceID || m["next"] != nil {
		t.Errorf("second page got %v, next %v; want %s and no next", got, m["next"], secondInstanceID)
	}
	m = vpcJSON(t, e, "GET", "/v1/instances?name=my-second-server", "", 200)
	if m["total_count"] != 1.0 {
		t.Errorf("name filter got %v instances; want 1", m["total_count"])
	}
	for _, tt := range []struct{ q, code string }{
		{"limit=0", "validation_min_value"}, {"limit=101", "validation_max_value"}, {"limit=ten", "validation_invalid_field_type"}, {"start=nope", "bad_field"},
	} {
		status, body := vpcCall(t, e, "GET", "/v1/instances?"+tt.q, "")
		wantError(t, status, body, 400, tt.code, strings.Split(tt.q, "=")[0]+" query_parameter")
	}
}

func TestVPCAuthAndVersion(t *testing.T) {
	e, _ := newEmu(t, nil)
	user, _ := e.UserToken()
	// A trusted profile's IAM token, as an instance gets it, is accepted too.
	status, body := roundTrip(t, e, imds.Origin{}, "POST", md+"/identity/v1/iam_tokens?version=2025-08-26", "", "Authorization", "Bearer "+token(t, e))
	var ex struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &ex); status != 200 || err != nil {
		t.Fatalf("IAM exchange: %d %s", status, body)
	}
	const inst = "/v1/instances/" + scenario.DefaultInstanceID
	tests := []struct {
		name, path, query, auth string
		status                  int
		code, target            string
	}{
		{name: "ok/user", path: inst, query: vpcQuery, auth: "Bearer " + user, status: 200},
		{name: "ok/trusted-profile", path: inst, query: vpcQuery, auth: "Bearer " + ex.AccessToken, status: 200},
		{name: "ok/no-generation", path: inst, query: "version=2025-05-13", auth: "Bearer " + user, status: 200},
		{name: "ok/oldest-version", path: inst, query: "version=2019-01-01", auth: "Bearer " + user, status: 200},
		{name: "fail/no-token", path: inst, query: vpcQuery, status: 401, code: "not_authorized"},
		{name: "fail/basic", path: inst, query: vpcQuery, auth: "Basic dXNlcjpwYXNz", status: 401, code: "not_authorized"},
		{name: "fail/garbage-token", path: inst, query: vpcQuery, auth: "Bearer abc.def.ghi", status: 401, code: "not_authorized"},
		{name: "fail/identity-token", path: inst, query: vpcQuery, auth: "Bearer " + token(t, e), status: 401, code: "not_authorized"},
		{name: "fail/missing-version", path: inst, query: "generation=2", auth: "Bearer " + user, status: 400, code: "missing_version", target: "version query_parameter"},
		{name: "fail/malformed-version", path: inst, query: "version=2025-13-01", auth: "Bearer " + user, status: 400, code: "invalid_version", target: "version query_parameter"},
		{name: "fail/version-too-old", path: inst, query: "version=2018-12-31", auth: "Bearer " + user, status: 400, code: "invalid_version_range", target: "version query_parameter"},
		{name: "fail/version-in-future", path: inst, query: "version=2026-03-13", auth: "Bearer " + user, status: 400, code: "invalid_version_range", target: "version query_parameter"},
		{name: "fail/generation-1", path: inst, query: "version=2025-05-13&generation=1", auth: "Bearer " + user, status: 400, code: "invalid_generation_parameter", target: "generation query_parameter"},
		{name: "fail/unknown-instance", path: "/v1/instances/0727_00000000-0000-4000-8000-000000000000", query: vpcQuery, auth: "Bearer " + user, status: 404, code: "not_found", target: "id path_parameter"},
		{name: "fail/instance-by-name", path: "/v1/instances/" + scenario.DefaultInstanceName, query: vpcQuery, auth: "Bearer " + user, status: 404, code: "not_found", target: "id path_parameter"},
		{name: "fail/unknown-template", path: "/v1/instance/templates/nope", query: vpcQuery, auth: "Bearer " + user, status: 404, code: "not_found", target: "id path_parameter"},
		{name: "fail/unknown-route", path: "/v1/volumes", query: vpcQuery, auth: "Bearer " + user, status: 404, code: "invalid_route"},
		{name: "fail/instance-subresource", path: inst + "/disks", query: vpcQuery, auth: "Bearer " + user, status: 404, code: "invalid_route"},
		{name: "fail/empty-id", path: "/v1/instances/", query: vpcQuery, auth: "Bearer " + user, status: 404, code: "invalid_route"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hdr []string
			if tt.auth != "" {
				hdr = []string{"Authorization", tt.auth}
			}
			status, body := roundTrip(t, e, workstation, "GET", vpcAPI+tt.path+"?"+tt.query, "", hdr...)
			if tt.status == 200 {
				if status != 200 {
					t.Fatalf("status got %d; want 200: %s", status, body)
				}
				return
			}
			wantError(t, status, body, tt.status, tt.code, tt.target)
		})
	}
}

// TestVPCMethods: a wrong method on a VPC path is a route the API does not have.
func TestVPCMethods(t *testing.T) {
	inst := "/v1/instances/" + scenario.DefaultInstanceID
	tests := []struct{ name, method, path string }{
		{"fail/put-instances", "PUT", "/v1/instances"},
		{"fail/post-instance", "POST", inst},
		{"fail/get-actions", "GET", inst + "/actions"},
		{"fail/delete-templates", "DELETE", "/v1/instance/templates"},
		{"fail/post-template", "POST", "/v1/instance/templates/" + scenario.DefaultTemplateID},
		{"fail/delete-keys", "DELETE", "/v1/keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newEmu(t, nil)
			status, body := vpcCall(t, e, tt.method, tt.path, "")
			wantError(t, status, body, 404, "invalid_route", "")
		})
	}
}

// TestVPCOtherRegion: another region's endpoint holds none of the scenario's resources.
func TestVPCOtherRegion(t *testing.T) {
	e, _ := newEmu(t, nil)
	tok, _ := e.UserToken()
	status, body := roundTrip(t, e, workstation, "GET", "https://eu-de.iaas.cloud.ibm.com/v1/instances?"+vpcQuery, "", "Authorization", "Bearer "+tok)
	if status != 200 || !strings.Contains(string(body), `"total_count":0`) {
		t.Errorf("list got %d %s; want an empty collection", status, body)
	}
	status, body = roundTrip(t, e, workstation, "GET", "https://eu-de.iaas.cloud.ibm.com/v1/instances/"+scenario.DefaultInstanceID+"?"+vpcQuery, "", "Authorization", "Bearer "+tok)
	wantError(t, status, body, 404, "not_found", "id path_parameter")
}

func TestVPCUpdateInstance(t *testing.T) {
	inst := "/v1/instances/" + scenario.DefaultInstanceID
	tests := []struct {
		name, body string
		want       scenario.MetadataService // for ok cases
		wantName   string
		status     int
		code       string
		target     string
	}{
		{name: "ok/disable", body: `{"metadata_service": {"enabled": false}}`, want: ms(false, "http", 1)},
		{name: "ok/https-only", body: `{"metadata_service": {"protocol": "https"}}`, want: ms(true, "https", 1)},
		{name: "ok/hop-limit-only", body: `{"metadata_service": {"response_hop_limit": 64}}`, want: ms(true, "http", 64)},
		{name: "ok/all", body: `{"metadata_service": {"enabled": true, "protocol": "https", "response_hop_limit": 2}}`, want: ms(true, "https", 2)},
		{name: "ok/name", body: `{"name": "renamed-server"}`, want: ms(true, "http", 1), wantName: "renamed-server"},
		{name: "ok/empty", body: ``, want: ms(true, "http", 1)},
		{name: "fail/hop-limit-0", body: `{"metadata_service": {"response_hop_limit": 0}}`, status: 400, code: "validation_min_value", target: "metadata_service.response_hop_limit field"},
		{name: "fail/hop-limit-65", body: `{"metadata_service": {"response_hop_limit": 65}}`, status: 400, code: "validation_max_value", target: "metadata_service.response_hop_limit field"},
		{name: "fail/hop-limit-fraction", body: `{"metadata_service": {"response_hop_limit": 1.5}}`, status: 400, code: "validation_invalid_field_type", target: "metadata_service.response_hop_limit field"},
		{name: "fail/protocol", body: `{"metadata_service": {"protocol": "ftp"}}`, status: 400, code: "validation_enum", target: "metadata_service.protocol field"},
		{name: "fail/enabled-string", body: `{"metadata_service": {"enabled": "yes"}}`, status: 400, code: "validation_invalid_field_type", target: "metadata_service.enabled field"},
		{name: "fail/default-trusted-profile", body: `{"default_trusted_profile": {"target": {"id": "` + scenario.LinkedProfileID + `"}}}`, status: 400, code: "invalid_request_field", target: "default_trusted_profile field"},
		{name: "fail/unknown-field", body: `{"metadata": {"enabled": true}}`, status: 400, code: "invalid_request_field", target: "metadata field"},
		{name: "fail/malformed", body: `{"metadata_service": `, status: 400, code: "bad_request"},
		{name: "fail/not-object", body: `[1]`, status: 400, code: "bad_request"},
		{name: "fail/bad-name", body: `{"name": "My_Server"}`, status: 400, code: "validation_invalid_name", target: "name field"},
		{name: "fail/name-taken", body: `{"name": "my-second-server"}`, status: 400, code: "validation_unique_failed", target: "name field"},
		{name: "fail/resize-running", body: `{"profile": {"name": "bx2-4x16"}}`, status: 409, code: "invalid_state", target: "profile field"},
		{name: "fail/unknown-profile", body: `{"profile": {"name": "zz9-1x1"}}`, status: 400, code: "not_found", target: "profile.name field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newEmu(t, twoInstances())
			status, body := vpcCall(t, e, "PATCH", inst, tt.body)
			got := e.Scenario().Instance(scenario.DefaultInstanceID)
			evs := e.Events()
			if ev := evs[len(evs)-1]; ev.Action != "is.instance.instance.update" || ev.Initiator.Name != "test.user@ibm.com" || ev.Reason.ReasonCode != status {
				t.Errorf("event got %+v; want is.instance.instance.update by the operator", ev)
			}
			if tt.status != 0 {
				wantError(t, status, body, tt.status, tt.code, tt.target)
				if def := scenario.Default().Instances[0]; got.MetadataService != def.MetadataService || got.Name != def.Name {
					t.Errorf("failed update changed the instance: %+v", got)
				}
				return
			}
			if status != 200 {
				t.Fatalf("status got %d; want 200: %s", status, body)
			}
			if got.MetadataService != tt.want {
				t.Errorf("metadata_service got %+v; want %+v", got.MetadataService, tt.want)
			}
			var v struct {
				MetadataService scenario.MetadataService `json:"metadata_service"`
				Name            string                   `json:"name"`
			}
			json.Unmarshal(body, &v)
			if v.MetadataService != tt.want {
				t.Errorf("answer's metadata_service got %+v; want %+v", v.MetadataService, tt.want)
			}
			if tt.wantName != "" && (v.Name != tt.wantName || got.Name != tt.wantName) {
				t.Errorf("name got %q (stored %q); want %q", v.Name, got.Name, tt.wantName)
			}
		})
	}
}

// TestVPCConfiguresMetadata: what the VPC API sets is what the instance then finds.
func TestVPCConfiguresMetadata(t *testing.T) {
	e, _ := newEmu(t, nil)
	inst := "/v1/instances/" + scenario.DefaultInstanceID
	tok := token(t, e)
	read := func() (int, []byte) {
		return roundTrip(t, e, imds.Origin{}, "GET", md+"/metadata/v1/instance"+mdVersion, "", "Authorization", "Bearer "+tok)
	}

	vpcJSON(t, e, "PATCH", inst, `{"metadata_service": {"enabled": false}}`, 200)
	status, body := read()
	wantError(t, status, body, 403, "unauthorized", "")

	vpcJSON(t, e, "PATCH", inst, `{"metadata_service": {"enabled": true, "response_hop_limit": 5}}`, 200)
	status, body = read()
	var in struct {
		MetadataService scenario.MetadataService `json:"metadata_service"`
	}
	if err := json.Unmarshal(body, &in); status != 200 || err != nil {
		t.Fatalf("metadata after enabling: %d %s", status, body)
	}
	if want := ms(true, "http", 5); in.MetadataService != want {
		t.Errorf("metadata_service got %+v; want %+v", in.MetadataService, want)
	}

	vpcJSON(t, e, "PATCH", inst, `{"metadata_service": {"protocol": "https"}}`, 200)
	req, _ := http.NewRequest("GET", md+"/metadata/v1/instance"+mdVersion, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if _, err := (&http.Client{Transport: e.Transport(imds.Origin{})}).Do(req); !errors.Is(err, imds.ErrConnRefused) {
		t.Errorf("plain http after https-only got %v; want %v", err, imds.ErrConnRefused)
	}
	status, _ = roundTrip(t, e, imds.Origin{}, "GET", "https://api.metadata.cloud.ibm.com/metadata/v1/instance"+mdVersion, "", "Authorization", "Bearer "+tok)
	if status != 200 {
		t.Errorf("https after https-only got %d; want 200", status)
	}
}

func TestVPCInstanceActions(t *testing.T) {
	e, _ := newEmu(t, nil)
	path := "/v1/instances/" + scenario.DefaultInstanceID
	steps := []struct {
		name, body string
		status     int
		code       string
		after      string // the instance's status afterwards
	}{
		{name: "fail/start-running", body: `{"type": "start"}`, status: 409, code: "invalid_state", after: "running"},
		{name: "ok/reboot", body: `{"type": "reboot"}`, status: 201, after: "running"},
		{name: "ok/stop", body: `{"type": "stop", "force": true}`, status: 201, after: "stopped"},
		{name: "fail/stop-stopped", body: `{"type": "stop"}`, status: 409, code: "invalid_state", after: "stopped"},
		{name: "fail/reboot-stopped", body: `{"type": "reboot"}`, status: 409, code: "invalid_state", after: "stopped"},
		{name: "ok/resize-stopped", after: "stopped"},
		{name: "ok/start", body: `{"type": "start"}`, status: 201, after: "running"},
		{name: "fail/no-type", body: `{}`, status: 400, code: "validation_required_field", after: "running"},
		{name: "fail/bad-type", body: `{"type": "hibernate"}`, status: 400, code: "validation_enum", after: "running"},
		{name: "fail/unknown-field", body: `{"type": "stop", "when": "now"}`, status: 400, code: "invalid_request_field", after: "running"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.name == "ok/resize-stopped" {
				m := vpcJSON(t, e, "PATCH", path, `{"profile": {"name": "bx2-4x16"}}`, 200)
				if jsonAt(m, "vcpu", "count") != 4.0 || jsonAt(m, "memory") != 16.0 {
					t.Errorf("resized instance got vcpu %v memory %v; want 4 and 16", jsonAt(m, "vcpu", "count"), jsonAt(m, "memory"))
				}
				return
			}
			status, body := vpcCall(t, e, "POST", path+"/actions", st.body)
			if st.code != "" {
				target := "type field"
				if st.code == "invalid_request_field" {
					target = "when field"
				}
				wantError(t, status, body, st.status, st.code, target)
			} else {
				var a map[string]any
				json.Unmarshal(body, &a)
				if status != 201 || a["status"] != "completed" || !strings.HasPrefix(a["href"].(string), vpcAPI+path+"/actions/") {
					t.Errorf("action got %d %s", status, body)
				}
				evs := e.Events()
				if ev := evs[len(evs)-1]; ev.Action != "is.instance.action.create" || ev.Outcome != "success" {
					t.Errorf("event got %+v", ev)
				}
			}
			if got := e.Scenario().Instance(scenario.DefaultInstanceID).Status; got != st.after {
				t.Errorf("status got %q; want %q", got, st.after)
			}
		})
	}
	t.Run("fail/unknown-instance", func(t *testing.T) {
		status, body := vpcCall(t, e, "POST", "/v1/instances/0727_00000000-0000-4000-8000-000000000000/actions", `{"type": "stop"}`)
		wantError(t, status, body, 404, "not_found", "id path_parameter")
	})
}

const templateBody = `{
	"name": "web-template",
	"image": {"id": "` + scenario.DefaultImageID + `"},
	"keys": [{"id": "` + scenario.SecondKeyID + `"}],
	"metadata_service": {"enabled": true},
	"primary_network_attachment": {"virtual_network_interface": {"subnet": {"id": "` + scenario.DefaultSubnetID + `"}}},
	"profile": {"name": "cx2-2x4"},
	"vpc": {"id": "` + scenario.DefaultVPCID + `"},
	"zone": {"name": "us-south-2"},
	"default_trusted_profile": {"target": {"crn": "crn:v1:bluemix:public:iam-identity::a/` + scenario.DefaultAccountID + `::profile:` + scenario.UnlinkedProfileID + `"}, "auto_link": false},
	"placement_target": {"id": "` + scenario.DefaultPlacementID + `"}
}`

func TestVPCTemplates(t *testing.T) {
	e, _ := newEmu(t, nil)
	status, body := vpcCall(t, e, "POST", "/v1/instance/templates", templateBody)
	if status != 201 {
		t.Fatalf("create: %d %s", status, body)
	}
	goldenJSON(t, "vpc/template-created", body)
	var created struct {
		ID string `json:"id"`
	}
	json.Unmarshal(body, &created)
	if got := e.Scenario().Template(created.ID); got == nil || got.MetadataService != ms(true, "http", 1) || !got.NetworkAttachment {
		t.Fatalf("stored template got %+v", got)
	}

	tmpl := "/v1/instance/templates/" + scenario.DefaultTemplateID
	tests := []struct {
		name, path, body string
		status           int
		code, target     string
	}{
		{name: "ok/rename", path: tmpl, body: `{"name": "renamed-template"}`, status: 200},
		{name: "ok/empty", path: tmpl, body: `{}`, status: 200},
		{name: "fail/metadata-service", path: tmpl, body: `{"metadata_service": {"enabled": false}}`, status: 400, code: "invalid_request_field", target: "metadata_service field"},
		{name: "fail/metadata-service-with-name", path: tmpl, body: `{"name": "x", "metadata_service": {"enabled": true}}`, status: 400, code: "invalid_request_field", target: "metadata_service field"},
		{name: "fail/other-field", path: tmpl, body: `{"profile": {"name": "bx2-4x16"}}`, status: 400, code: "invalid_request_field", target: "profile field"},
		{name: "fail/name-taken", path: tmpl, body: `{"name": "web-template"}`, status: 400, code: "validation_unique_failed", target: "name field"},
		{name: "fail/name-number", path: tmpl, body: `{"name": 7}`, status: 400, code: "validation_invalid_field_type", target: "name field"},
		{name: "fail/unknown-template", path: "/v1/instance/templates/nope", body: `{"name": "x"}`, status: 404, code: "not_found", target: "id path_parameter"},
		{name: "fail/create-hop-limit", path: "/v1/instance/templates", body: strings.Replace(templateBody, `{"enabled": true}`, `{"enabled": true, "response_hop_limit": 65}`, 1), status: 400, code: "validation_max_value", target: "metadata_service.response_hop_limit field"},
		{name: "fail/create-missing-image", path: "/v1/instance/templates", body: `{"zone": {"name": "us-south-2"}, "primary_network_interface": {"subnet": {"id": "` + scenario.DefaultSubnetID + `"}}}`, status: 400, code: "validation_required_field", target: "image field"},
		{name: "fail/create-name-taken", path: "/v1/instance/templates", body: templateBody, status: 400, code: "validation_unique_failed", target: "name field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := "PATCH"
			if tt.path == "/v1/instance/templates" {
				method = "POST"
			}
			before := e.Scenario()
			status, body := vpcCall(t, e, method, tt.path, tt.body)
			if tt.code != "" {
				wantError(t, status, body, tt.status, tt.code, tt.target)
				if after := e.Scenario(); !reflect.DeepEqual(after.Templates, before.Templates) {
					t.Errorf("failed call changed the templates")
				}
				return
			}
			if status != tt.status {
				t.Fatalf("status got %d; want %d: %s", status, tt.status, body)
			}
			if got := e.Scenario().Template(scenario.DefaultTemplateID).MetadataService; got != ms(true, "https", 2) {
				t.Errorf("metadata_service changed to %+v", got)
			}
		})
	}
	evs := e.Events()
	actions := map[string]bool{}
	for _, ev := range evs {
		actions[ev.Action] = true
	}
	for _, a := range []string{"is.instance.instance-template.create", "is.instance.instance-template.update"} {
		if !actions[a] {
			t.Errorf("no %s event in %v", a, actions)
		}
	}
}

func TestVPCCreateInstance(t *testing.T) {
	const minimal = `{
		"name": "my-new-server",
		"image": {"id": "` + scenario.DefaultImageID + `"},
		"zone": {"name": "us-south-2"},
		"primary_network_interface": {"subnet": {"id": "` + scenario.DefaultSubnetID + `"}}
	}`
	fromTemplate := func(extra string) string {
		return `{"source_template": {"id": "` + scenario.DefaultTemplateID + `"}` + extra + `}`
	}
	tests := []struct {
		name, body string
		golden     string
		status     int
		code       string
		target     string
		check      func(t *testing.T, in *scenario.Instance, s *scenario.Scenario)
	}{
		{
			name: "ok/minimal", body: minimal, golden: "vpc/instance-created", status: 201,
			check: func(t *testing.T, in *scenario.Instance, s *scenario.Scenario) {
				if in.MetadataService != ms(false, "http", 1) || in.DefaultProfile != nil || in.Profile != "bx2-2x8" {
					t.Errorf("defaults got %+v %v %q; want disabled http 1, no profile, bx2-2x8", in.MetadataService, in.DefaultProfile, in.Profile)
				}
				if got := in.NetworkInterfaces[0].PrimaryIPv4Address; got != "10.240.64.4" {
					t.Errorf("primary address got %q; want the first free one, 10.240.64.4", got)
				}
			},
		},
		{
			name: "ok/from-template", body: fromTemplate(`, "name": "from-template"`), status: 201,
			check: func(t *testing.T, in *scenario.Instance, s *scenario.Scenario) {
				if in.MetadataService != ms(true, "https", 2) || in.Template != scenario.DefaultTemplateID || in.Zone != "us-south-2" {
					t.Errorf("got %+v from %q; want the template's https 2", in.MetadataService, in.Template)
				}
				if !slices.Contains(s.FindProfile(scenario.TrustedProfileTarget{ID: scenario.DefaultProfileID}).LinkedInstances, in.ID) {
					t.Errorf("the template's auto-linked default profile is not linked to %s", in.ID)
				}
			},
		},
		{
			name: "ok/from-template-overrides", body: fromTemplate(`, "name": "overridden", "metadata_service": {"enabled": false, "response_hop_limit": 3}, "profile": {"name": "bx2-4x16"}, "user_data": "#!/bin/sh\necho hi\n"`),
			golden: "vpc/instance-from-template", status: 201,
			check: func(t *testing.T, in *scenario.Instance, s *scenario.Scenario) {
				// The override merges with the template's setting field by field: the template's
				// https stays (see the README's fidelity notes).
				if in.MetadataService != ms(false, "https", 3) || in.Profile != "bx2-4x16" || in.Name != "overridden" || in.UserData != "#!/bin/sh\necho hi\n" {
					t.Errorf("got %+v %q %q %q", in.MetadataService, in.Profile, in.Name, in.UserData)
				}
			},
		},
		{
			name: "ok/auto-link-default", body: strings.Replace(minimal, `"name"`, `"default_trusted_profile": {"target": {"id": "`+scenario.UnlinkedProfileID+`"}}, "name"`, 1), status: 201,
			check: func(t *testing.T, in *scenario.Instance, s *scenario.Scenario) {
				p := s.FindProfile(scenario.TrustedProfileTarget{ID: scenario.UnlinkedProfileID})
				if !in.DefaultProfile.AutoLink || !slices.Contains(p.LinkedInstances, in.ID) {
					t.Errorf("auto_link got %v, links %v; want true and linked", in.DefaultProfile.AutoLink, p.LinkedInstances)
				}
			},
		},
		{
			name: "ok/auto-link-off", body: strings.Replace(minimal, `"name"`, `"default_trusted_profile": {"target": {"id": "`+scenario.UnlinkedProfileID+`"}, "auto_link": false}, "name"`, 1), status: 201,
			check: func(t *testing.T, in *scenario.Instance, s *scenario.Scenario) {
				if p := s.FindProfile(scenario.TrustedProfileTarget{ID: scenario.UnlinkedProfileID}); slices.Contains(p.LinkedInstances, in.ID) {
					t.Errorf("profile linked although auto_link is false")
				}
			},
		},
		{
			name: "ok/network-attachment-and-address", status: 201,
			body: `{"image": {"id": "` + scenario.DefaultImageID + `"}, "zone": {"name": "us-south-2"}, "primary_network_attachment": {"name": "att0", "virtual_network_interface": {"subnet": {"id": "` + scenario.DefaultSubnetID + `"}, "primary_ip": {"address": "10.240.64.99"}}}}`,
			check: func(t *testing.T, in *scenario.Instance, s *scenario.Scenario) {
				if len(in.NetworkAttachments) != 1 || in.NetworkAttachments[0].PrimaryIPv4Address != "10.240.64.99" || in.NetworkAttachments[0].Name != "att0" || in.NetworkInterfaces[0].PrimaryIPv4Address != "10.240.64.99" {
					t.Errorf("network got %+v / %+v", in.NetworkAttachments, in.NetworkInterfaces)
				}
				if in.Name == "" || strings.Count(in.Name, "-") != 3 {
					t.Errorf("generated name got %q; want four words", in.Name)
				}
			},
		},
		{name: "fail/unknown-profile", body: strings.Replace(minimal, `"name"`, `"profile": {"name": "zz9-1x1"}, "name"`, 1), status: 400, code: "not_found", target: "profile.name field"},
		{name: "fail/unknown-image", body: strings.Replace(minimal, scenario.DefaultImageID, "r006-nope", 1), status: 400, code: "not_found", target: "image.id field"},
		{name: "fail/image-by-name", body: strings.Replace(minimal, `{"id": "`+scenario.DefaultImageID+`"}`, `{"name": "ubuntu"}`, 1), status: 400, code: "invalid_request_field", target: "image.name field"},
		{name: "fail/unknown-subnet", body: strings.Replace(minimal, scenario.DefaultSubnetID, "0727-nope", 1), status: 400, code: "not_found", target: "primary_network_interface.subnet.id field"},
		{name: "fail/unknown-template", body: `{"source_template": {"id": "nope"}}`, status: 400, code: "not_found", target: "source_template.id field"},
		{name: "fail/unknown-trusted-profile", body: strings.Replace(minimal, `"name"`, `"default_trusted_profile": {"target": {"id": "Profile-nope"}}, "name"`, 1), status: 400, code: "not_found", target: "default_trusted_profile.target.id field"},
		{name: "fail/unknown-key", body: strings.Replace(minimal, `"name"`, `"keys": [{"id": "r006-nope"}], "name"`, 1), status: 400, code: "not_found", target: "keys[0].id field"},
		{name: "fail/missing-zone", body: strings.Replace(minimal, `"zone": {"name": "us-south-2"},`, "", 1), status: 400, code: "validation_required_field", target: "zone field"},
		{name: "fail/missing-network", body: `{"image": {"id": "` + scenario.DefaultImageID + `"}, "zone": {"name": "us-south-2"}}`, status: 400, code: "validation_required_field", target: "primary_network_interface field"},
		{name: "fail/foreign-zone", body: strings.Replace(minimal, "us-south-2", "eu-de-1", 1), status: 400, code: "not_found", target: "zone.name field"},
		{name: "fail/zone-mismatch", body: strings.Replace(minimal, "us-south-2", "us-south-1", 1), status: 400, code: "invalid_zone", target: "primary_network_interface.subnet field"},
		{name: "fail/template-zone-override", body: fromTemplate(`, "zone": {"name": "us-south-3"}`), status: 400, code: "invalid_zone", target: "source_template field"},
		{name: "fail/vpc-mismatch", body: strings.Replace(minimal, `"name"`, `"vpc": {"id": "r006-other"}, "name"`, 1), status: 400, code: "not_found", target: "vpc.id field"},
		{name: "fail/hop-limit-0", body: strings.Replace(minimal, `"name"`, `"metadata_service": {"response_hop_limit": 0}, "name"`, 1), status: 400, code: "validation_min_value", target: "metadata_service.response_hop_limit field"},
		{name: "fail/name-taken", body: strings.Replace(minimal, "my-new-server", scenario.DefaultInstanceName, 1), status: 400, code: "validation_unique_failed", target: "name field"},
		{name: "fail/address-taken", body: strings.Replace(minimal, `{"subnet"`, `{"primary_ip": {"address": "10.240.64.11"}, "subnet"`, 1), status: 409, code: "address_is_already_reserved", target: "primary_network_interface.primary_ip.address field"},
		{name: "fail/address-outside", body: strings.Replace(minimal, `{"subnet"`, `{"primary_ip": {"address": "10.0.0.5"}, "subnet"`, 1), status: 400, code: "validation_invalid_address", target: "primary_network_interface.primary_ip.address field"},
		{name: "fail/both-networks", body: strings.Replace(minimal, `"name"`, `"primary_network_attachment": {"virtual_network_interface": {"subnet": {"id": "x"}}}, "name"`, 1), status: 400, code: "validation_only_one", target: "primary_network_attachment field"},
		{name: "fail/unknown-field", body: strings.Replace(minimal, `"name"`, `"volume_attachment": [], "name"`, 1), status: 400, code: "invalid_request_field", target: "volume_attachment field"},
		{name: "fail/unknown-nested-field", body: strings.Replace(minimal, `{"subnet"`, `{"primary_ip": {"adress": "10.240.64.99"}, "subnet"`, 1), status: 400, code: "invalid_request_field", target: "primary_network_interface.primary_ip.adress field"},
		{name: "fail/empty", body: ``, status: 400, code: "validation_required_field", target: "zone field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newEmu(t, nil)
			status, body := vpcCall(t, e, "POST", "/v1/instances", tt.body)
			s := e.Scenario()
			if tt.code != "" {
				wantError(t, status, body, tt.status, tt.code, tt.target)
				if len(s.Instances) != 1 {
					t.Errorf("failed create added an instance")
				}
				return
			}
			if status != tt.status {
				t.Fatalf("status got %d; want %d: %s", status, tt.status, body)
			}
			if tt.golden != "" {
				goldenJSON(t, tt.golden, body)
			}
			var v struct {
				ID     string `json:"id"`
				Status string `json:"status"`
			}
			json.Unmarshal(body, &v)
			in := s.Instance(v.ID)
			if in == nil || v.Status != "running" || !strings.HasPrefix(v.ID, "0727_") {
				t.Fatalf("created %q (%q) not stored as running in zone 0727", v.ID, v.Status)
			}
			tt.check(t, in, s)
			evs := e.Events()
			if ev := evs[len(evs)-1]; ev.Action != "is.instance.instance.create" || ev.Target.ID != in.CRN {
				t.Errorf("event got %+v", ev)
			}
		})
	}
}

// TestVPCNewInstanceServesMetadata: an instance made through the VPC API with the service on
// answers its own metadata, and its auto-linked profile works for the IAM exchange.
func TestVPCNewInstanceServesMetadata(t *testing.T) {
	e, _ := newEmu(t, nil)
	body := `{"name": "fresh", "image": {"id": "` + scenario.DefaultImageID + `"}, "zone": {"name": "us-south-2"},
		"primary_network_interface": {"subnet": {"id": "` + scenario.DefaultSubnetID + `"}},
		"keys": [{"fingerprint": "SHA256:7JEOQiFYXOhk+gBuIpd2FSQtvuCVoUW1W4E2Bu0MdAA"}],
		"metadata_service": {"enabled": true},
		"default_trusted_profile": {"target": {"id": "` + scenario.LinkedProfileID + `"}}}`
	m := vpcJSON(t, e, "POST", "/v1/instances", body, 201)
	id := m["id"].(string)
	o := imds.Origin{InstanceID: id}
	tok := tokenFrom(t, e, o, "http")
	status, data := roundTrip(t, e, o, "GET", md+"/metadata/v1/instance/initialization"+mdVersion, "", "Authorization", "Bearer "+tok)
	if status != 200 || !strings.Contains(string(data), scenario.LinkedProfileID) || !strings.Contains(string(data), scenario.DefaultKeyID) {
		t.Fatalf("initialization got %d %s", status, data)
	}
	status, data = roundTrip(t, e, o, "POST", md+"/identity/v1/iam_tokens?version=2025-08-26", "", "Authorization", "Bearer "+tok)
	if status != 200 {
		t.Errorf("IAM exchange with the auto-linked default profile got %d %s", status, data)
	}
	// The instance is listed, and found by its new ID.
	m = vpcJSON(t, e, "GET", "/v1/instances?name=fresh", "", 200)
	if m["total_count"] != 1.0 {
		t.Errorf("list by name got %v", m["total_count"])
	}
	u, _ := url.Parse(m["first"].(map[string]any)["href"].(string))
	if u.Host != "us-south.iaas.cloud.ibm.com" {
		t.Errorf("first.href host got %q", u.Host)
	}
}

// TestVPCPrototypeProperties: the properties of vpcv1's InstancePrototype that earlier
// versions refused are accepted, kept and shown; nested faults name their full path.
func TestVPCPrototypeProperties(t *testing.T) {
	base := `"image": {"id": "` + scenario.DefaultImageID + `"}, "zone": {"name": "us-south-2"},
		"primary_network_interface": {"subnet": {"id": "` + scenario.DefaultSubnetID + `"}}`
	full := `{"name": "props", ` + base + `,
		"availability_policy": {"host_failure": "stop"}, "volume_attachments": [], "cluster_network_attachments": [],
		"total_volume_bandwidth": 2000, "enable_secure_boot": true, "confidential_compute_mode": "disabled",
		"reservation_affinity": {"policy": "disabled", "pool": []},
		"boot_volume_attachment": {"name": "boot-att", "delete_volume_on_instance_delete": false,
			"volume": {"name": "boot-vol", "capacity": 120, "profile": {"name": "general-purpose"}, "resource_group": {"id": "` + scenario.DefaultResourceGroup + `"}, "user_tags": ["a:b"]}}}`
	e, _ := newEmu(t, nil)
	m := vpcJSON(t, e, "POST", "/v1/instances", full, 201)
	for path, want := range map[string]any{
		"availability_policy.host_failure": "stop", "enable_secure_boot": true, "reservation_affinity.policy": "disabled",
		"total_volume_bandwidth": 2000.0, "total_network_bandwidth": 2000.0, "boot_volume_attachment.name": "boot-att",
		"boot_volume_attachment.volume.name": "boot-vol",
	} {
		if got := jsonAt(m, strings.Split(path, ".")...); got != want {
			t.Errorf("%s got %v; want %v", path, got, want)
		}
	}
	in := e.Scenario().Instance(m["id"].(string))
	if in.VolumeAttachments[0].DeleteWith || in.HostFailure != "stop" {
		t.Errorf("stored got delete_with %v, host failure %q", in.VolumeAttachments[0].DeleteWith, in.HostFailure)
	}
	for _, tt := range []struct{ extra, code, target string }{
		{`"boot_volume_attachment": {"volume": {"profile": {"name": "general-purpose"}, "resource_group": {"id": "other"}}}`, "not_found", "boot_volume_attachment.volume.resource_group.id field"},
		{`"boot_volume_attachment": {"volume": {"profile": {"name": "gold"}}}`, "not_found", "boot_volume_attachment.volume.profile.name field"},
		{`"boot_volume_attachment": {"volume": {"capacity": 4000, "profile": {"name": "general-purpose"}}}`, "validation_max_value", "boot_volume_attachment.volume.capacity field"},
		{`"boot_volume_attachment": {"volume": {"sizee": 1}}`, "invalid_request_field", "boot_volume_attachment.volume.sizee field"},
		{`"volume_attachments": [{"volume": {"capacity": 10}}]`, "validation_required_field", "volume_attachments[0].volume.profile field"},
		{`"volume_attachments": [{"volume": {"id": "r006-nope"}}]`, "not_found", "volume_attachments[0].volume.id field"},
		{`"availability_policy": {"host_failure": "migrate"}`, "validation_enum", "availability_policy.host_failure field"},
		{`"reservation_affinity": {"policy": "manual"}`, "validation_required_field", "reservation_affinity.pool field"},
		{`"reservation_affinity": {"pool": [{"id": "r006-res"}]}`, "not_found", "reservation_affinity.pool[0].id field"},
		{`"total_volume_bandwidth": 3800`, "validation_max_value", "total_volume_bandwidth field"},
		{`"confidential_compute_mode": "tdx"`, "bad_field", "confidential_compute_mode field"},
		{`"cluster_network_attachments": [{"cluster_network_interface": {"subnet": {"id": "x"}}}]`, "not_found", "cluster_network_attachments[0].cluster_network_interface.subnet.id field"},
		{`"catalog_offering": {"version": {"crn": "crn:x"}}`, "validation_only_one", "catalog_offering field"},
	} {
		status, body := vpcCall(t, e, "POST", "/v1/instances", `{`+base+`, `+tt.extra+`}`)
		t.Run(tt.extra, func(t *testing.T) { wantError(t, status, body, statusOfCode(tt.code), tt.code, tt.target) })
	}
}

func statusOfCode(code string) int {
	if code == "address_is_already_reserved" {
		return 409
	}
	return 400
}

// TestVPCListFilters: the filters of vpcv1's ListInstancesOptions keep only the instances
// that match, and the collection's links repeat them.
func TestVPCListFilters(t *testing.T) {
	e, _ := newEmu(t, twoInstances())
	for _, tt := range []struct {
		query string
		want  float64
	}{
		{"vpc.id=nope", 0}, {"vpc.id=" + scenario.DefaultVPCID, 2}, {"vpc.name=my-test-vpc", 2},
		{"resource_group.id=nope", 0}, {"placement_group.id=" + scenario.DefaultPlacementID, 1},
		{"placement_group.name=my-spread-group&name=my-second-server", 0}, {"dedicated_host.id=x", 0},
		{"reservation_affinity.policy=automatic", 2}, {"reservation_affinity.policy=disabled", 0},
	} {
		m := vpcJSON(t, e, "GET", "/v1/instances?"+tt.query, "", 200)
		if m["total_count"] != tt.want {
			t.Errorf("%s: got %v instances; want %v", tt.query, m["total_count"], tt.want)
		}
	}
	m := vpcJSON(t, e, "GET", "/v1/instances?limit=1&vpc.id="+scenario.DefaultVPCID, "", 200)
	if next, _ := jsonAt(m, "next", "href").(string); !strings.Contains(next, "vpc.id="+scenario.DefaultVPCID) {
		t.Errorf("next.href got %q; want the filter kept", next)
	}
}

// TestVPCEntityTags: GET sends an ETag; PATCH and DELETE with a stale If-Match are refused
// with 412 and change nothing; a fresh one, or none, goes through.
func TestVPCEntityTags(t *testing.T) {
	e, _ := newEmu(t, twoInstances())
	tok, _ := e.UserToken()
	path := vpcAPI + "/v1/instances/" + secondInstanceID + "?" + vpcQuery
	do := func(method, body string, headers ...string) *http.Response {
		req, _ := http.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, err := (&http.Client{Transport: e.Transport(workstation)}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	tag := do("GET", "").Header.Get("ETag")
	if tag == "" || do("GET", "").Header.Get("ETag") != tag {
		t.Fatalf("ETag got %q; want one that stays while nothing changes", tag)
	}
	if resp := do("PATCH", `{"name": "renamed"}`, "If-Match", tag); resp.StatusCode != 200 || resp.Header.Get("ETag") == tag {
		t.Fatalf("fresh If-Match: got %d, ETag %q", resp.StatusCode, resp.Header.Get("ETag"))
	}
	if resp := do("PATCH", `{"metadata_service": {"enabled": false}}`, "If-Match", tag); resp.StatusCode != 412 {
		t.Errorf("stale If-Match on PATCH: got %d; want 412", resp.StatusCode)
	}
	if ms, _ := e.MetadataService(secondInstanceID); !ms.Enabled {
		t.Error("a refused PATCH changed the instance")
	}
	if resp := do("DELETE", "", "If-Match", tag); resp.StatusCode != 412 {
		t.Errorf("stale If-Match on DELETE: got %d; want 412", resp.StatusCode)
	}
	if resp := do("DELETE", "", "If-Match", "*"); resp.StatusCode != 204 || e.Scenario().Instance(secondInstanceID) != nil {
		t.Errorf("DELETE: got %d", resp.StatusCode)
	}
}

// TestVPCReadsAndDeletes: the operations SDK clean-up and set-up steps need.
func TestVPCReadsAndDeletes(t *testing.T) {
	e, _ := newEmu(t, nil)
	inst := "/v1/instances/" + scenario.DefaultInstanceID
	if m := vpcJSON(t, e, "GET", inst+"/initialization", "", 200); jsonAt(m, "default_trusted_profile", "target", "id") != scenario.DefaultProfileID {
		t.Errorf("initialization got %v", m)
	}
	if m := vpcJSON(t, e, "GET", inst+"/network_interfaces", "", 200); len(m["network_interfaces"].([]any)) != 1 {
		t.Errorf("network interfaces got %v", m)
	}
	if m := vpcJSON(t, e, "GET", "/v1/keys", "", 200); m["total_count"] != 2.0 {
		t.Errorf("keys got %v", m["total_count"])
	}
	if m := vpcJSON(t, e, "GET", "/v1/instance/profiles", "", 200); len(m["profiles"].([]any)) != 3 {
		t.Errorf("profiles got %v", m)
	}
	status, body := vpcCall(t, e, "DELETE", "/v1/instance/templates/"+scenario.DefaultTemplateID, "")
	if status != 204 || len(body) != 0 || len(e.Scenario().Templates) != 0 {
		t.Errorf("template delete got %d %s", status, body)
	}
	status, body = vpcCall(t, e, "DELETE", inst, "")
	wantError(t, status, body, 409, "invalid_state", "id path_parameter")
}
