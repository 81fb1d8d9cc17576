package main

import (
	"testing"

	"github.com/imdsplay/imdsplay/imds/scenario"
)

// TestStateAccess: the state the panel reads says, for the operator and each trusted profile
// of the default world, its VPC role and whether it may read and change the instance; and a
// role given in the world is seen at the next state.
func TestStateAccess(t *testing.T) {
	e, _ := newTestEngine(t)
	got := map[string]AccessState{}
	for _, a := range e.State().Access {
		got[a.Name] = a
	}
	for _, want := range []AccessState{
		{Kind: "operator", Name: "test.user@ibm.com", Role: "Administrator", Read: true, Update: true},
		{Kind: "trusted_profile", Name: "my-vsi-reader", Role: "Viewer", Read: true, Update: false},
		{Kind: "trusted_profile", Name: "my-cos-writer", Role: "", Read: false, Update: false},
		{Kind: "trusted_profile", Name: "billing-admin", Role: "", Read: false, Update: false},
	} {
		g, ok := got[want.Name]
		if !ok {
			t.Errorf("%s: not in the state's access %+v", want.Name, got)
			continue
		}
		want.ID = g.ID
		if g != want || g.ID == "" {
			t.Errorf("%s: got %+v; want %+v", want.Name, g, want)
		}
	}

	if err := e.emu.Update(func(s *scenario.Scenario) error {
		s.ProfileByName("my-cos-writer").Policies = []scenario.Policy{{Service: "is", Roles: []string{"Editor"}}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, a := range e.State().Access {
		if a.Name == "my-cos-writer" && (a.Role != "Editor" || !a.Read || !a.Update) {
			t.Errorf("after an Editor policy: got %+v; want Editor, read and update", a)
		}
	}
}
