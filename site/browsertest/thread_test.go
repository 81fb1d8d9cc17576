//go:build !js

package browsertest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// busyPage is what the page reports while a busy loop runs in one of its blocks.
type busyPage struct {
	Frames   int        `json:"frames"`   // animation frames in the window
	Scrolled bool       `json:"scrolled"` // scrollBy moved the page
	Long     []LongTask `json:"long"`     // long tasks that started in the window
	State    string     `json:"state"`    // the busy block's output state at the end
}

// busyWindowJS watches the page for %d ms: animation frames, a scroll, and the long tasks that
// start meanwhile.
const busyWindowJS = `new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => {
	// Two frames first: the block's "Running…" is drawn before the window opens.
	const t0 = performance.now(), until = t0 + %d;
	let frames = 0;
	const before = scrollY;
	scrollBy(0, 300);
	const scrolled = scrollY !== before;
	const tick = () => {
		frames++;
		if (performance.now() < until) requestAnimationFrame(tick);
		else resolve({frames, scrolled, long: window.__longTasks.filter((t) => t.start >= t0), state: document.querySelector(%q).querySelector('[data-testid="output"]').dataset.state});
	};
	requestAnimationFrame(tick);
})))`

// What TestPageThreadFree lets the page's thread do in its 3 s window while the engine is busy:
// a few long tasks (of a loaded machine's rendering), none longer than blockedMs, and at least
// minFPS frames a second (headless Chromium draws at 60 Hz). The count is what tells a worker
// from the page's thread: Go there would hold it for a task of about 50 ms twenty times a
// second. blockedMs only catches a thread held outright (a loop that never yields runs the
// whole window in one task), so it is far above what rendering takes on a loaded machine:
// at 200 ms, a 252 ms paint at load average 7 failed the test.
const (
	maxLongTasks = 3
	blockedMs    = 1000
	minFPS       = 30
)

// TestPageThreadFree runs a busy loop in a block and checks that the page's own thread stays
// free meanwhile: no task that holds it, animation frames keep coming, the page scrolls, and a link to
// another page works. The engine runs in its worker; the page thread only exchanges messages.
func TestPageThreadFree(t *testing.T) {
	setup(t)
	tb := newFreshTab(t)
	if _, err := chromedp.Call(tb.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: LongTaskScript}); err != nil {
		t.Fatal(err)
	}
	path, _, i := tb.firstBlocks(t)
	tb.openLive(t, path)
	if eval[bool](t, tb, `window.__longTasks === null`) {
		t.Skip("this browser has no Long Tasks API")
	}
	load := eval[[]LongTask](t, tb, `window.__longTasks`)
	t.Logf("long tasks while %s loaded (information; scripts/budgets judges them): %v", path, load)

	tb.setEditor(t, i, `while true; do :; done`)
	tb.startBlock(t, i)
	const window = 3000
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	b, err := chromedp.Run(ctx, chromedp.Evaluate[busyPage](fmt.Sprintf(busyWindowJS, window, blockSel(i)), chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("during %d ms of a busy loop: %d animation frames, scrolled %v, long tasks %v", window, b.Frames, b.Scrolled, b.Long)
	if b.State != "running" {
		t.Fatalf("the busy block's output is %q; want it still running", b.State)
	}
	// Go on the page's thread would hold it for a task of 50 ms at a time (the shell hands the
	// event loop a turn every 50 ms), twenty times a second, and the page would draw at most that
	// often. The page's own frames (a scroll's paint) stay far below 50 ms on an idle machine, but
	// not always on two busy cores: a few are let through here, and scripts/budgets judges the
	// Long Tasks API's 50 ms with the floor beside it.
	if len(b.Long) > maxLongTasks {
		t.Errorf("%d long tasks on the page's thread while the loop ran: %v; want at most %d", len(b.Long), b.Long, maxLongTasks)
	}
	for _, l := range b.Long {
		if l.Ms > blockedMs {
			t.Errorf("a task of %.0f ms on the page's thread while the loop ran; want none over %d ms", l.Ms, blockedMs)
		}
	}
	if b.Frames < window/1000*minFPS {
		t.Errorf("%d animation frames in %d ms; want at least %d a second", b.Frames, window, minFPS)
	}
	if !b.Scrolled {
		t.Errorf("the page did not scroll")
	}

	// Another page's link still works while the loop runs.
	next := eval[string](t, tb, `(() => { const a = document.querySelector('[data-testid="sidebar"] a:not([aria-current])'); a.click(); return a.pathname; })()`)
	tb.waitReload(t, "the next page, ready", fmt.Sprintf(`location.pathname === %q && document.documentElement.dataset.imdsReady === "true"`, next))
	if !strings.HasPrefix(next, "/") {
		t.Errorf("followed %q", next)
	}
	tb.checkClean(t)
}
