// Package limit bounds one run of the shell: how long it may take in real time, how much it may
// write to the terminal and how much memory it may take. A Run owns the run's context; when a
// limit is hit it cancels that context with an *Error as the cause, and everything that watches
// the context (the interpreter between statements, gojq between instructions, awk at every
// loop iteration and function call, builtins in their loops) stops.
//
// # Checkpoints
//
// Natively a timer ends the run at its deadline and a watchdog goroutine samples the heap every
// few milliseconds. Under js/wasm neither can fire while a goroutine spins, since the browser's
// only thread is never preempted. So the checks are also made inline, at checkpoints (Poll):
// the context a run hands out makes one of every call to its Err method (the interpreter calls
// it before every statement, builtins in their loops) and one of every few dozen calls to its
// Done method (gojq calls it before every instruction); the awk command adds one to every loop
// and function body. A checkpoint reads the clock, samples the heap at most once a
// millisecond and, under js/wasm, lets the page's event loop run now and then (Pace), which is
// also how an interrupt (Ctrl-C) reaches a busy loop there.
//
// # Memory
//
// Memory is the growth of the Go heap, goroutine stacks included, since the run started,
// sampled at checkpoints: the variables, arrays and buffers of the interpreters and of every
// command are counted without each having to report them. The sample includes garbage, so
// before stopping a run the check collects garbage and measures again. The heap is the
// process's: in a process that runs several scripts at once, their allocations add up, and
// garbage left by earlier work (up to a quarter of the limit; more is collected when the run
// starts) can hide as much of the run's growth. The goroutines a run adds are bounded too
// (MaxConcurrent): each pipeline stage and command substitution runs on one.
//
// Sampling notices growth after the fact: a single step between two checkpoints can allocate
// past the limit. So the steps that can build much more than they are given are checked
// before they allocate, against Limits.Buffer, by the code that runs them: the shell's
// expansions ($x$x, ${x//a/$y}, braces, arrays; see package shell), printf's widths, jq's
// string repetition, and every buffer the shell's own code holds (a file, a variable, a
// command's standard input read whole), at the moment it would grow past it. What remains
// unchecked is named in the README's security section.
package limit

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Kind says which limit stopped a run.
type Kind int

// The limits.
const (
	RunTime Kind = iota + 1 // real time
	Output                  // bytes written to the terminal
	Memory                  // heap growth, or one file, variable or buffer too large
)

// Error is the cause a run is cancelled with when it hits a limit. Its message says what
// happened, with " (limit)" after it: "it used more than 64 MiB of memory (limit)".
type Error struct {
	Kind Kind
	What string // e.g. "it ran for more than 60s"
}

func (e *Error) Error() string { return e.What + " (limit)" }

// Limits are the bounds of one run. Zero or negative fields mean no limit.
type Limits struct {
	RunTime time.Duration // real time
	Output  int64         // bytes written to the terminal, stdout and stderr together
	Memory  int64         // heap growth during the run
}

// Buffer is the most bytes one file, one variable or one buffer of a command may hold: a
// quarter of Memory (0, no bound, when Memory is 0).
func (l Limits) Buffer() int64 { return l.Memory / 4 }

// Run is one run being bounded. Its methods may be called from several goroutines.
type Run struct {
	lim      Limits
	ctx      context.Context
	cancel   context.CancelCauseFunc
	deadline time.Time
	timer    *time.Timer
	ticks    atomic.Uint32
	output   atomic.Int64
	stopWD   chan struct{}

	mu       sync.Mutex // serialises heap checks
	heap0    uint64     // the heap when the run started (see baseline)
	g0       int        // the goroutines when the run started
	floor    int64      // growth measured by the last forced collection
	lastHeap atomic.Int64
	sampler  heapSampler
}

// MaxConcurrent bounds the goroutines a run adds, when it has a memory limit: each stage of a
// pipeline and each command substitution runs on one, and natively each pipe between two
// stages holds two file descriptors. No script of the documentation comes near it; nested
// pipelines that grow without end (f() { f | f; }) reach it in a few milliseconds. The count
// is the process's, as the heap is.
const MaxConcurrent = 1000

// pollEvery is how many steps (Tick) pass between two checkpoints: gojq makes one per
// instruction, which costs far less than the clock reading of a checkpoint.
const pollEvery = 64

// heapEvery is the least time between two heap samples.
const heapEvery = time.Millisecond

// watchEvery is how often the native watchdog samples the heap.
const watchEvery = 2 * time.Millisecond

// Start begins a bounded run under parent. The context it returns is the one the run must use:
// it is cancelled when a limit is hit (with an *Error cause), when parent is, or by Stop. Call
// End when the run is over.
func Start(parent context.Context, l Limits) (*Run, context.Context) {
	r := newRun(parent, l)
	if l.Memory > 0 && runtime.GOOS != "js" {
		r.stopWD = make(chan struct{})
		go r.watch(r.stopWD)
	}
	if l.RunTime > 0 {
		r.deadline = time.Now().Add(l.RunTime)
		r.timer = time.AfterFunc(l.RunTime, func() { r.Stop(r.runTimeError()) })
	}
	return r, &pollCtx{Context: r.ctx, r: r}
}

// newRun makes a run without its timer and watchdog.
func newRun(parent context.Context, l Limits) *Run {
	ctx, cancel := context.WithCancelCause(parent)
	r := &Run{lim: l, ctx: ctx, cancel: cancel, sampler: newHeapSampler()}
	if l.Memory > 0 {
		r.heap0 = r.baseline() // before the deadline is set: a collection here is not the run's time
		r.g0 = runtime.NumGoroutine()
		r.lastHeap.Store(time.Now().UnixNano())
	}
	return r
}

// End releases the run's timer and watchdog and cancels its context. Call it once.
func (r *Run) End() {
	if r.timer != nil {
		r.timer.Stop()
	}
	if r.stopWD != nil {
		close(r.stopWD)
	}
	r.cancel(nil)
}

// Limits returns the run's limits.
func (r *Run) Limits() Limits { return r.lim }

// Stop cancels the run with cause (the first cause wins).
func (r *Run) Stop(cause error) { r.cancel(cause) }

// Err reports the cause the run was cancelled with, or nil while it goes on.
func (r *Run) Err() error {
	if r.ctx.Err() == nil {
		return nil
	}
	return context.Cause(r.ctx)
}

// Exceeded returns the *Error that stopped the run, or nil.
func (r *Run) Exceeded() *Error {
	e, _ := r.Err().(*Error)
	return e
}

// Tick counts one step of a loop and makes a checkpoint every few dozen steps (see Poll),
// returning the cause when that checkpoint finds the run stopped. Between checkpoints it costs
// an atomic add and returns nil.
func (r *Run) Tick() error {
	if r.ticks.Add(1)%pollEvery == 0 {
		return r.Poll()
	}
	return nil
}

// Poll is a checkpoint: under js/wasm it lets the page's event loop run now and then (Pace);
// everywhere it checks the deadline and, at most every millisecond, the heap. It returns the
// cause once the run is stopped. It costs a clock reading (some 50ns natively, 200ns under
// js/wasm) when nothing is due.
func (r *Run) Poll() error {
	now := time.Now()
	pace(now)
	if err := r.Err(); err != nil {
		return err
	}
	if !r.deadline.IsZero() && !now.Before(r.deadline) {
		r.Stop(r.runTimeError())
		return r.Err()
	}
	if r.lim.Memory > 0 && now.UnixNano()-r.lastHeap.Load() >= int64(heapEvery) {
		r.lastHeap.Store(now.UnixNano())
		r.checkHeap()
	}
	return r.Err()
}

// Wrote counts n bytes written to the terminal and stops the run past the output limit.
func (r *Run) Wrote(n int) error {
	if r.output.Add(int64(n)) > r.lim.Output && r.lim.Output > 0 {
		r.Stop(&Error{Output, "it wrote more than " + Bytes(r.lim.Output) + " of output"})
	}
	return r.Err()
}

// Fits checks that a buffer of n bytes stays within Buffer; past it, it stops the run with a
// message built from what ("jq's standard input", "variable x", …) and returns the cause.
func (r *Run) Fits(n int64, what string) error {
	if b := r.lim.Buffer(); b > 0 && n > b {
		r.Stop(&Error{Memory, fmt.Sprintf("%s took more than %s of memory", what, Bytes(b))})
		return r.Err()
	}
	return nil
}

// OverMemory stops the run because something would grow past a memory bound; what is the
// whole message ("file /root/f would grow past 16 MiB").
func (r *Run) OverMemory(what string) {
	r.Stop(&Error{Memory, what})
}

func (r *Run) runTimeError() *Error {
	return &Error{RunTime, "it ran for more than " + Duration(r.lim.RunTime)}
}

// watch samples the heap until the run ends (natively, where it runs beside a busy run).
func (r *Run) watch(stop chan struct{}) {
	t := time.NewTicker(watchEvery)
	defer t.Stop()
	done := r.ctx.Done()
	for {
		select {
		case <-stop:
			return
		case <-done:
			return
		case <-t.C:
			r.lastHeap.Store(time.Now().UnixNano())
			r.checkHeap()
		}
	}
}

// checkHeap stops the run when the heap has grown past the memory limit since it started. The
// cheap sample counts garbage too, so a sample over the limit is confirmed by a collection
// first; after one that finds the run under its limit, the next waits until the sample is a
// quarter of the limit above what it found, so that a run living near its limit does not
// collect at every checkpoint.
func (r *Run) checkHeap() {
	if !r.mu.TryLock() {
		return // another goroutine is checking
	}
	defer r.mu.Unlock()
	if r.ctx.Err() != nil {
		return
	}
	if r.overConcurrent() {
		return
	}
	used := int64(r.heap()) - int64(r.heap0)
	if used <= r.lim.Memory || used-r.floor < r.lim.Memory/4 {
		return
	}
	runtime.GC()
	// What the collection found live: the objects sampled now would include what other
	// goroutines of the run (a pipeline) allocated while it went on.
	used = int64(r.sampler.liveAfterGC()) - int64(r.heap0)
	if used > r.lim.Memory {
		r.Stop(&Error{Memory, "it used more than " + Bytes(r.lim.Memory) + " of memory"})
		return
	}
	r.floor = max(used, 0)
}

// Started is called as each command starts (the shell's call handler): it stops the run when
// it has more than MaxConcurrent commands at once. Nested pipelines double their goroutines
// faster than the watchdog samples, so the count is checked where they are made, not only
// with the heap; reading it costs a few nanoseconds.
func (r *Run) Started() error {
	if r.lim.Memory > 0 {
		r.overConcurrent()
	}
	return r.Err()
}

func (r *Run) overConcurrent() bool {
	if runtime.NumGoroutine()-r.g0 <= MaxConcurrent {
		return false
	}
	r.Stop(&Error{Memory, fmt.Sprintf("it ran more than %d commands at once", MaxConcurrent)})
	return true
}

// heap samples the bytes in heap objects, garbage included.
func (r *Run) heap() uint64 {
	return r.sampler.objects()
}

// baseline is the heap the run starts from. Garbage left by earlier work would later be
// collected and hide as much of the run's own growth, so when there is a lot of it (more than a
// quarter of the limit since the last collection) it is collected first.
func (r *Run) baseline() uint64 {
	objects, live := r.sampler.objects(), r.sampler.live()
	if objects > live+uint64(r.lim.Memory/4) {
		runtime.GC()
		return r.sampler.liveAfterGC()
	}
	return objects
}

// pollCtx is the run's context as handed out. Its Err is a checkpoint (Poll) and its Done a
// step (Tick), which turns every place that already watches the context into a checkpoint:
// the interpreter calls Err before every statement, so that even a loop of assignments that
// doubles a variable is caught within a step or two of the limit; gojq calls Done before
// every instruction.
type pollCtx struct {
	context.Context
	r *Run
}

type runKey struct{}

func (c *pollCtx) Done() <-chan struct{} {
	c.r.Tick()
	return c.Context.Done()
}

func (c *pollCtx) Err() error {
	c.r.Poll()
	return c.Context.Err()
}

func (c *pollCtx) Value(key any) any {
	if key == (runKey{}) {
		return c.r
	}
	return c.Context.Value(key)
}

// FromContext returns the run a context belongs to, or nil.
func FromContext(ctx context.Context) *Run {
	if ctx == nil {
		return nil
	}
	r, _ := ctx.Value(runKey{}).(*Run)
	return r
}

// Bytes formats a size the way the limits are documented: "64 MiB", "512 KiB", "1000 bytes".
func Bytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Duration formats a run time: "60s", "1.5s", "200ms".
func Duration(d time.Duration) string {
	if d >= time.Second && d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return d.String()
}

var lastPause atomic.Int64

// Pace gives the JavaScript event loop a turn now and then during a long busy run under
// js/wasm, where Go cannot preempt a goroutine: without it `while true; do :; done` would freeze
// the page, and neither an interrupt nor a time limit could reach the loop. Elsewhere it does
// nothing.
func Pace() {
	if runtime.GOOS != "js" {
		return
	}
	pace(time.Now())
}

// pace is Pace with the time already read: every 50ms it sleeps for a millisecond, which hands
// the thread back to the page.
func pace(now time.Time) {
	if runtime.GOOS != "js" {
		return
	}
	if now.UnixNano()-lastPause.Load() < int64(50*time.Millisecond) {
		return
	}
	lastPause.Store(now.UnixNano())
	time.Sleep(time.Millisecond)
}
