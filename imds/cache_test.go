package imds_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/imdsplay/imdsplay/imds/scenario"
)

// TestRenderedAnswersFollowTheWorld checks the cache of encoded metadata answers: an answer
// never outlives the state of the world it was rendered from, even while reads and updates
// race (run it with -race).
func TestRenderedAnswersFollowTheWorld(t *testing.T) {
	e, _ := newEmu(t, nil)
	tok := token(t, e)
	user, err := e.UserToken()
	if err != nil {
		t.Fatal(err)
	}
	read := func() (int, string) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", md+"/metadata/v1/instance?version=2025-08-26", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		e.ServeHTTP(rec, req)
		var m struct{ Name string }
		json.Unmarshal(rec.Body.Bytes(), &m)
		return rec.Code, m.Name
	}
	rename := func(name string) int {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("PATCH", vpcAPI+"/v1/instances/"+scenario.DefaultInstanceID+"?"+vpcQuery, strings.NewReader(`{"name": "`+name+`"}`))
		req.Header.Set("Authorization", "Bearer "+user)
		e.ServeHTTP(rec, req)
		return rec.Code
	}
	if code, name := read(); code != 200 || name != scenario.DefaultInstanceName {
		t.Fatalf("first read: %d %q", code, name)
	}
	if code := rename("renamed-0"); code != 200 {
		t.Fatalf("rename: %d", code)
	}
	if _, name := read(); name != "renamed-0" {
		t.Fatalf("read after rename got %q; want renamed-0", name)
	}

	const renames = 50
	valid := map[string]bool{}
	for i := range renames + 1 {
		valid[fmt.Sprintf("renamed-%d", i)] = true
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				if code, name := read(); code != 200 || !valid[name] {
					t.Errorf("concurrent read: %d %q", code, name)
					return
				}
			}
		})
	}
	for i := 1; i <= renames; i++ {
		if code := rename(fmt.Sprintf("renamed-%d", i)); code != 200 {
			t.Fatalf("rename %d: %d", i, code)
		}
	}
	wg.Wait()
	if _, name := read(); name != fmt.Sprintf("renamed-%d", renames) {
		t.Fatalf("last read got %q; want renamed-%d", name, renames)
	}
	// The same through the in-process network, which the playground uses.
	if status, m := call(t, e, "GET", md+"/metadata/v1/instance?version=2025-08-26", "", "Authorization", "Bearer "+tok); status != 200 || m["name"] != fmt.Sprintf("renamed-%d", renames) {
		t.Fatalf("transport read: %d %v", status, m["name"])
	}
	// A change made from Go, not through the VPC API, is seen at once too.
	if err := e.SetMetadataService("", scenario.MetadataService{Enabled: true, Protocol: "http", ResponseHopLimit: 7}); err != nil {
		t.Fatal(err)
	}
	_, m := call(t, e, "GET", md+"/metadata/v1/instance?version=2025-08-26", "", "Authorization", "Bearer "+tok)
	if got := jsonAt(m, "metadata_service", "response_hop_limit"); got != float64(7) {
		t.Fatalf("hop limit after SetMetadataService got %v; want 7", got)
	}
}
