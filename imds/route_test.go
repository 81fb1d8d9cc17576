package imds_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestMethodNotAllowed: a known path called with another method answers 405 with the methods
// it has, once each, on every host.
func TestMethodNotAllowed(t *testing.T) {
	e, _ := newEmu(t, nil)
	tests := []struct{ method, url, allow, message string }{
		{"POST", "http://127.0.0.1:8169/_emulator/events", "GET", "The method POST is not allowed for /_emulator/events; use GET."},
		{"POST", "http://127.0.0.1:8169/_emulator/nope", "GET", "The method POST is not allowed for /_emulator/nope; use GET."},
		{"DELETE", "https://us-south.iaas.cloud.ibm.com/v1/instances", "GET, POST", "The method DELETE is not allowed for /v1/instances; use GET or POST."},
		{"PUT", "https://us-south.iaas.cloud.ibm.com/v1/instances/x", "GET, PATCH", "The method PUT is not allowed for /v1/instances/x; use GET or PATCH."},
		{"GET", "https://iam.cloud.ibm.com/identity/token", "POST", "The method GET is not allowed for /identity/token; use POST."},
		{"GET", "http://api.metadata.cloud.ibm.com/identity/v1/token", "PUT", "The method GET is not allowed for /identity/v1/token; use PUT."},
		{"HEAD", "http://api.metadata.cloud.ibm.com/metadata/v1/instance", "GET", "The method HEAD is not allowed for /metadata/v1/instance; use GET."},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.url, nil))
		var body struct {
			Errors []struct{ Code, Message string } `json:"errors"`
		}
		json.Unmarshal(rec.Body.Bytes(), &body)
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != tt.allow || len(body.Errors) != 1 || body.Errors[0].Message != tt.message {
			t.Errorf("%s %s: got %d Allow %q %+v; want 405 Allow %q %q", tt.method, tt.url, rec.Code, rec.Header().Get("Allow"), body.Errors, tt.allow, tt.message)
		}
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest("HEAD", "http://127.0.0.1:8169/_emulator/events", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("HEAD /_emulator/events: got %d; want 200", rec.Code)
	}
}
