package imds_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestWrongMethod: a known path called with another method is answered each host's way. The
// metadata service's error-code page and the VPC API's catalogue have no code for it, so they
// answer as for a route they do not have (404 not_found, 404 invalid_route); IAM answers 405
// in its own shape; the emulator's own endpoints answer 405 method_not_allowed. Only 405s
// carry Allow.
func TestWrongMethod(t *testing.T) {
	e, _ := newEmu(t, nil)
	tests := []struct {
		method, url string
		status      int
		allow, code string
	}{
		{"POST", "http://127.0.0.1:8169/_emulator/events", 405, "GET", "method_not_allowed"},
		{"POST", "http://127.0.0.1:8169/_emulator/nope", 405, "GET", "method_not_allowed"},
		{"PUT", "https://us-south.iaas.cloud.ibm.com/v1/instances", 404, "", "invalid_route"},
		{"PUT", "https://us-south.iaas.cloud.ibm.com/v1/instances/x", 404, "", "invalid_route"},
		{"GET", "https://iam.cloud.ibm.com/identity/token", 405, "POST", "BXNIM0405E"},
		{"GET", "http://api.metadata.cloud.ibm.com/identity/v1/token", 404, "", "not_found"},
		{"HEAD", "http://api.metadata.cloud.ibm.com/metadata/v1/instance", 404, "", "not_found"},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.url, nil))
		var body struct {
			Errors []struct {
				Code string `json:"code"`
			} `json:"errors"`
			ErrorCode string `json:"errorCode"`
		}
		json.Unmarshal(rec.Body.Bytes(), &body)
		code := body.ErrorCode
		if len(body.Errors) == 1 {
			code = body.Errors[0].Code
		}
		if rec.Code != tt.status || rec.Header().Get("Allow") != tt.allow || code != tt.code {
			t.Errorf("%s %s: got %d Allow %q %q; want %d Allow %q %q", tt.method, tt.url, rec.Code, rec.Header().Get("Allow"), code, tt.status, tt.allow, tt.code)
		}
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest("HEAD", "http://127.0.0.1:8169/_emulator/events", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("HEAD /_emulator/events: got %d; want 200", rec.Code)
	}
}
