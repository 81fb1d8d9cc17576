package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestDefaultIsValid(t *testing.T) {
	s := Default()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	in := s.Instance(DefaultInstanceID)
	if in == nil || !in.MetadataService.Enabled || in.MetadataService.Protocol != "http" || in.MetadataService.ResponseHopLimit != 1 {
		t.Fatalf("default instance got %+v", in)
	}
	if p := s.FindProfile(in.DefaultProfile.Target); p == nil || !in.DefaultProfile.AutoLink {
		t.Fatal("default trusted profile missing or not auto-linked")
	}
}

func TestLoadRoundTrip(t *testing.T) {
	data, err := json.Marshal(Default())
	if err != nil {
		t.Fatal(err)
	}
	s, err := Load(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(s)
	if !bytes.Equal(data, again) {
		t.Fatal("scenario does not survive a round trip")
	}
	if c := s.Clone(); c == s || c.Instances[0].ID != s.Instances[0].ID {
		t.Fatal("Clone is not a copy")
	}
}

func TestLoadErrors(t *testing.T) {
	good, _ := json.Marshal(Default())
	edit := func(f func(m map[string]any)) string {
		var m map[string]any
		json.Unmarshal(good, &m)
		f(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	inst := func(m map[string]any) map[string]any { return m["instances"].([]any)[0].(map[string]any) }
	tests := []struct {
		name, doc, field string
	}{
		{"fail/not-json", `{"account_id": `, "(document)"},
		{"fail/unknown-field", edit(func(m map[string]any) { m["acount_id"] = "x" }), "acount_id"},
		{"fail/wrong-type", edit(func(m map[string]any) { inst(m)["metadata_service"].(map[string]any)["response_hop_limit"] = "one" }), "instances.metadata_service.response_hop_limit"},
		{"fail/hop-limit", edit(func(m map[string]any) { inst(m)["metadata_service"].(map[string]any)["response_hop_limit"] = 65 }), "instances[0].metadata_service.response_hop_limit"},
		{"fail/protocol", edit(func(m map[string]any) { inst(m)["metadata_service"].(map[string]any)["protocol"] = "ftp" }), "instances[0].metadata_service.protocol"},
		{"fail/no-region", edit(func(m map[string]any) { delete(m, "region") }), "region"},
		{"fail/no-instances", edit(func(m map[string]any) { m["instances"] = []any{} }), "instances"},
		{"fail/bad-key-ref", edit(func(m map[string]any) { inst(m)["keys"] = []any{"nope"} }), "instances[0].keys[0]"},
		{"fail/bad-profile-ref", edit(func(m map[string]any) {
			inst(m)["default_trusted_profile"].(map[string]any)["target"] = map[string]any{"id": "Profile-nope"}
		}), "instances[0].default_trusted_profile.target"},
		{"fail/trailing", string(good) + "{}", "(document)"},
		// Issue 14: a bad CIDR loaded, and creating an instance on the subnet answered 500.
		{"fail/subnet-cidr", edit(func(m map[string]any) { m["subnets"].([]any)[0].(map[string]any)["ipv4_cidr_block"] = "10.0.0.0/33" }), "subnets[0].ipv4_cidr_block"},
		// A valid document, then bytes past the 8 MiB cap: they were silently ignored.
		{"fail/past-the-cap", string(good) + strings.Repeat(" ", MaxDocument-len(good)) + "{}", "(document)"},
		{"fail/nested-unknown-field", edit(func(m map[string]any) { inst(m)["metadata_service"].(map[string]any)["hops"] = 1 }), "instances[0].metadata_service.hops"},
		{"fail/vpc-role", edit(func(m map[string]any) {
			m["trusted_profiles"].([]any)[0].(map[string]any)["policies"] = []any{map[string]any{"service": "is", "roles": []any{"Reader"}}}
		}), "trusted_profiles[0].policies[0].roles[0]"},
		{"fail/policy-service", edit(func(m map[string]any) {
			m["operator"].(map[string]any)["policies"] = []any{map[string]any{"roles": []any{"Viewer"}}}
		}), "operator.policies[0].service"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tt.doc))
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v; want a *FieldError", err)
			}
			if fe.Field != tt.field {
				t.Fatalf("field got %q; want %q (%v)", fe.Field, tt.field, err)
			}
		})
	}
}

// TestPoliciesDefault: a scenario written before policies existed loads, and its operator and
// profiles may do everything; an empty list grants nothing; other services' roles grant no
// VPC role.
func TestPoliciesDefault(t *testing.T) {
	var m map[string]any
	data, _ := json.Marshal(Default())
	json.Unmarshal(data, &m)
	delete(m["operator"].(map[string]any), "policies")
	for _, p := range m["trusted_profiles"].([]any) {
		delete(p.(map[string]any), "policies")
	}
	old, _ := json.Marshal(m)
	s, err := Load(bytes.NewReader(old))
	if err != nil {
		t.Fatal(err)
	}
	if got := VPCRole(s.Operator.Policies); got != "Administrator" {
		t.Errorf("operator without policies: got %q; want Administrator", got)
	}
	if got := VPCRole(s.Clone().TrustedProfiles[0].Policies); got != "Administrator" {
		t.Errorf("cloned profile without policies: got %q; want Administrator", got)
	}
	for _, tc := range []struct {
		policies []Policy
		want     string
	}{
		{[]Policy{}, ""},
		{[]Policy{{Service: "cloud-object-storage", Roles: []string{"Writer"}}}, ""},
		{[]Policy{{Service: VPCService, Roles: []string{"Viewer"}}, {Service: VPCService, Roles: []string{"Operator"}}}, "Operator"},
	} {
		if got := VPCRole(tc.policies); got != tc.want {
			t.Errorf("VPCRole(%v) got %q; want %q", tc.policies, got, tc.want)
		}
		// An empty list survives a copy as empty: it must not become "absent".
		s := Default()
		s.Operator.Policies = tc.policies
		if got := VPCRole(s.Clone().Operator.Policies); got != tc.want {
			t.Errorf("after Clone, VPCRole(%v) got %q; want %q", tc.policies, got, tc.want)
		}
	}
	if p := Default().ProfileByName(DefaultProfileName); VPCRole(p.Policies) != "Viewer" {
		t.Errorf("the default world's %s is not a Viewer", DefaultProfileName)
	}
}
