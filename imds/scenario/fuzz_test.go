package scenario_test

// FuzzLoad feeds arbitrary documents to Load. Seeds are the default scenario and variations
// of it, plus the corpus in testdata/fuzz/FuzzLoad/; run it with
//
//	go test -run '^$' -fuzz '^FuzzLoad$' -fuzztime 60s ./imds/scenario/

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/scenario"
	"github.com/imdsplay/imdsplay/internal/fixture"
)

// FuzzLoad checks that Load never panics, fails only with a *FieldError (or the reader's
// error), and that an accepted document re-marshals into one that loads to the same world.
// An accepted world must also make an emulator that issues a token to its first instance and
// serves that instance's metadata without an internal error.
func FuzzLoad(f *testing.F) {
	def, err := json.Marshal(scenario.Default())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(def)
	for _, edit := range [][2]string{
		{`"enabled":true`, `"enabled":false`},
		{`"protocol":"http"`, `"protocol":"https"`},
		{`"response_hop_limit":1`, `"response_hop_limit":0`},
		{`"region":"us-south"`, `"region":""`},
		{`"subnet":"` + scenario.DefaultSubnetID + `"`, `"subnet":"nope"`},
		{`"profile":"bx2-2x8"`, `"profile":"nope"`},
		{`"ipv4_cidr_block":"10.240.64.0/24"`, `"ipv4_cidr_block":"nonsense"`},
		{`"name":"default",`, `"name":"default","extra":1,`},
		{`"account_id"`, `"Account_ID"`},
	} {
		f.Add(bytes.Replace(def, []byte(edit[0]), []byte(edit[1]), 1))
	}
	f.Add(append(bytes.Clone(def), '}'))
	f.Add([]byte(`{"account_id": "a", "region": "r", "instances": [{"id": "i", "name": "n", "metadata_service": {"protocol": "http", "response_hop_limit": 1}, "network_interfaces": [{"subnet": "s"}]}], "subnets": [{"id": "s", "name": "s"}]}`))
	f.Add([]byte(`{"instances": 5}`))
	f.Add([]byte(`null`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := scenario.Load(bytes.NewReader(data))
		if err != nil {
			var fe *scenario.FieldError
			if !errors.As(err, &fe) || fe.Field == "" || fe.Reason == "" {
				t.Fatalf("Load: %T %v; want a *FieldError naming a field", err, err)
			}
			return
		}
		again, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("an accepted scenario does not marshal: %v", err)
		}
		s2, err := scenario.Load(bytes.NewReader(again))
		if err != nil {
			t.Fatalf("an accepted scenario does not load again: %v\n%s", err, again)
		}
		if third, _ := json.Marshal(s2); !bytes.Equal(again, third) {
			t.Fatalf("the scenario changes on a second round trip:\n%s\n%s", again, third)
		}
		fzServeWorld(t, s)
	})
}

// fzServeWorld starts an emulator on s and asks its first instance's metadata service for a
// token and the instance: no answer may be a 5xx.
func fzServeWorld(t *testing.T, s *scenario.Scenario) {
	t.Helper()
	e, _ := fixture.NewEmulator(t, fixture.WithScenario(s)) // an accepted scenario must make one
	ms := s.Instances[0].MetadataService
	serve := func(method, path, body string, header ...string) (int, []byte) {
		req := httptest.NewRequest(method, "http://"+imds.MetadataHost+path, strings.NewReader(body))
		if ms.Protocol == "https" {
			req.TLS = &tls.ConnectionState{HandshakeComplete: true}
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
		}
		return rec.Code, rec.Body.Bytes()
	}
	code, body := serve("PUT", "/identity/v1/token?version=2025-08-26", "", "Metadata-Flavor", "ibm")
	if !ms.Enabled {
		if code != http.StatusForbidden {
			t.Fatalf("token from a disabled service: %d %s", code, body)
		}
		return
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if code != 200 || json.Unmarshal(body, &tok) != nil {
		t.Fatalf("token: %d %s", code, body)
	}
	for _, p := range []string{"/metadata/v1/instance", "/metadata/v1/instance/initialization", "/metadata/v1/instance/network_interfaces",
		"/metadata/v1/instance/network_attachments", "/metadata/v1/instance/volume_attachments", "/metadata/v1/keys", "/metadata/v1/placement_groups"} {
		if code, body := serve("GET", p+"?version=2025-08-26", "", "Authorization", "Bearer "+tok.AccessToken); code != 200 {
			t.Fatalf("GET %s: %d %s", p, code, body)
		}
	}
}
