package imds_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/internal/fixture"
)

// TestEventsKeepNewest fills the Activity Tracker log past the 10000 events it keeps and
// checks that it holds the newest 10000, oldest first. (The log is a ring: it used to shift
// all 10000 events down for each new one, which made every request past the ten-thousandth
// cost a 2.5 MB copy under the emulator's lock.)
func TestEventsKeepNewest(t *testing.T) {
	const keep, extra = 10000, 37
	e, clock := newEmu(t, nil)
	send := func(path string) {
		// Refused before any signature is checked (no version), yet recorded.
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest("GET", md+path, nil))
		if rec.Code != 400 {
			t.Fatalf("GET %s: %d; want 400", path, rec.Code)
		}
		clock.Advance(time.Millisecond)
	}
	for range keep + extra {
		send("/metadata/v1/instance")
	}
	send("/metadata/v1/keys")
	events := e.Events()
	if len(events) != keep {
		t.Fatalf("got %d events; want %d", len(events), keep)
	}
	if got, want := events[keep-1].Action, "is.metadata.instance-key.list"; got != want {
		t.Fatalf("newest event got %q; want %q", got, want)
	}
	layout := "2006-01-02T15:04:05.000Z0700"
	first, err := time.Parse(layout, events[0].EventTime)
	if err != nil {
		t.Fatal(err)
	}
	// extra+1 events were dropped, each a millisecond after the one before.
	if want := fixture.Time().Add((extra + 1) * time.Millisecond).Truncate(time.Millisecond); !first.Equal(want) {
		t.Fatalf("oldest event at %v; want %v", first, want)
	}
	for i := 1; i < keep; i++ {
		if events[i].EventTime <= events[i-1].EventTime {
			t.Fatalf("event %d at %s is not after event %d at %s", i, events[i].EventTime, i-1, events[i-1].EventTime)
		}
	}
}
