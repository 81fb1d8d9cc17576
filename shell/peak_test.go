//go:build !js

package shell_test

import (
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imdsplay/imdsplay/imds/vclock"
	"github.com/imdsplay/imdsplay/shell"
)

// peakAttacks are issue 14's memory attacks: each must be stopped before the heap and the
// goroutine stacks grow past twice the memory limit.
var peakAttacks = []string{
	`x=aaaaaaaaaaaaaaaa; for i in $(seq 16); do x=$x$x; done; y=${x:0:1024}; z=${x//a/$y}`,
	`eval ":(){ :|:& };:"`,
	`:(){ :|: ; };:`,
	`f(){ f|f; }; f`,
	`f(){ echo $(f) $(f); }; f`,
	`x=aaaaaaaaaaaaaaaa; for i in $(seq 17); do x=$x$x; done; a=($x $x $x $x $x $x $x $x); b=("${a[@]}" "${a[@]}" "${a[@]}")`,
	`x=$(printf '%0100000d' 0); echo {1..100}{1..100}$x`,
}

// TestPeakMemory runs each attack while a sampler reads the heap (garbage included) and the
// goroutine stacks every 50µs, and fails when their growth peaked past twice the run's memory
// limit (the goal, at the default limit), or when the run had far more commands at once than it may.
// Sampling can miss a peak shorter than its period, never invent one: each attack runs three
// times.
func TestPeakMemory(t *testing.T) {
	const memory = shell.DefaultMemory
	// Three times each: a fork bomb's peak lasts about as long as a sampling period.
	for _, script := range append(append(peakAttacks, peakAttacks...), peakAttacks...) {
		s := shell.New(shell.Config{Clock: vclock.Fixed(epoch), KeySource: fixtureKeys(t), Limits: shell.Limits{RunTime: time.Minute, Memory: memory}})
		runtime.GC()
		samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/stacks:bytes"}}
		read := func() int64 {
			metrics.Read(samples)
			return int64(samples[0].Value.Uint64() + samples[1].Value.Uint64())
		}
		base, g0 := read(), runtime.NumGoroutine()
		var peak, peakG atomic.Int64
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			tick := time.NewTicker(50 * time.Microsecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					peak.Store(max(peak.Load(), read()-base))
					peakG.Store(max(peakG.Load(), int64(runtime.NumGoroutine()-g0)))
				}
			}
		}()
		r := run(t, s, script)
		close(stop)
		<-sampled
		t.Logf("%s: peak %d MiB, %d goroutines", script, peak.Load()>>20, peakG.Load())
		if r.status == 0 {
			t.Errorf("%s\nstatus 0; want a limit or a refusal\n%v", script, r)
		}
		if p := peak.Load(); p > 2*memory {
			t.Errorf("%s\npeaked at %d MiB of heap and stacks; the limit is %d MiB", script, p>>20, memory>>20)
		}
		if g := peakG.Load(); g > 2*1000 {
			t.Errorf("%s\nhad %d goroutines at once; a run may have 1000 commands", script, g)
		}
	}
}
