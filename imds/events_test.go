package imds_test

import (
	"strings"
	"testing"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/scenario"
)

func TestEventMessages(t *testing.T) {
	e, _ := newEmu(t, nil)
	token(t, e)
	user, err := e.UserToken()
	if err != nil {
		t.Fatal(err)
	}
	status, _ := callFrom(t, e, imds.Origin{Place: imds.OnWorkstation}, "GET",
		"https://us-south.iaas.cloud.ibm.com/v1/instances/"+scenario.DefaultInstanceID+"?version=2025-05-13&generation=2", ``, "Authorization", "Bearer "+user)
	if status != 200 {
		t.Fatalf("VPC read: %d", status)
	}
	events := e.Events()
	if len(events) != 2 {
		t.Fatalf("got %d events; want 2", len(events))
	}
	for i, want := range []struct{ action, prefix string }{
		{"is.metadata.jwt-token.create", "Metadata: "},
		{"is.instance.instance.read", "Virtual Server for VPC: "},
	} {
		ev := events[i]
		if ev.Action != want.action || !strings.HasPrefix(ev.Message, want.prefix) || ev.Outcome != "success" {
			t.Errorf("event %d got %q %q %q; want %q with prefix %q", i, ev.Action, ev.Message, ev.Outcome, want.action, want.prefix)
		}
	}
}
