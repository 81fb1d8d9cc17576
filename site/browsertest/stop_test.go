//go:build !js

package browsertest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// stopResult is what the page reports of one Stop: how long from the click (or Esc) to the
// block's output, and how the run ended.
type stopResult struct {
	Ms      float64 `json:"ms"`
	Stopped string  `json:"stopped"`
	Exit    string  `json:"exit"`
	Text    string  `json:"text"`
	Hidden  bool    `json:"hidden"` // the Stop button, after the run
	Busy    bool    `json:"busy"`   // aria-busy, after the run
}

// stopJS stops block %[1]q with the Stop button, or with Esc in its editor when %[2]t, and
// resolves when its output shows the end of the run.
const stopJS = `new Promise((resolve) => {
	const b = document.querySelector(%[1]q);
	const out = b.querySelector('[data-testid="output"]');
	const t0 = performance.now();
	const done = () => {
		if (!["ok", "error"].includes(out.dataset.state) || b.hasAttribute("aria-busy")) return false;
		resolve({
			ms: performance.now() - t0,
			stopped: out.querySelector('[data-testid="stopped"]')?.dataset.stopped ?? "",
			exit: out.querySelector('[data-testid="exit"]')?.dataset.exit ?? "",
			text: out.innerText,
			hidden: b.querySelector('[data-testid="stop"]').hidden,
			busy: b.hasAttribute("aria-busy"),
		});
		return true;
	};
	new MutationObserver((_, mo) => done() && mo.disconnect()).observe(b, {subtree: true, childList: true, attributes: true});
	if (%[2]t) {
		const e = b.querySelector('[data-testid="editor"]');
		e.focus();
		e.dispatchEvent(new KeyboardEvent("keydown", {key: "Escape", bubbles: true, cancelable: true}));
	} else {
		b.querySelector('[data-testid="stop"]').click();
	}
})`

// startBlock clicks Run on block i and waits until the block is running (or waiting to).
func (tb *tab) startBlock(t *testing.T, i int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(blockSel(i)+` [data-testid="run"]`))); err != nil {
		t.Fatalf("block %d: click Run: %v", i, err)
	}
	running := fmt.Sprintf(`(() => { const b = document.querySelector(%q); return ["running", "queued"].includes(b.querySelector('[data-testid="output"]').dataset.state) && !b.querySelector('[data-testid="stop"]').hidden; })()`, blockSel(i))
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](running)); err != nil {
		t.Fatalf("block %d never showed as running with a Stop button: %v", i, err)
	}
}

// waitBlock waits for block i's result.
func (tb *tab) waitBlock(t *testing.T, i int) blockResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 60*time.Second)
	defer cancel()
	done := fmt.Sprintf(`["ok", "error"].includes(document.querySelector(%q).querySelector('[data-testid="output"]').dataset.state)`, blockSel(i))
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](done)); err != nil {
		t.Fatalf("block %d: no result: %v", i, err)
	}
	return tb.readBlock(t, i)
}

// TestStop stops runs as a reader would, while other blocks wait to run: a shell busy loop (the
// shell yields, so Go cancels it: exit 130, within a second) and one long Go call that never
// yields (a regular expression over 2 MB in jq, for many seconds in wasm), which is ended with
// the engine's worker. Either way no other block waits behind the stopped one, and the world is
// as it was before the run: the instance's settings, the session's variables, and tokens issued
// before (the new worker signs with the same keys).
func TestStop(t *testing.T) {
	setup(t)
	tb := newTab(t)
	tb.forget(t)
	// A page with two instance blocks and a workstation block.
	w, i, q := -1, -1, -1
	for _, p := range env.site.Build.Pages {
		tb.openLive(t, p)
		places := eval[[]string](t, tb, `Array.from(document.querySelectorAll('[data-testid="live-block"]'), (b) => b.dataset.on)`)
		w, i, q = -1, -1, -1
		for n, on := range places {
			switch {
			case on == "workstation" && w < 0:
				w = n
			case on == "instance" && i < 0:
				i = n
			case on == "instance" && q < 0:
				q = n
			}
		}
		if w >= 0 && q >= 0 {
			break
		}
	}
	if q < 0 {
		t.Skip("no page has two instance blocks and a workstation block")
	}

	// The world before: a variable, a token, a setting.
	r := tb.run(t, i, `export mark=before; token=$(`+tokenCmd+` | jq -r .access_token); echo "$token"`)
	token := strings.TrimSpace(r.Text[:strings.IndexByte(r.Text+"\n", '\n')])
	if r.Exit != "0" || !strings.HasPrefix(token, "eyJ") {
		t.Fatalf("setting up: exit %s, output %q", r.Exit, r.Text)
	}
	eval[chromedp.Void](t, tb, `imds.configure({hopLimit: 3}).then(() => undefined)`)
	// And a variable in an embed's named group of blocks, which the page's memory does not keep.
	const group = `imds.newSession({on: "instance", group: "docs-a"})`
	if r := eval[blockResult](t, tb, group+`.run("grouped=kept").then((r) => ({exit: String(r.exit), text: r.stderr}))`); r.Exit != "0" {
		t.Fatalf("setting up the group's session: exit %s, %q", r.Exit, r.Text)
	}

	for _, tc := range []struct {
		name, script, how string
		esc               bool
		within            time.Duration
	}{
		// The shell reaches a checkpoint at every command, and hands the event loop a turn
		// every 50 ms: the cancel arrives at once.
		{"ok/a shell busy loop is cancelled", `while true; do :; done`, "cancelled", true, time.Second},
		// gojq's test is one call into Go's regexp: nothing yields until it ends. The worker is
		// ended after STOP_GRACE_MS (client.ts); a new one boots from the compiled module and
		// restores the world.
		{"ok/a Go call that never yields ends with the worker", `jq -n '"a" * 2000000 | test("(a*a*a*a*a*a*a*a*a*a*){5}c")'`, "restarted", false, 3 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			restarts := eval[int](t, tb, `imds.restarts`)
			tb.setEditor(t, i, tc.script)
			tb.setEditor(t, q, `echo "same session, after the stopped one: $mark"`)
			tb.setEditor(t, w, `echo "another session"`)
			tb.startBlock(t, i)
			tb.startBlock(t, q)
			tb.startBlock(t, w)
			// Let the run get well under way.
			eval[chromedp.Void](t, tb, `new Promise((r) => setTimeout(r, 500))`)
			if st := eval[string](t, tb, fmt.Sprintf(`document.querySelector(%q).querySelector('[data-testid="output"]').dataset.state`, blockSel(i))); st != "running" {
				t.Fatalf("before Stop the block shows %q; want running", st)
			}
			if tc.how == "cancelled" {
				// The other session's block ran beside the busy loop: the shell paces itself.
				if r := tb.waitBlock(t, w); r.Exit != "0" || !strings.Contains(r.Text, "another session") {
					t.Errorf("the other session's block beside the busy loop: exit %s, %q", r.Exit, r.Text)
				}
			}
			ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
			defer cancel()
			s, err := chromedp.Run(ctx, chromedp.Evaluate[stopResult](fmt.Sprintf(stopJS, blockSel(i), tc.esc), chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("stopped (%s) in %.0f ms: %q", s.Stopped, s.Ms, s.Text)
			if s.Stopped != tc.how || s.Exit != "130" {
				t.Errorf("got stopped %q, exit %s; want %q, 130: %q", s.Stopped, s.Exit, tc.how, s.Text)
			}
			if time.Duration(s.Ms*float64(time.Millisecond)) > tc.within {
				t.Errorf("Stop took %.0f ms; want at most %s", s.Ms, tc.within)
			}
			if !s.Hidden || s.Busy {
				t.Errorf("after the run the Stop button is hidden=%v and the block busy=%v; want hidden, not busy", s.Hidden, s.Busy)
			}
			wantRestarts := restarts
			if tc.how == "restarted" {
				wantRestarts++
			}
			if n := eval[int](t, tb, `imds.restarts`); n != wantRestarts {
				t.Errorf("the engine was restarted %d times; want %d", n-restarts, wantRestarts-restarts)
			}

			// Nobody waits behind it: the block queued in its session and the other session's.
			if r := tb.waitBlock(t, q); r.Exit != "0" || !strings.Contains(r.Text, "after the stopped one: before") {
				t.Errorf("the block queued behind the stopped one: exit %s, %q", r.Exit, r.Text)
			}
			if r := tb.waitBlock(t, w); r.Exit != "0" || !strings.Contains(r.Text, "another session") {
				t.Errorf("the other session's block: exit %s, %q", r.Exit, r.Text)
			}

			// The world as before the run.
			if n := eval[int](t, tb, `imds.state().instance.metadata_service.response_hop_limit`); n != 3 {
				t.Errorf("hop limit after Stop: got %d; want 3", n)
			}
			if r := tb.run(t, i, `echo "$mark ${token:0:3}"`); strings.TrimSpace(r.Text[:strings.IndexByte(r.Text+"\n", '\n')]) != "before eyJ" {
				t.Errorf("variables after Stop: got %q; want \"before eyJ\"", r.Text)
			}
			if ok := eval[bool](t, tb, fmt.Sprintf(`imds.verifyJWT(%q).then((j) => j.signatureValid)`, token)); !ok {
				t.Errorf("a token issued before the Stop no longer verifies")
			}
			if got := eval[string](t, tb, group+`.run('echo "$grouped"').then((r) => r.stdout)`); got != "kept\n" {
				t.Errorf("the embed group's variable after Stop: got %q; want %q", got, "kept\n")
			}
		})
	}
	tb.checkClean(t)
}
