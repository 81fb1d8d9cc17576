//go:build !js

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"
)

// traceCategories are what a first visit's trace records: the page's and the worker's tasks,
// their scripts (with JavaScript and WebAssembly samples), style, layout, loading and the
// runtime's performance marks. DevTools' own Performance panel records about the same.
var traceCategories = []string{
	"devtools.timeline", "disabled-by-default-devtools.timeline", "disabled-by-default-devtools.timeline.frame",
	"v8", "v8.execute", "v8.wasm", "disabled-by-default-v8.cpu_profiler",
	"blink", "blink.user_timing", "fonts", "disabled-by-default-fonts", "loading", "toplevel", "netlog", "disabled-by-default-devtools.timeline.stack",
}

// traceVisit loads url as a first visit does (a fresh browser context, an empty cache) while
// Chromium traces it, and writes the trace to file as Chrome's JSON trace format (open it in
// the Performance panel of DevTools, or at ui.perfetto.dev). It is how the budgets' numbers are
// explained: which task of which thread spends the time.
func (m *measurer) traceVisit(url, file string) error {
	ctx, cancel, err := m.tab()
	if err != nil {
		return err
	}
	defer cancel()
	tctx, tcancel := context.WithTimeout(ctx, 120*time.Second)
	defer tcancel()
	var (
		mu     sync.Mutex
		events []json.RawMessage
		done   = make(chan struct{})
	)
	// The events are collected as they arrive, in the loop that reads the browser's messages.
	if err := chromedp.Listen(tctx, func(ev any) {
		switch ev := ev.(type) {
		case *tracing.EventDataCollected:
			mu.Lock()
			for _, v := range ev.Value {
				events = append(events, json.RawMessage(v))
			}
			mu.Unlock()
		case *tracing.EventTracingComplete:
			close(done)
		}
	}); err != nil {
		return err
	}
	if _, err := chromedp.Call(tctx, tracing.Start, tracing.StartParams{
		TransferMode: tracing.StartTransferModeReportEvents,
		TraceConfig:  &tracing.TraceConfig{IncludedCategories: traceCategories, EnableSampling: true},
	}); err != nil {
		return fmt.Errorf("starting the trace: %w", err)
	}
	if err := open(tctx, url); err != nil {
		return err
	}
	// The first token too, and what the page draws after ready.
	if _, err := runInPage(tctx, tokenScript); err != nil {
		return err
	}
	time.Sleep(time.Second)
	if _, err := chromedp.Call(tctx, tracing.End, cdp.Empty{}); err != nil {
		return fmt.Errorf("ending the trace: %w", err)
	}
	select {
	case <-done:
	case <-tctx.Done():
		return tctx.Err()
	}
	mu.Lock()
	defer mu.Unlock()
	b, err := json.Marshal(map[string]any{"traceEvents": events})
	if err != nil {
		return err
	}
	return os.WriteFile(file, b, 0o644)
}
