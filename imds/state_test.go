package imds_test

import (
	"net/http"
	"testing"

	"github.com/imdsplay/imdsplay/imds"
)

func TestMetadataServiceAndRouting(t *testing.T) {
	e, _ := newEmu(t, nil)
	if err := e.SetMetadataService("", ms(true, "https", 7)); err != nil {
		t.Fatal(err)
	}
	got, err := e.MetadataService("")
	if err != nil || got != ms(true, "https", 7) {
		t.Fatalf("got %+v, %v; want https hop limit 7", got, err)
	}
	if _, err := e.MetadataService("nope"); err == nil {
		t.Fatal("no error for an unknown instance")
	}
	if e.Region() != "us-south" {
		t.Fatalf("region got %q", e.Region())
	}
	for url, want := range map[string]bool{
		"http://api.metadata.cloud.ibm.com/metadata/v1/instance":   true,
		"http://169.254.169.254/identity/v1/token":                 true,
		"http://127.0.0.1:8169/instance_identity/v1/token":         true,
		"http://127.0.0.1:8169/identity/v1/iam_tokens":             true,
		"http://127.0.0.1:8169/identity/token":                     false,
		"http://127.0.0.1:8169/v1/instances":                       false,
		"http://api.metadata.cloud.ibm.com/_emulator/events":       false,
		"https://iam.cloud.ibm.com/identity/keys":                  false,
		"https://us-south.iaas.cloud.ibm.com/metadata/v1/instance": false,
	} {
		r, _ := http.NewRequest("GET", url, nil)
		if got := imds.IsMetadataRequest(r); got != want {
			t.Errorf("%s: got %v; want %v", url, got, want)
		}
	}
}
