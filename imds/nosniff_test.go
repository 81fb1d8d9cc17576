package imds_test

import (
	"net/http/httptest"
	"testing"

	"github.com/imdsplay/imdsplay/imds"
)

// TestNoSniff: every answer says X-Content-Type-Options: nosniff, so that an error repeating
// a request's <script> is never read as HTML. Before issue 14 API answers lacked it.
func TestNoSniff(t *testing.T) {
	e, _ := newEmu(t, nil)
	for _, u := range []string{
		"http://" + imds.MetadataHost + "/metadata/v1/instance?version=<script>alert(1)</script>",
		"http://127.0.0.1:8169/v1/instances?version=<script>",
		"http://127.0.0.1:8169/_emulator/ca.pem",
		"http://127.0.0.1:8169/_emulator/events",
	} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest("GET", u, nil))
		if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: %d, X-Content-Type-Options %q; want nosniff", u, rec.Code, got)
		}
	}
}
