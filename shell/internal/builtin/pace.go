package builtin

import (
	"runtime"
	"sync/atomic"
	"time"
)

var lastPause atomic.Int64

// Pace gives the JavaScript event loop a turn now and then during a long busy run under
// js/wasm, where Go cannot preempt a goroutine: without it `while true; do :; done` would freeze
// the page, and neither an interrupt nor a time limit could reach the loop. Elsewhere it does
// nothing.
func Pace() {
	if runtime.GOOS != "js" {
		return
	}
	now := time.Now().UnixNano()
	if now-lastPause.Load() < int64(50*time.Millisecond) {
		return
	}
	lastPause.Store(now)
	time.Sleep(time.Millisecond)
}
