package limit

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestFormat(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{Bytes(64 << 20), "64 MiB"},
		{Bytes(16 << 10), "16 KiB"},
		{Bytes(1000), "1000 bytes"},
		{Bytes(3<<20 + 1), "3145729 bytes"},
		{Duration(60 * time.Second), "60s"},
		{Duration(1500 * time.Millisecond), "1.5s"},
		{Duration(150 * time.Millisecond), "150ms"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q; want %q", tc.got, tc.want)
		}
	}
}

// stopped checks that the run was stopped by the limit of kind, with message msg.
func stopped(t *testing.T, r *Run, kind Kind, msg string) {
	t.Helper()
	var e *Error
	if err := r.Err(); !errors.As(err, &e) || e.Kind != kind || e.Error() != msg {
		t.Fatalf("got %v; want %q", err, msg)
	}
	if r.Exceeded() != e {
		t.Errorf("Exceeded() = %v", r.Exceeded())
	}
}

func TestRunTime(t *testing.T) {
	// A deadline already past: the first checkpoint finds it, whether or not the timer fired.
	r, ctx := Start(context.Background(), Limits{RunTime: time.Nanosecond})
	defer r.End()
	if err := ctx.Err(); err == nil {
		t.Fatal("the context's Err is a checkpoint and should see the deadline")
	}
	stopped(t, r, RunTime, "it ran for more than 1ns (limit)")
}

func TestOutput(t *testing.T) {
	r, ctx := Start(context.Background(), Limits{Output: 10})
	defer r.End()
	if err := r.Wrote(10); err != nil {
		t.Fatalf("10 bytes of 10: %v", err)
	}
	if err := r.Wrote(1); err == nil {
		t.Fatal("11 bytes of 10 should stop the run")
	}
	stopped(t, r, Output, "it wrote more than 10 bytes of output (limit)")
	if context.Cause(ctx) != r.Err() {
		t.Errorf("the context's cause is %v", context.Cause(ctx))
	}
}

func TestFits(t *testing.T) {
	r, _ := Start(context.Background(), Limits{Memory: 4 << 20})
	defer r.End()
	if r.Limits().Buffer() != 1<<20 {
		t.Fatalf("buffer %d", r.Limits().Buffer())
	}
	if err := r.Fits(1<<20, "jq's standard input"); err != nil {
		t.Fatalf("exactly the buffer limit: %v", err)
	}
	if err := r.Fits(1<<20+1, "jq's standard input"); err == nil {
		t.Fatal("past the buffer limit should stop the run")
	}
	stopped(t, r, Memory, "jq's standard input took more than 1 MiB of memory (limit)")
}

var sink []byte

// garbage allocates 8 MiB in small pieces, so that little of it is live at any moment (the
// watchdog may look in the middle), and all of it dead when it returns (it is a function of its
// own, so that no variable of the test keeps a piece alive, as the race detector's build may).
//
//go:noinline
func garbage() {
	for range 256 {
		b := make([]byte, 32<<10)
		b[0] = 1
		sink2 = b[:1]
	}
	sink2 = nil
}

var sink2 []byte

// TestHeap checks the heap directly, on runs without the watchdog, which could otherwise look
// at any moment.
func TestHeap(t *testing.T) {
	t.Run("ok/garbage-is-not-counted", func(t *testing.T) {
		r := newRun(context.Background(), Limits{Memory: 1 << 20})
		defer r.End()
		garbage()
		r.checkHeap()
		if err := r.Err(); err != nil {
			t.Fatalf("garbage stopped the run: %v", err)
		}
	})
	t.Run("fail/live-growth", func(t *testing.T) {
		r := newRun(context.Background(), Limits{Memory: 1 << 20})
		defer r.End()
		sink = make([]byte, 8<<20)
		defer func() { sink = nil }()
		r.checkHeap()
		stopped(t, r, Memory, "it used more than 1 MiB of memory (limit)")
	})
}

func TestContext(t *testing.T) {
	r, ctx := Start(context.Background(), Limits{})
	defer r.End()
	type key struct{}
	inner := context.WithValue(ctx, key{}, 1)
	if FromContext(inner) != r || FromContext(context.Background()) != nil || FromContext(nil) != nil {
		t.Fatal("FromContext does not find the run")
	}
	child, cancel := context.WithCancel(inner)
	defer cancel()
	cause := errors.New("interrupted")
	r.Stop(cause)
	r.Stop(errors.New("second")) // the first cause wins
	select {
	case <-child.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("a child context was not cancelled with the run")
	}
	if context.Cause(inner) != cause || r.Err() != cause || r.Exceeded() != nil {
		t.Errorf("cause %v, Err %v", context.Cause(inner), r.Err())
	}
	if err := r.Tick(); err != nil && err != cause {
		t.Errorf("Tick: %v", err)
	}
	if err := r.Poll(); err != cause {
		t.Errorf("Poll after Stop: %v", err)
	}
}
