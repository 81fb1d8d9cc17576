package imds_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/imds/scenario"
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

// failingReader fails every read, as a deterministic source that has run dry would.
type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

// TestFailingRandPanics: identifiers are never made up when Config.Rand fails; the failure
// surfaces as a RandError panic, even through ServeHTTP.
func TestFailingRandPanics(t *testing.T) {
	e, err := imds.New(imds.Config{Rand: failingReader{}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		v := recover()
		re, ok := v.(*imds.RandError)
		if !ok || !errors.Is(re, io.ErrUnexpectedEOF) {
			t.Fatalf("recovered %v; want a *imds.RandError wrapping the reader's error", v)
		}
	}()
	e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "http://iam.cloud.ibm.com/nope", nil))
	t.Fatal("ServeHTTP answered")
}

// TestView checks that View reads the world as it is now, the same world Scenario copies.
func TestView(t *testing.T) {
	e, _ := newEmu(t, nil)
	id := e.Scenario().Instances[0].ID
	if err := e.SetMetadataService(id, scenario.MetadataService{Enabled: true, Protocol: "https", ResponseHopLimit: 3}); err != nil {
		t.Fatal(err)
	}
	var got scenario.MetadataService
	e.View(func(s *scenario.Scenario) { got = s.Instances[0].MetadataService })
	if want := e.Scenario().Instances[0].MetadataService; got != want || got.ResponseHopLimit != 3 {
		t.Fatalf("View saw %+v; want %+v, the updated world", got, want)
	}
}
