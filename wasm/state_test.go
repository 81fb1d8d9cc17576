package main

import (
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/scenario"
)

// run runs script on place and fails the test when the engine itself fails.
func run(t *testing.T, e *Engine, place imds.Place, script string) RunResult {
	t.Helper()
	s, err := e.Session(place)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Run(t.Context(), script)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// tokenScript asks for an identity token on the instance and prints only the status.
const tokenScript = `curl -s -o /dev/null -w '%{http_code}' -X PUT "$vpc_metadata_api_endpoint/identity/v1/token?version=2025-08-26" -H "Metadata-Flavor: ibm" -d '{}'`

func ptr[T any](v T) *T { return &v }

// TestConfigureSeenByCLIAndCurl: what the panel changes, `ibmcloud is instance` shows and the
// next curl obeys; what the CLI changes, the panel's state shows.
func TestConfigureSeenByCLIAndCurl(t *testing.T) {
	e, _ := newTestEngine(t)
	var changes atomic.Int32
	remove := e.OnChange(func() { changes.Add(1) })
	defer remove()

	if r := run(t, e, imds.OnInstance, tokenScript); r.Stdout != "200" {
		t.Fatalf("before: got %q (%s); want 200", r.Stdout, r.Stderr)
	}
	st, err := e.Configure(Patch{Enabled: ptr(false)})
	if err != nil {
		t.Fatal(err)
	}
	if st.Instance.MetadataService.Enabled {
		t.Error("state still says enabled after configure({enabled: false})")
	}
	r := run(t, e, imds.OnWorkstation, `ibmcloud is instance my-virtual-server-2 --output json | jq -c .metadata_service`)
	if !strings.Contains(r.Stdout, `"enabled":false`) {
		t.Errorf("ibmcloud is instance: got %q (%s); want enabled false", r.Stdout, r.Stderr)
	}
	if r := run(t, e, imds.OnInstance, tokenScript); r.Stdout != "403" {
		t.Errorf("disabled: got %q; want 403", r.Stdout)
	}

	// Secure access: plain http is refused, https answers.
	if _, err := e.Configure(Patch{Enabled: ptr(true), Protocol: ptr("https")}); err != nil {
		t.Fatal(err)
	}
	if r := run(t, e, imds.OnInstance, tokenScript); r.Exit != 7 {
		t.Errorf("http while https: got exit %d; want curl's 7", r.Exit)
	}
	if r := run(t, e, imds.OnInstance, strings.Replace(tokenScript, "$vpc_metadata_api_endpoint", "https://api.metadata.cloud.ibm.com", 1)); r.Stdout != "200" {
		t.Errorf("https: got %q (%s); want 200", r.Stdout, r.Stderr)
	}

	// The CLI changes the same world the panel shows.
	r = run(t, e, imds.OnWorkstation, `ibmcloud is instance-update my-virtual-server-2 --metadata-service-protocol http --metadata-service-response-hop-limit 2 >/dev/null`)
	if r.Exit != 0 {
		t.Fatalf("instance-update: exit %d: %s", r.Exit, r.Stderr)
	}
	if st := e.State(); st.Instance.MetadataService.Protocol != "http" || st.Instance.MetadataService.ResponseHopLimit != 2 {
		t.Errorf("after the CLI: got %+v; want http with hop limit 2", st.Instance.MetadataService)
	}

	// Where commands run: three hops exceed a hop limit of 2, and curl times out.
	if _, err := e.Configure(Patch{Hops: ptr(3)}); err != nil {
		t.Fatal(err)
	}
	r = run(t, e, imds.OnInstance, tokenScript+` --max-time 5`)
	if r.Exit != 28 || len(r.Exchanges) != 1 || r.Exchanges[0].ErrorKind != "noanswer" {
		t.Errorf("three hops, limit 2: got exit %d, exchanges %+v; want curl's 28 and no answer", r.Exit, r.Exchanges)
	}
	if _, err := e.Configure(Patch{Hops: ptr(2)}); err != nil {
		t.Fatal(err)
	}
	if r := run(t, e, imds.OnInstance, tokenScript); r.Stdout != "200" {
		t.Errorf("two hops, limit 2: got %q; want 200", r.Stdout)
	}
	if n := changes.Load(); n < 9 {
		t.Errorf("got %d change notifications; want one per run and per configure (9)", n)
	}
}

// TestConfigureStopped: a stopped instance's commands reach nothing; start brings it back.
func TestConfigureStopped(t *testing.T) {
	e, _ := newTestEngine(t)
	if _, err := e.Configure(Patch{Status: ptr("stopped")}); err != nil {
		t.Fatal(err)
	}
	r := run(t, e, imds.OnInstance, tokenScript)
	if r.Exit != 7 || len(r.Exchanges) != 1 || r.Exchanges[0].ErrorKind != "stopped" {
		t.Errorf("stopped: got exit %d, exchanges %+v; want curl's 7 and kind stopped", r.Exit, r.Exchanges)
	}
	r = run(t, e, imds.OnWorkstation, `ibmcloud is instance my-virtual-server-2 --output json | jq -r .status`)
	if r.Stdout != "stopped\n" {
		t.Errorf("ibmcloud is instance status: got %q (%s); want stopped", r.Stdout, r.Stderr)
	}
	// The CLI starts it again, and the panel's state follows.
	if r := run(t, e, imds.OnWorkstation, `ibmcloud is instance-start my-virtual-server-2 >/dev/null`); r.Exit != 0 {
		t.Fatalf("instance-start: exit %d: %s", r.Exit, r.Stderr)
	}
	if st := e.State(); st.Instance.Status != "running" {
		t.Errorf("got status %q after instance-start; want running", st.Instance.Status)
	}
	if r := run(t, e, imds.OnInstance, tokenScript); r.Stdout != "200" {
		t.Errorf("started: got %q; want 200", r.Stdout)
	}
}

// TestConfigureProfiles covers the default profile, auto link and links.
func TestConfigureProfiles(t *testing.T) {
	e, _ := newTestEngine(t)
	linked := func(st State) map[string]bool {
		m := map[string]bool{}
		for _, p := range st.Profiles {
			if p.Linked {
				m[p.ID] = true
			}
		}
		return m
	}
	st := e.State()
	if d := st.Instance.DefaultTrustedProfile; d.Target == nil || d.Target.ID != scenario.DefaultProfileID || !d.AutoLink {
		t.Fatalf("default state: got %+v; want %s auto-linked", d, scenario.DefaultProfileID)
	}
	st, err := e.Configure(Patch{Unlink: stringList{scenario.LinkedProfileName}, Link: stringList{scenario.UnlinkedProfileID}})
	if err != nil {
		t.Fatal(err)
	}
	if l := linked(st); l[scenario.LinkedProfileID] || !l[scenario.UnlinkedProfileID] {
		t.Errorf("after link/unlink: got %v", l)
	}
	st, err = e.Configure(Patch{Linked: &stringList{}})
	if err != nil {
		t.Fatal(err)
	}
	if l := linked(st); len(l) != 0 {
		t.Errorf("after linked: []: got %v; want none", l)
	}
	// Turning auto link on links the default profile, as creating the instance would.
	st, err = e.Configure(Patch{DefaultProfile: ptr(scenario.LinkedProfileID), AutoLink: ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	if l := linked(st); !l[scenario.LinkedProfileID] || st.Instance.DefaultTrustedProfile.Target.Name != scenario.LinkedProfileName {
		t.Errorf("after defaultProfile + autoLink: got links %v, default %+v", l, st.Instance.DefaultTrustedProfile)
	}
	// With auto link already on, an exact list of links is kept exactly (a permalink's).
	st, err = e.Configure(Patch{DefaultProfile: ptr(scenario.LinkedProfileID), AutoLink: ptr(true), Linked: &stringList{scenario.UnlinkedProfileID}})
	if err != nil {
		t.Fatal(err)
	}
	if l := linked(st); len(l) != 1 || !l[scenario.UnlinkedProfileID] {
		t.Errorf("after an exact list with auto link unchanged: got %v; want only %s", l, scenario.UnlinkedProfileID)
	}
	st, err = e.Configure(Patch{DefaultProfile: ptr("")})
	if err != nil {
		t.Fatal(err)
	}
	if st.Instance.DefaultTrustedProfile.Target != nil {
		t.Errorf("after defaultProfile: \"\": got %+v; want none", st.Instance.DefaultTrustedProfile)
	}
	// The IAM exchange without a named profile now has no default to use.
	r := run(t, e, imds.OnInstance, `tok=$(curl -s -X PUT "$vpc_metadata_api_endpoint/identity/v1/token?version=2025-08-26" -H "Metadata-Flavor: ibm" -d '{}' | jq -r .access_token)
curl -s -o /dev/null -w '%{http_code}' -X POST "$vpc_metadata_api_endpoint/identity/v1/iam_token?version=2025-08-26" -H "Authorization: Bearer $tok" -d '{}'`)
	if r.Stdout == "200" {
		t.Errorf("IAM exchange without a default profile: got 200; want an error")
	}
}

func TestConfigureRejects(t *testing.T) {
	e, _ := newTestEngine(t)
	before := e.State()
	for _, tt := range []struct {
		name, patch, want string
	}{
		{"fail/unknown-field", `{"enabeld": true}`, `unknown field "enabeld"`},
		{"fail/type", `{"enabled": "yes"}`, "enabled: must be a boolean"},
		{"fail/hop-limit", `{"hopLimit": 65}`, "hopLimit: must be between 1 and 64"},
		{"fail/hops", `{"hops": 0}`, "hops: must be between 1"},
		{"fail/protocol", `{"protocol": "ftp"}`, "protocol"},
		{"fail/status", `{"status": "paused"}`, "status"},
		{"fail/version", `{"version": "2025-13-01"}`, "version"},
		{"fail/profile", `{"enabled": false, "link": "nobody"}`, `link: no trusted profile "nobody"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePatch([]byte(tt.patch))
			if err == nil {
				_, err = e.Configure(p)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v; want an error with %q", err, tt.want)
			}
		})
	}
	after := e.State()
	a, _ := json.Marshal(before)
	b, _ := json.Marshal(after)
	if string(a) != string(b) {
		t.Errorf("a rejected patch changed the state:\n%s\n%s", a, b)
	}
	if p, err := ParsePatch([]byte(`{"link": ["a", "b"], "unlink": "c", "version": ""}`)); err != nil || len(p.Link) != 2 || len(p.Unlink) != 1 || p.Version == nil {
		t.Errorf("got %+v, %v; want link as a list, unlink as one string", p, err)
	}
}

func TestEventsNewestFirst(t *testing.T) {
	e, _ := newTestEngine(t)
	run(t, e, imds.OnInstance, tokenScript)
	run(t, e, imds.OnInstance, `curl -s -o /dev/null "$vpc_metadata_api_endpoint/metadata/v1/instance?version=2025-08-26"`)
	ev := e.EventsNewestFirst(0)
	if len(ev) != 2 || !strings.Contains(ev[1].Action, "token") || ev[0].Outcome != "failure" {
		t.Fatalf("got %+v; want the failed instance read first, then the token", ev)
	}
	if one := e.EventsNewestFirst(1); len(one) != 1 || one[0].ID != ev[0].ID {
		t.Errorf("with limit 1: got %+v; want the newest event only", one)
	}
}
