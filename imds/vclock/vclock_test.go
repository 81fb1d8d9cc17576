package vclock

import (
	"testing"
	"time"
)

func TestFixed(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := Fixed(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("got %v; want %v", got, start)
	}
	c.Advance(90 * time.Second)
	c.Advance(-time.Hour)
	if got, want := c.Now(), start.Add(90*time.Second); !got.Equal(want) {
		t.Fatalf("got %v; want %v", got, want)
	}
	if got := c.Offset(); got != 90*time.Second {
		t.Fatalf("offset got %v; want 90s", got)
	}
}

func TestFollowing(t *testing.T) {
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	now := base
	c := Following(func() time.Time { return now })
	c.Advance(time.Minute)
	now = now.Add(time.Second)
	if got, want := c.Now(), base.Add(61*time.Second); !got.Equal(want) {
		t.Fatalf("got %v; want %v", got, want)
	}
	var zero Clock
	if d := time.Since(zero.Now()); d < 0 || d > time.Minute {
		t.Fatalf("zero clock is %v away from time.Now", d)
	}
}
