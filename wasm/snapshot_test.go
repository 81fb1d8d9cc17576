package main

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/imds"
)

// TestSnapshotRestore: a snapshot taken on one engine, restored on a fresh one (a reload),
// brings back the world, the clock, the page settings and the variables.
func TestSnapshotRestore(t *testing.T) {
	a, clockA := newTestEngine(t)
	run(t, a, imds.OnInstance, `tok=$(curl -s -X PUT "$vpc_metadata_api_endpoint/identity/v1/token?version=2025-08-26" -H "Metadata-Flavor: ibm" -d '{}' | jq -r .access_token); note="it's a \"quote\" \$HOME"; for v in one two; do :; done`)
	run(t, a, imds.OnWorkstation, `ibmcloud is instance-update my-virtual-server-2 --metadata-service-protocol https >/dev/null; id=$(ibmcloud is instances --output json | jq -r '.[0].id')`)
	if _, err := a.Configure(Patch{Hops: ptr(2), Version: ptr("2024-11-12")}); err != nil {
		t.Fatal(err)
	}
	clockA.Advance(90 * time.Second)
	snap, err := a.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if v := snap.Vars[imds.OnInstance]; !strings.HasPrefix(v["tok"], "eyJ") || v["note"] != `it's a "quote" $HOME` || v["v"] != "two" {
		t.Errorf("instance vars: got %v", v)
	}
	// The presets are not kept: a reload makes fresh ones (a new operator token).
	if v := snap.Vars[imds.OnWorkstation]; !strings.HasPrefix(v["id"], "0727_") || v["iam_token"] != "" || v["vpc_api_endpoint"] != "" {
		t.Errorf("workstation vars: got %v; want id and no presets", v)
	}
	b, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("snapshot: %d bytes", len(b))

	b2, clockB := newTestEngine(t)
	parsed, err := ParseSnapshot(b)
	if err != nil {
		t.Fatal(err)
	}
	st, err := b2.Restore(t.Context(), parsed)
	if err != nil {
		t.Fatal(err)
	}
	if st.Instance.MetadataService.Protocol != "https" || st.Hops != 2 || st.Version != "2024-11-12" {
		t.Errorf("restored state: got %+v", st)
	}
	if got := clockB.Offset(); got != 90*time.Second {
		t.Errorf("restored clock offset: got %v; want 90s", got)
	}
	r := run(t, b2, imds.OnInstance, `printf '%s|%s' "$note" "$(echo "$tok" | cut -c1-3)"`)
	if r.Stdout != `it's a "quote" $HOME|eyJ` {
		t.Errorf("restored variables: got %q", r.Stdout)
	}
	// The restored session knows the names again, for the next snapshot.
	if snap2, _ := b2.Snapshot(); snap2.Vars[imds.OnInstance]["note"] == "" {
		t.Errorf("second snapshot lost the restored variables: %v", snap2.Vars)
	}
}

// TestSnapshotSessions: the other sessions' variables (an embed's named groups, a session that
// fixes its hops) are in the snapshot too, apart from the page's own, and come back on a fresh
// engine: what a worker restarted after a Stop restores.
func TestSnapshotSessions(t *testing.T) {
	a, _ := newTestEngine(t)
	runIn := func(e *Engine, k SessionKey, script string) RunResult {
		t.Helper()
		s, err := e.SessionFor(k)
		if err != nil {
			t.Fatal(err)
		}
		r, err := s.Run(t.Context(), script)
		if err != nil || r.Exit != 0 {
			t.Fatalf("%q: exit %d, %v, stderr %q", script, r.Exit, err, r.Stderr)
		}
		return r
	}
	group := SessionKey{Group: "docs-a", Place: imds.OnInstance}
	hops := SessionKey{Place: imds.OnInstance, Hops: 3}
	run(t, a, imds.OnInstance, `page=own`)
	runIn(a, group, `grouped=yes`)
	runIn(a, hops, `far=away`)
	snap, err := a.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if got := snap.Vars[imds.OnInstance]; len(got) != 1 || got["page"] != "own" {
		t.Errorf("the page's own variables: got %v; want only page", got)
	}
	want := []SessionVars{
		{Place: imds.OnInstance, Hops: 3, Vars: map[string]string{"far": "away"}},
		{Group: "docs-a", Place: imds.OnInstance, Vars: map[string]string{"grouped": "yes"}},
	}
	if !reflect.DeepEqual(snap.Sessions, want) {
		t.Errorf("sessions: got %+v; want %+v", snap.Sessions, want)
	}
	b, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ParseSnapshot(b)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := newTestEngine(t)
	if _, err := e.Restore(t.Context(), parsed); err != nil {
		t.Fatal(err)
	}
	if r := runIn(e, group, `echo "$grouped $page"`); r.Stdout != "yes \n" {
		t.Errorf("the group's session after a restore: got %q; want its own variable and not the page's", r.Stdout)
	}
	if r := runIn(e, hops, `echo "$far"`); r.Stdout != "away\n" {
		t.Errorf("the hops session after a restore: got %q", r.Stdout)
	}
	if r := run(t, e, imds.OnInstance, `echo "$page $grouped"`); r.Stdout != "own \n" {
		t.Errorf("the page's session after a restore: got %q", r.Stdout)
	}
}

func TestParseSnapshotRejects(t *testing.T) {
	e, _ := newTestEngine(t)
	before, _ := json.Marshal(e.State())
	for _, tt := range []struct{ name, in, want string }{
		{"fail/not-json", `{"v":1,`, "restore"},
		{"fail/version", `{"v":2}`, "snapshot version 2"},
		{"fail/unknown", `{"v":1,"wrold":{}}`, "unknown field"},
		{"fail/hops", `{"v":1,"world":{"scenario":{},"hops":99,"clockOffsetMs":0,"version":""}}`, "hops"},
		{"fail/no-scenario", `{"v":1,"world":{"hops":1,"clockOffsetMs":0,"version":""}}`, "scenario"},
		{"fail/place", `{"v":1,"vars":{"mars":{}}}`, "mars"},
		{"fail/session-place", `{"v":1,"sessions":[{"group":"g","on":"mars","vars":{}}]}`, "sessions[0].on"},
		{"fail/session-hops", `{"v":1,"sessions":[{"on":"instance","hops":65,"vars":{}}]}`, "sessions[0].hops"},
		{"fail/session-page", `{"v":1,"sessions":[{"on":"instance","vars":{}}]}`, "goes in vars"},
		{"fail/scenario", `{"v":1,"world":{"scenario":{"account_id":"x"},"hops":1,"clockOffsetMs":0,"version":""}}`, "world.scenario"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			snap, err := ParseSnapshot([]byte(tt.in))
			if err == nil {
				_, err = e.Restore(t.Context(), snap)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v; want an error with %q", err, tt.want)
			}
		})
	}
	if after, _ := json.Marshal(e.State()); string(after) != string(before) {
		t.Errorf("a rejected snapshot changed the state")
	}
}

func TestVarNames(t *testing.T) {
	var v varNames
	if got := v.addScript(`a=1 b=2; PATH=/x`); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("addScript: got %v; want [a b]", got)
	}
	v.addScript(`if [ ; then`) // does not parse: nothing
	v.addScript(`for c in 1; do :; done`)
	if got := v.list(); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("list: got %v; want [a b c]", got)
	}
}

func TestAssignScript(t *testing.T) {
	got := assignScript(map[string]string{"b": "it's", "a": "$x `y`", "PATH": "/evil", "1x": "bad"})
	want := "a='$x `y`'\nb='it'\"'\"'s'\n"
	if got != want {
		t.Errorf("got %q; want %q", got, want)
	}
}

// TestRunReportsSet: a run names the variables it left holding a value, so that the page can
// show which block set them; an empty one, a preset read and a managed one are not among them.
func TestRunReportsSet(t *testing.T) {
	e, _ := newTestEngine(t)
	r := run(t, e, imds.OnInstance, `export identity_token=$(curl -s -X PUT "$vpc_metadata_api_endpoint/identity/v1/token?version=2025-08-26" -H "Metadata-Flavor: ibm" -d '{}' | jq -r .access_token)
empty=""; PATH=$PATH; for i in 1; do :; done`)
	if want := []string{"i", "identity_token"}; !slices.Equal(r.Set, want) {
		t.Errorf("got set %q; want %q", r.Set, want)
	}
	if r := run(t, e, imds.OnInstance, `echo "$identity_token" >/dev/null`); len(r.Set) != 0 {
		t.Errorf("a run that only reads: got set %q; want none", r.Set)
	}
	b, _ := json.Marshal(run(t, e, imds.OnInstance, `true`))
	if !strings.Contains(string(b), `"set":[]`) {
		t.Errorf("got %s; want an empty set list in the JSON, not null", b)
	}
}
