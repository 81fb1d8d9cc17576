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

// TestEventReasonIsTheAnswer: an event's reason code is the status the caller got, 201 for a
// certificate as for a VPC create.
func TestEventReasonIsTheAnswer(t *testing.T) {
	e, _ := newEmu(t, nil)
	status, _ := call(t, e, "POST", md+"/identity/v1/certificates?version=2025-08-26", certBody(csrFixture(t, "ibm-example.csr"), ""), "Authorization", "Bearer "+token(t, e))
	if status != 201 {
		t.Fatalf("certificate: %d", status)
	}
	evs := e.Events()
	if ev := evs[len(evs)-1]; ev.Action != "is.metadata.instance-identity-certificate.create" || ev.Reason.ReasonCode != 201 || ev.Reason.ReasonType != "Created" {
		t.Errorf("event got %s %d %s; want the certificate's 201 Created", ev.Action, ev.Reason.ReasonCode, ev.Reason.ReasonType)
	}
}

// TestDisabledServiceRecordsKnownPaths: while the service is off every path answers 403, and
// only calls of an operation IBM has (whatever their method) are recorded, under its action.
func TestDisabledServiceRecordsKnownPaths(t *testing.T) {
	e, _ := newEmu(t, nil)
	if err := e.SetMetadataService("", scenario.MetadataService{Enabled: false, Protocol: "http", ResponseHopLimit: 1}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ method, path, action string }{
		{"GET", "/metadata/v1/instance/disks?version=2025-08-26", ""},
		{"DELETE", "/metadata/v1/keys?version=2025-08-26", "is.metadata.instance-key.list"},
		{"GET", "/identity/v1/token?version=2025-08-26", "is.metadata.jwt-token.create"},
	} {
		before := len(e.Events())
		status, m := call(t, e, c.method, md+c.path, ``)
		if status != 403 || errorCode(t, status, m) != "unauthorized" {
			t.Errorf("%s %s: got %d %v; want 403 unauthorized", c.method, c.path, status, m)
		}
		evs := e.Events()[before:]
		switch {
		case c.action == "" && len(evs) != 0:
			t.Errorf("%s %s: got events %+v; want none", c.method, c.path, evs)
		case c.action != "" && (len(evs) != 1 || evs[0].Action != c.action):
			t.Errorf("%s %s: got events %+v; want one %s", c.method, c.path, evs, c.action)
		}
	}
}
