package imds_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/imdsplay/imdsplay/imds"
)

// TestEventPages: /_emulator/events answers pages, the newest 100 events by default (oldest
// first, so .events[-1] is the latest), and previous links walk back through the whole log.
// Before, every answer was the whole log: 7.4 MB when full, and 400 at once took 2.5 GB.
func TestEventPages(t *testing.T) {
	e, _ := newEmu(t, nil)
	for range 250 { // a refused token request (no Metadata-Flavor) records one event
		req := httptest.NewRequest("PUT", "http://"+imds.MetadataHost+"/identity/v1/token?version=2025-08-26", nil)
		e.ServeHTTP(httptest.NewRecorder(), req)
	}
	all := e.Events()
	if len(all) != 250 {
		t.Fatalf("%d events recorded; want 250", len(all))
	}
	type page struct {
		Events     []imds.Event `json:"events"`
		Limit      int          `json:"limit"`
		TotalCount int          `json:"total_count"`
		Previous   *struct {
			Href string `json:"href"`
		} `json:"previous"`
	}
	fetch := func(path string) (int, page) {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest("GET", "http://127.0.0.1:8169"+path, nil))
		var p page
		json.Unmarshal(rec.Body.Bytes(), &p)
		return rec.Code, p
	}
	status, first := fetch("/_emulator/events")
	if status != 200 || len(first.Events) != 100 || first.Limit != 100 || first.TotalCount != 250 || first.Previous == nil ||
		!reflect.DeepEqual(first.Events, all[150:]) {
		t.Fatalf("default page: %d, %d events, limit %d, total %d, previous %v", status, len(first.Events), first.Limit, first.TotalCount, first.Previous)
	}
	var walked []imds.Event
	next := "/_emulator/events?limit=60"
	pages := 0
	for next != "" {
		status, p := fetch(next)
		if status != 200 || len(p.Events) == 0 || len(p.Events) > 60 {
			t.Fatalf("%s: %d, %d events", next, status, len(p.Events))
		}
		walked = append(p.Events, walked...)
		next = ""
		if p.Previous != nil {
			next = p.Previous.Href
		}
		pages++
	}
	if pages != 5 || !reflect.DeepEqual(walked, all) {
		t.Errorf("walking back by 60 took %d pages and gave %d events; want 5 pages and the whole log", pages, len(walked))
	}
	for bad, param := range map[string]string{"limit=0": "limit", "limit=1001": "limit", "limit=x": "limit", "before=no-such-event": "before"} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest("GET", "http://127.0.0.1:8169/_emulator/events?"+bad, nil))
		wantError(t, rec.Code, rec.Body.Bytes(), http.StatusBadRequest, "invalid_value", param+" query_parameter")
	}
}
