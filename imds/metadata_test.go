package imds_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/scenario"
)

const mdVersion = "?version=2025-04-22"

// secondInstanceID is an instance added to the default world by twoInstances: no placement
// group, no software, one key, no default trusted profile.
const secondInstanceID = "0727_5d4c3b2a-1f0e-4d9c-8b7a-695847362514"

func twoInstances() *scenario.Scenario {
	s := scenario.Default()
	in := s.Instances[0]
	in.ID, in.Name, in.CRN = secondInstanceID, "my-second-server", strings.Replace(in.CRN, in.ID, secondInstanceID, 1)
	in.Keys = []string{scenario.DefaultKeyID}
	in.PlacementGroup, in.DefaultProfile, in.UserData = "", nil, ""
	in.SoftwareAttachments, in.NetworkAttachments = nil, nil
	in.NetworkInterfaces = []scenario.NetworkInterface{{ID: "0727-0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d", Name: "eth0",
		CreatedAt: in.CreatedAt, PrimaryIPv4Address: "10.240.64.12", Subnet: scenario.DefaultSubnetID}}
	in.VolumeAttachments = nil
	s.Instances = append(s.Instances, in)
	return s
}

// tokenFrom gets an identity token on the instance o names.
func tokenFrom(t testing.TB, e *imds.Emulator, o imds.Origin, scheme string) string {
	t.Helper()
	status, body := roundTrip(t, e, o, "PUT", scheme+"://api.metadata.cloud.ibm.com/identity/v1/token?version=2025-08-26", `{"expires_in": 3600}`, "Metadata-Flavor", "ibm")
	var m struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &m); status != 200 || err != nil {
		t.Fatalf("token: status %d: %s", status, body)
	}
	return m.AccessToken
}

func TestMetadataRoutes(t *testing.T) {
	tests := []struct {
		name, path, action string
	}{
		{"ok/instance", "/instance", "is.metadata.instance.read"},
		{"ok/initialization", "/instance/initialization", "is.metadata.instance.initialization"},
		{"ok/network_interfaces", "/instance/network_interfaces", "is.metadata.instance-network-interface.list"},
		{"ok/network_interface", "/instance/network_interfaces/" + scenario.NetworkInterfaceID, "is.metadata.instance-network-interface.get"},
		{"ok/network_attachments", "/instance/network_attachments", "is.metadata.instance-network-attachment.list"},
		{"ok/network_attachment", "/instance/network_attachments/" + scenario.NetworkAttachmentID, "is.metadata.instance-network-attachment.get"},
		{"ok/volume_attachments", "/instance/volume_attachments", "is.metadata.instance-volume-attachment.list"},
		{"ok/volume_attachment", "/instance/volume_attachments/" + scenario.BootAttachmentID, "is.metadata.instance-volume-attachment.get"},
		{"ok/software_attachments", "/instance/software_attachments", "is.metadata.instance-software-attachment.list"},
		{"ok/software_attachment", "/instance/software_attachments/" + scenario.SoftwareAttachmentID, "is.metadata.instance-software-attachment.read"},
		{"ok/keys", "/keys", "is.metadata.instance-key.list"},
		{"ok/key", "/keys/" + scenario.SecondKeyID, "is.metadata.instance-key.get"},
		{"ok/placement_groups", "/placement_groups", "is.metadata.instance-placement-group.list"},
		{"ok/placement_group", "/placement_groups/" + scenario.DefaultPlacementID, "is.metadata.instance-placement-group.get"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newEmu(t, nil)
			tok := token(t, e)
			status, body := roundTrip(t, e, imds.Origin{}, "GET", md+"/metadata/v1"+tt.path+mdVersion, "", "Authorization", "Bearer "+tok)
			if status != http.StatusOK {
				t.Fatalf("status got %d; want 200: %s", status, body)
			}
			if strings.Contains(string(body), `"href"`) && !strings.Contains(tt.path, "software_attachments") {
				t.Errorf("metadata answer carries an href: %s", body)
			}
			goldenJSON(t, "metadata/"+strings.TrimPrefix(tt.name, "ok/"), body)
			evs := e.Events()
			last := evs[len(evs)-1]
			if last.Action != tt.action || last.Outcome != "success" {
				t.Errorf("event got %q %q; want %q success", last.Action, last.Outcome, tt.action)
			}
		})
	}
}

func TestMetadataErrors(t *testing.T) {
	const unknown = "0727-00000000-0000-4000-8000-000000000000"
	tests := []struct {
		name    string
		origin  imds.Origin
		method  string
		path    string // under /metadata/v1, with the query
		auth    string // "" means a valid token, "-" none
		advance time.Duration
		status  int
		code    string
		target  string
		action  string // the event recorded, "" for none
	}{
		{name: "fail/unknown-network-interface", path: "/instance/network_interfaces/" + unknown + mdVersion, status: 404, code: "not_found", target: "id path_parameter", action: "is.metadata.instance-network-interface.get"},
		{name: "fail/unknown-network-attachment", path: "/instance/network_attachments/" + unknown + mdVersion, status: 404, code: "not_found", target: "id path_parameter", action: "is.metadata.instance-network-attachment.get"},
		{name: "fail/unknown-volume-attachment", path: "/instance/volume_attachments/" + unknown + mdVersion, status: 404, code: "not_found", target: "id path_parameter", action: "is.metadata.instance-volume-attachment.get"},
		{name: "fail/unknown-software-attachment", path: "/instance/software_attachments/" + unknown + mdVersion, status: 404, code: "not_found", target: "id path_parameter", action: "is.metadata.instance-software-attachment.read"},
		{name: "fail/unknown-key", path: "/keys/" + unknown + mdVersion, status: 404, code: "not_found", target: "id path_parameter", action: "is.metadata.instance-key.get"},
		{name: "fail/unknown-placement-group", path: "/placement_groups/" + unknown + mdVersion, status: 404, code: "not_found", target: "id path_parameter", action: "is.metadata.instance-placement-group.get"},
		{name: "fail/key-of-another-instance", origin: imds.Origin{InstanceID: secondInstanceID}, path: "/keys/" + scenario.SecondKeyID + mdVersion, status: 404, code: "not_found", target: "id path_parameter", action: "is.metadata.instance-key.get"},
		{name: "fail/placement-group-not-joined", origin: imds.Origin{InstanceID: secondInstanceID}, path: "/placement_groups/" + scenario.DefaultPlacementID + mdVersion, status: 404, code: "not_found", target: "id path_parameter", action: "is.metadata.instance-placement-group.get"},
		{name: "fail/unknown-path", path: "/instance/disks" + mdVersion, status: 404, code: "not_found"},
		{name: "fail/trailing-slash", path: "/instance/" + mdVersion, status: 404, code: "not_found"},
		{name: "fail/empty-id", path: "/keys/" + mdVersion, status: 404, code: "not_found"},
		{name: "fail/nested-id", path: "/keys/" + scenario.DefaultKeyID + "/x" + mdVersion, status: 404, code: "not_found"},
		{name: "fail/root", path: "" + mdVersion, status: 404, code: "not_found"},
		{name: "fail/missing-version", path: "/instance", status: 400, code: "missing_field", target: "version parameter", action: "is.metadata.instance.read"},
		{name: "fail/malformed-version", path: "/instance?version=2025-4-22", status: 400, code: "invalid_value", target: "version parameter", action: "is.metadata.instance.read"},
		{name: "fail/version-before-identity", path: "/instance?version=2022-02-28", status: 400, code: "invalid_version_range", target: "2022-02-28 parameter", action: "is.metadata.instance.read"},
		{name: "fail/version-in-future", path: "/keys?version=2026-03-13", status: 400, code: "invalid_version_range", target: "2026-03-13 parameter", action: "is.metadata.instance-key.list"},
		{name: "fail/unknown-parameter", path: "/instance" + mdVersion + "&fields=name", status: 400, code: "unknown_field", target: "fields parameter", action: "is.metadata.instance.read"},
		{name: "fail/no-token", path: "/instance" + mdVersion, auth: "-", status: 400, code: "missing_field", target: "Authorization header", action: "is.metadata.instance.read"},
		{name: "fail/not-bearer", path: "/instance" + mdVersion, auth: "Basic dXNlcjpwYXNz", status: 401, code: "unauthenticated", target: "Authorization header", action: "is.metadata.instance.read"},
		{name: "fail/garbage-token", path: "/instance" + mdVersion, auth: "Bearer not.a.jwt", status: 401, code: "unauthenticated", target: "Authorization header", action: "is.metadata.instance.read"},
		{name: "fail/expired-token", path: "/instance/initialization" + mdVersion, advance: time.Hour, status: 401, code: "unauthenticated", target: "Authorization header", action: "is.metadata.instance.initialization"},
		{name: "fail/token-of-another-instance", origin: imds.Origin{InstanceID: secondInstanceID}, auth: "first", path: "/instance" + mdVersion, status: 401, code: "unauthenticated", target: "Authorization header", action: "is.metadata.instance.read"},
		// The error-code page has no code for a wrong method: not_found, as for any route that
		// is not there.
		{name: "fail/post", method: "POST", path: "/instance" + mdVersion, status: 404, code: "not_found"},
		{name: "fail/put", method: "PUT", path: "/keys" + mdVersion, status: 404, code: "not_found"},
		{name: "fail/patch", method: "PATCH", path: "/instance/network_interfaces/" + scenario.NetworkInterfaceID + mdVersion, status: 404, code: "not_found"},
		{name: "fail/delete", method: "DELETE", path: "/placement_groups" + mdVersion, status: 404, code: "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, clock := newEmu(t, twoInstances())
			var hdr []string
			switch tt.auth {
			case "":
				hdr = []string{"Authorization", "Bearer " + tokenFrom(t, e, tt.origin, "http")}
			case "first":
				hdr = []string{"Authorization", "Bearer " + token(t, e)}
			case "-":
			default:
				hdr = []string{"Authorization", tt.auth}
			}
			clock.Advance(tt.advance)
			before := len(e.Events())
			method := tt.method
			if method == "" {
				method = "GET"
			}
			status, body := roundTrip(t, e, tt.origin, method, md+"/metadata/v1"+tt.path, "", hdr...)
			wantError(t, status, body, tt.status, tt.code, tt.target)
			evs := e.Events()[before:]
			switch {
			case tt.action == "" && len(evs) != 0:
				t.Errorf("events got %v; want none", evs)
			case tt.action != "" && (len(evs) != 1 || evs[0].Action != tt.action || evs[0].Outcome != "failure" || evs[0].Reason.ReasonCode != tt.status):
				t.Errorf("events got %+v; want one failed %q with %d", evs, tt.action, tt.status)
			}
		})
	}
}

func TestMetadataDisabled(t *testing.T) {
	e, _ := newEmu(t, nil)
	tok := token(t, e)
	off := scenario.MetadataService{Enabled: false, Protocol: "http", ResponseHopLimit: 1}
	if err := e.SetMetadataService("", off); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/instance", "/instance/initialization", "/keys", "/placement_groups/" + scenario.DefaultPlacementID} {
		t.Run("fail"+p, func(t *testing.T) {
			status, body := roundTrip(t, e, imds.Origin{}, "GET", md+"/metadata/v1"+p+mdVersion, "", "Authorization", "Bearer "+tok)
			wantError(t, status, body, 403, "unauthorized", "")
		})
	}
}

// TestMetadataTwoInstances checks that each instance sees itself.
func TestMetadataTwoInstances(t *testing.T) {
	e, _ := newEmu(t, twoInstances())
	for _, o := range []imds.Origin{{}, {InstanceID: secondInstanceID}} {
		tok := tokenFrom(t, e, o, "http")
		status, body := roundTrip(t, e, o, "GET", md+"/metadata/v1/instance"+mdVersion, "", "Authorization", "Bearer "+tok)
		var in struct {
			ID                string `json:"id"`
			PlacementTarget   any    `json:"placement_target"`
			NetworkInterfaces []struct {
				PrimaryIPv4Address string `json:"primary_ipv4_address"`
			} `json:"network_interfaces"`
		}
		if err := json.Unmarshal(body, &in); status != 200 || err != nil {
			t.Fatalf("status %d: %s", status, body)
		}
		want := o.InstanceID
		if want == "" {
			want = scenario.DefaultInstanceID
		}
		if in.ID != want {
			t.Errorf("id got %q; want %q", in.ID, want)
		}
		if (in.PlacementTarget != nil) != (o.InstanceID == "") {
			t.Errorf("placement_target of %s got %v", want, in.PlacementTarget)
		}
	}
	// The second instance has no default trusted profile and no user data.
	o := imds.Origin{InstanceID: secondInstanceID}
	tok := tokenFrom(t, e, o, "http")
	_, body := roundTrip(t, e, o, "GET", md+"/metadata/v1/instance/initialization"+mdVersion, "", "Authorization", "Bearer "+tok)
	if got, want := string(body), `{"keys":[{"crn":`; !strings.HasPrefix(got, want) || strings.Contains(got, "user_data") || strings.Contains(got, "default_trusted_profile") {
		t.Errorf("initialization got %s; want keys only", got)
	}
}

// TestMetadataSecureAccess reads the metadata over https, the only protocol then listening.
func TestMetadataSecureAccess(t *testing.T) {
	e, _ := newEmu(t, nil)
	if err := e.SetMetadataService("", scenario.MetadataService{Enabled: true, Protocol: "https", ResponseHopLimit: 1}); err != nil {
		t.Fatal(err)
	}
	tok := tokenFrom(t, e, imds.Origin{}, "https")
	const p = "/metadata/v1/instance/software_attachments/" + scenario.SoftwareAttachmentID + mdVersion
	status, body := roundTrip(t, e, imds.Origin{}, "GET", "https://api.metadata.cloud.ibm.com"+p, "", "Authorization", "Bearer "+tok)
	if status != 200 {
		t.Fatalf("status got %d; want 200: %s", status, body)
	}
	var sa struct {
		Href string `json:"href"`
	}
	json.Unmarshal(body, &sa)
	if want := "https://api.metadata.cloud.ibm.com/metadata/v1/instance/software_attachments/" + scenario.SoftwareAttachmentID; sa.Href != want {
		t.Errorf("href got %q; want %q", sa.Href, want)
	}
	req, _ := http.NewRequest("GET", md+p, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if _, err := (&http.Client{Transport: e.Transport(imds.Origin{})}).Do(req); !errors.Is(err, imds.ErrConnRefused) {
		t.Errorf("plain http got %v; want %v", err, imds.ErrConnRefused)
	}
}

// TestMetadataByIP reads the metadata at the link-local address.
func TestMetadataByIP(t *testing.T) {
	e, _ := newEmu(t, nil)
	status, body := roundTrip(t, e, imds.Origin{}, "GET", "http://169.254.169.254/metadata/v1/keys"+mdVersion, "", "Authorization", "Bearer "+token(t, e))
	if status != 200 || !strings.HasPrefix(string(body), `{"keys":[`) {
		t.Errorf("got %d %s; want the keys", status, body)
	}
}

// TestMetadataClusterNetworkAttachments: the two paths of the access page's URI table, for an
// instance of the default world given one cluster network attachment, and for one without.
func TestMetadataClusterNetworkAttachments(t *testing.T) {
	const id = "0727-c1a5e4b2-3d4f-4a5b-8c6d-7e8f9a0b1c2d"
	s := scenario.Default()
	s.Instances[0].ClusterNetworkAttachments = []scenario.ClusterNetworkAttachment{{
		ID: id, Name: "cna-0", CreatedAt: s.Instances[0].CreatedAt, PrimaryIPv4: "10.1.0.4",
		Interface: scenario.Reference{ID: "0727-e5f6a7b8-c9d0-4e1f-a2b3-c4d5e6f7a8b9", Name: "cni-0"},
		Subnet:    scenario.Reference{ID: "0727-9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d", Name: "my-cluster-subnet"},
	}}
	for _, tt := range []struct {
		name, path, action string
	}{
		{"cluster_network_attachments", "/instance/cluster_network_attachments", "is.metadata.instance-cluster-network-attachment.list"},
		{"cluster_network_attachment", "/instance/cluster_network_attachments/" + id, "is.metadata.instance-cluster-network-attachment.get"},
	} {
		e, _ := newEmu(t, s)
		status, body := roundTrip(t, e, imds.Origin{}, "GET", md+"/metadata/v1"+tt.path+mdVersion, "", "Authorization", "Bearer "+token(t, e))
		if status != 200 {
			t.Fatalf("%s: got %d %s", tt.path, status, body)
		}
		goldenJSON(t, "metadata/"+tt.name, body)
		if evs := e.Events(); evs[len(evs)-1].Action != tt.action {
			t.Errorf("%s: event got %q; want %q", tt.path, evs[len(evs)-1].Action, tt.action)
		}
	}
	e, _ := newEmu(t, nil)
	tok := token(t, e)
	status, body := roundTrip(t, e, imds.Origin{}, "GET", md+"/metadata/v1/instance/cluster_network_attachments"+mdVersion, "", "Authorization", "Bearer "+tok)
	if status != 200 || strings.TrimSpace(string(body)) != `{"cluster_network_attachments":[]}` {
		t.Errorf("none: got %d %s", status, body)
	}
	status, body = roundTrip(t, e, imds.Origin{}, "GET", md+"/metadata/v1/instance/cluster_network_attachments/"+id+mdVersion, "", "Authorization", "Bearer "+tok)
	wantError(t, status, body, 404, "not_found", "id path_parameter")
}

// TestMetadataVCPU: vcpu.percentage and vcpu.burst.limit (change log, 16 December 2025) and
// threads_per_core (23 June 2026) for every version date, from the profile or IBM's values
// for a profile that does not burst.
func TestMetadataVCPU(t *testing.T) {
	s := scenario.Default()
	s.Profiles[0].VCPUPercentage, s.Profiles[0].VCPUBurstLimit, s.Profiles[0].ThreadsPerCore = 25, 50, 1
	for _, tc := range []struct {
		s                          *scenario.Scenario
		percentage, burst, threads float64
	}{{nil, 100, 100, 2}, {s, 25, 50, 1}} {
		e, _ := newEmu(t, tc.s)
		for _, version := range []string{"2022-03-01", "2025-04-22", "2026-03-12"} {
			status, m := call(t, e, "GET", md+"/metadata/v1/instance?version="+version, "", "Authorization", "Bearer "+token(t, e))
			if status != 200 || jsonAt(m, "vcpu", "percentage") != tc.percentage || jsonAt(m, "vcpu", "burst", "limit") != tc.burst || m["threads_per_core"] != tc.threads {
				t.Errorf("version %s: got %d vcpu %v threads %v; want %v %v %v", version, status, m["vcpu"], m["threads_per_core"], tc.percentage, tc.burst, tc.threads)
			}
		}
	}
}
