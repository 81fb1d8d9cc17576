//go:build !js

package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// What surrounds the answers, tried as a new reader would (issue 11): a failed call is shown
// first, the terminal is one stream, long tokens are shortened, the version switch leaves what
// a block demonstrates alone, blocks copy and Reset undoes, the panel is one tap away and
// shows roles, and a page read without JavaScript has no dead controls.

// viewport sets the tab's size; mobile for a phone's.
func (tb *tab) viewport(t *testing.T, w, h int64) {
	t.Helper()
	if _, err := chromedp.Call(tb.ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: w, Height: h, DeviceScaleFactor: 1, Mobile: w < 600,
	}); err != nil {
		t.Fatal(err)
	}
}

// screenshot saves the viewport as a PNG in $IMDS_SCREENSHOTS, when set (for a person to look at).
func (tb *tab) screenshot(t *testing.T, name string) {
	t.Helper()
	dir := os.Getenv("IMDS_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(tb.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// inView is where the parts of a failed exchange end, in px from the top of the viewport.
type inView struct {
	Status, Hint, Link, Code, Viewport float64
	Details                            bool
}

// failedInViewJS scrolls %[1]q to the top of the viewport (at "start") and measures the first
// failed exchange of block %[2]q: the bottoms of its status, its hint, the hint's link and the
// "code" line of its error JSON; and whether its request details are open.
const failedInViewJS = `(() => {
	document.querySelector(%[1]q).scrollIntoView({block: "start"});
	const x = document.querySelector(%[2]q).querySelector('[data-testid="exchange"].exchange-status-err');
	const bottom = (e) => e ? e.getBoundingClientRect().bottom : 1e9;
	const body = x.querySelector('[data-testid="response-body"]');
	let code = 1e9;
	const w = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
	for (let n = w.nextNode(), at = 0; n; n = w.nextNode()) {
		const i = n.nodeValue.indexOf('"code"');
		if (i >= 0) {
			const r = document.createRange();
			r.setStart(n, i);
			r.setEnd(n, i + 6);
			code = r.getBoundingClientRect().bottom;
			break;
		}
	}
	return {
		status: bottom(x.querySelector('[data-testid="exchange-status"]')), hint: bottom(x.querySelector('[data-testid="hint"]')),
		link: bottom(x.querySelector('[data-testid="hint"] a')), code, viewport: innerHeight,
		details: x.querySelector('[data-testid="exchange-more"]').open,
	};
})()`

// TestFailedCallFirst runs the block of /identity-token/ whose last request fails (an expired
// token, 401) at a desktop's size and a phone's: its status, hint and link, and its error JSON
// are on the first screen of the output (on a desktop, of the block: no scrolling after Run),
// while what was sent is folded. The token in the folded headers, in the request as curl and in
// a response's body is shortened, and shows whole on request.
func TestFailedCallFirst(t *testing.T) {
	setup(t)
	for _, size := range []struct{ w, h int64 }{{1280, 800}, {390, 844}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			tb := newFreshTab(t)
			tb.viewport(t, size.w, size.h)
			tb.openLive(t, "/identity-token/")
			const i = 4 // "Watch one expire": 200, then 401 six seconds on
			r := tb.runBlock(t, i)
			if !r.hasExchange("GET", "/metadata/v1/instance", "401") {
				t.Fatalf("block 5: got %v; want a 401", r.Exchanges)
			}
			out := blockSel(i) + ` [data-testid="output"]`
			places := map[string]string{"the output": out}
			if size.w > 1000 {
				places["the block"] = blockSel(i)
			}
			for where, sel := range places {
				v := eval[inView](t, tb, fmt.Sprintf(failedInViewJS, sel, blockSel(i)))
				for what, y := range map[string]float64{"status": v.Status, "hint": v.Hint, "hint's link": v.Link, `"code" of the error JSON`: v.Code} {
					if y > v.Viewport {
						t.Errorf("with %s at the top: the failed call's %s ends at %.0f px, below the fold (%.0f px)", where, what, y, v.Viewport)
					}
				}
				if v.Details {
					t.Errorf("the failed call's request details are open; want them folded")
				}
			}
			tb.scrollTo(t, out)
			tb.screenshot(t, fmt.Sprintf("failed-call-%dx%d.png", size.w, size.h))

			// The token sent is shortened in the request's headers and in the request as curl,
			// and shows whole on request; copying the whole as curl still has it whole.
			x := blockSel(i) + ` [data-testid="exchange"].exchange-status-err`
			short := eval[[]string](t, tb, fmt.Sprintf(`Array.from(document.querySelector(%q).querySelectorAll('[data-testid="exchange-more"] [data-testid="long"]'), (l) => l.textContent + "|" + l.dataset.full)`, x))
			if len(short) < 2 {
				t.Fatalf("the folded details shorten %d values; want the token in the headers and in the curl", len(short))
			}
			for _, s := range short {
				shown, full, _ := strings.Cut(s, "|")
				if !strings.HasPrefix(full, "eyJ") || len(shown) > 30 || !strings.HasPrefix(full, strings.TrimSuffix(shown[:16], "…")) {
					t.Errorf("got %q shown for %d characters %q…; want the token shortened in the middle", shown, len(full), full[:min(len(full), 20)])
				}
			}
			// And in a response's body: the token the first call got.
			if n := eval[int](t, tb, fmt.Sprintf(`document.querySelector(%q).querySelectorAll('[data-testid="response-body"] [data-testid="long"][data-full^="eyJ"]').length`, blockSel(i))); n == 0 {
				t.Error("the token in the first call's response body is not shortened")
			}
			eval[chromedp.Void](t, tb, fmt.Sprintf(`(() => { const x = document.querySelector(%q); x.querySelector('[data-testid="exchange-more"]').open = true; x.querySelector('[data-testid="curl"] [data-testid="long-more"]').click(); })()`, x))
			if got := eval[string](t, tb, fmt.Sprintf(`document.querySelector(%q).querySelector('[data-testid="curl"]').textContent`, x)); !strings.Contains(got, strings.SplitN(short[len(short)-1], "|", 2)[1]) {
				t.Errorf("after … the curl reads %q; want the whole token", got)
			}
			tb.checkClean(t)
		})
	}
}

// scrollTo scrolls the element sel to the top of the viewport.
func (tb *tab) scrollTo(t *testing.T, sel string) {
	t.Helper()
	eval[chromedp.Void](t, tb, fmt.Sprintf(`document.querySelector(%q).scrollIntoView({block: "start"})`, sel))
}

// TestTerminalOrder: the output is one terminal, in the order the script wrote it: curl's
// error on standard error before the echo after it, and the exit status last.
func TestTerminalOrder(t *testing.T) {
	setup(t)
	tb := newFreshTab(t)
	tb.openLive(t, "/errors/")
	i := tb.findBlock(t, `echo "exit code: $?"`, "workstation")
	r := tb.runBlock(t, i)
	parts := eval[[]string](t, tb, fmt.Sprintf(`Array.from(document.querySelector(%q).querySelectorAll('[data-testid="terminal"] > span'), (s) => s.dataset.testid + ":" + s.textContent)`, blockSel(i)))
	want := []string{"stderr:curl: (6) Could not resolve host: api.metadata.cloud.ibm.com\n", "stdout:exit code: 6\n"}
	if fmt.Sprint(parts) != fmt.Sprint(want) {
		t.Errorf("got the terminal %q; want %q", parts, want)
	}
	last := eval[string](t, tb, fmt.Sprintf(`document.querySelector(%q).querySelector('[data-testid="output"]').lastElementChild.dataset.testid`, blockSel(i)))
	if last != "exit" || r.Exit != "0" {
		t.Errorf("the output ends with %q (exit %s); want the exit status last", last, r.Exit)
	}
	tb.checkClean(t)
}

// findBlock returns the index of the first block of the page whose documented text contains
// text and that runs at place.
func (tb *tab) findBlock(t *testing.T, text, place string) int {
	t.Helper()
	i := eval[int](t, tb, fmt.Sprintf(`Array.from(document.querySelectorAll('[data-testid="live-block"]')).findIndex((b) => b.dataset.on === %q && b.querySelector('[data-testid="editor"]').dataset.source.includes(%q))`, place, text))
	if i < 0 {
		t.Fatalf("no block on %s holds %q", place, text)
	}
	return i
}

// TestVersionSwitchKeepsDemonstrations: with the switch at 2024-11-12, /versions/ still shows
// what its blocks demonstrate (four 400s for four wrong dates, a 404 for the old path at the
// new date, the old path working at its old date), each block says it keeps its dates, and the
// panel says what the switch changed; another page's blocks do take the date.
func TestVersionSwitchKeepsDemonstrations(t *testing.T) {
	setup(t)
	tb := newFreshTab(t)
	tb.openLive(t, "/versions/")
	tb.choose(t, "version-switch", "2024-11-12")
	tb.waitFor(t, "the status", `document.querySelector('[data-testid="version-status"]').textContent.includes("keep")`)
	unchanged := eval[bool](t, tb, `Array.from(document.querySelectorAll('[data-testid="live-block"][data-fixed-version] [data-testid="editor"]')).every((e) => e.textContent === e.dataset.source)`)
	if !unchanged {
		t.Error("the switch rewrote a block that keeps its version dates")
	}
	first := tb.runBlock(t, 0)
	var codes []string
	for _, f := range first.Failures {
		codes = append(codes, f.Status+" "+f.Code)
	}
	if want := "[400 missing_field 400 invalid_value 400 invalid_version_range 400 invalid_version_range]"; fmt.Sprint(codes) != want {
		t.Errorf("block 1: got %v; want %s", codes, want)
	}
	if r := tb.runBlock(t, 1); !r.hasExchange("PUT", "/instance_identity/v1/token?version=2025-08-25", "200") {
		t.Errorf("block 2: got %v; want the old path at 2025-08-25 answered 200", r.Exchanges)
	}
	if r := tb.runBlock(t, 2); !r.hasExchange("PUT", "/instance_identity/v1/token?version=2025-08-26", "404") {
		t.Errorf("block 3: got %v; want the old path at 2025-08-26 answered 404", r.Exchanges)
	}
	if tag := eval[string](t, tb, blockJS(0, `b.querySelector('[data-testid="version-tag"]').textContent`)); !strings.Contains(tag, "keeps") {
		t.Errorf("block 1's tag: got %q; want it to say it keeps its dates", tag)
	}
	status := eval[string](t, tb, `document.querySelector('[data-testid="version-status"]').textContent`)
	note := eval[string](t, tb, `document.querySelector('[data-testid="version-note"]').textContent`)
	if !strings.Contains(status, "keep") || note == "" {
		t.Errorf("on /versions/ the panel says %q, %q; want what the switch kept, and what the date means", status, note)
	}

	tb.navClick(t, `[data-testid="sidebar"] a[href="/identity-token/"]`, "/identity-token/")
	tb.waitFor(t, "the status", `/blocks send version=2024-11-12 \(the switch changed/.test(document.querySelector('[data-testid="version-status"]').textContent)`)
	if n := eval[int](t, tb, `document.querySelectorAll('[data-testid="live-block"][data-version-changed] [data-testid="editor"]').length`); n == 0 {
		t.Error("no block of /identity-token/ took the switch's date")
	}
	if r := tb.runBlock(t, 0); !r.hasExchange("PUT", "/identity/v1/token?version=2024-11-12", "200") {
		t.Errorf("/identity-token/ block 1: got %v; want the switch's date sent", r.Exchanges)
	}
	tb.choose(t, "version-switch", "")
	tb.waitFor(t, "the switch off", `document.querySelector('[data-testid="version-status"]').textContent === "" && !document.querySelector('[data-version-changed]')`)
	tb.checkClean(t)
}

// blockJS evaluates expr with b bound to live block i.
func blockJS(i int, expr string) string {
	return fmt.Sprintf(`((b) => %s)(document.querySelector(%q))`, expr, blockSel(i))
}

// TestCopyAndUndoReset: Copy on a block and on a sample copies their text;
// Reset of an edited block can be undone, by its Undo and by Ctrl+Z.
func TestCopyAndUndoReset(t *testing.T) {
	setup(t)
	tb := newFreshTab(t)
	tb.openLive(t, "/identity-token/")
	// The clipboard as the page's code sees it: what it was asked to write (a headless browser's
	// own clipboard is not the page's to read without a user's gesture).
	eval[chromedp.Void](t, tb, `Object.defineProperty(navigator.clipboard, "writeText", {value: async (t) => { window.__copied = t; }})`)
	clipboard := func() string {
		return eval[string](t, tb, `window.__copied ?? ""`)
	}
	eval[chromedp.Void](t, tb, blockJS(0, `b.querySelector('[data-testid="copy"]').click()`))
	tb.waitFor(t, "copied", blockJS(0, `b.querySelector('[data-testid="block-note"]').textContent.startsWith("Copied")`))
	if got, want := clipboard(), eval[string](t, tb, blockJS(0, `b.querySelector('[data-testid="editor"]').dataset.source`)); got != want {
		t.Errorf("Copy on block 1: clipboard %q; want %q", got, want)
	}
	sample := eval[string](t, tb, `(() => { const w = document.querySelector(".code-wrap"); w.querySelector('[data-testid="copy-sample"]').click(); return w.querySelector("pre").textContent; })()`)
	tb.waitFor(t, "copied", `document.querySelector(".code-wrap .copy-status").textContent === "Copied."`)
	if got := clipboard(); got != sample || sample == "" {
		t.Errorf("Copy on a sample: clipboard %q; want %q", got, sample)
	}

	const mine = `echo "my own edit"`
	editor := blockSel(0) + ` [data-testid="editor"]`
	for _, how := range []string{"Undo", "Ctrl+Z"} {
		tb.setEditor(t, 0, mine)
		tb.click(t, "reset")
		if got := tb.editorText(t, 0); got == mine {
			t.Fatalf("after Reset the editor still holds the edit")
		}
		if how == "Undo" {
			tb.click(t, "undo-reset")
		} else if err := chromedp.Do(tb.ctx, chromedp.Focus(chromedp.CSS(editor)), chromedp.KeyEvent("z", chromedp.KeyModifiers(chromedp.ModifierCtrl))); err != nil {
			t.Fatal(err)
		}
		if got := tb.editorText(t, 0); got != mine {
			t.Errorf("%s after Reset: the editor holds %q; want the edit back", how, got)
		}
		if eval[string](t, tb, blockJS(0, `b.dataset.edited ?? ""`)) != "true" {
			t.Errorf("%s after Reset: the block is not marked edited", how)
		}
	}
	tb.click(t, "reset")
	tb.checkClean(t)
}

// TestEveryBlockOnAPhone: at 390 px, on every page, every command block and every sample has
// its Copy button, and none scrolls sideways: the editors and samples wrap their long lines,
// and an editor's text is still its command, unchanged.
func TestEveryBlockOnAPhone(t *testing.T) {
	setup(t)
	tb := newFreshTab(t)
	tb.viewport(t, 390, 844)
	type phonePage struct {
		Blocks, Samples int
		NoCopy, Scrolls []string
		Changed         []string
	}
	for _, p := range env.site.Build.Pages {
		tb.openLive(t, p)
		got := eval[phonePage](t, tb, `(() => {
			const shown = (e) => !!e && e.getClientRects().length > 0;
			const name = (e) => e.closest('[data-testid="live-block"]')?.id ?? e.textContent.slice(0, 40);
			const blocks = Array.from(document.querySelectorAll('[data-testid="live-block"]'));
			const samples = Array.from(document.querySelectorAll("article pre.code"));
			const editors = blocks.map((b) => b.querySelector('[data-testid="editor"]'));
			return {
				Blocks: blocks.length, Samples: samples.length,
				NoCopy: [
					...blocks.filter((b) => !shown(b.querySelector('[data-testid="copy"]'))).map((b) => b.id),
					...samples.filter((s) => !shown(s.parentElement.querySelector('[data-testid="copy-sample"]'))).map(name),
				],
				Scrolls: [...editors, ...samples].filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => name(e) + ": " + e.scrollWidth + " > " + e.clientWidth),
				Changed: editors.filter((e) => e.innerText.replace(/\n$/, "") !== e.dataset.source).map(name),
			};
		})()`)
		if got.Blocks+got.Samples == 0 {
			continue
		}
		if len(got.NoCopy) != 0 {
			t.Errorf("%s at 390 px: no Copy button on %q", p, got.NoCopy)
		}
		if len(got.Scrolls) != 0 {
			t.Errorf("%s at 390 px: these scroll sideways instead of wrapping: %q", p, got.Scrolls)
		}
		if len(got.Changed) != 0 {
			t.Errorf("%s at 390 px: the wrapped editors of %q do not read as their commands", p, got.Changed)
		}
	}
	tb.checkClean(t)
}

// TestWithoutJavaScript: with scripts off a page shows no button (none would do anything), the
// panel says what it needs instead of that it is loading, the header's link to the panel is a
// plain link to it, and the commands are there to read.
func TestWithoutJavaScript(t *testing.T) {
	setup(t)
	for _, size := range []struct{ w, h int64 }{{1280, 800}, {390, 844}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			tb := newFreshTab(t)
			if _, err := chromedp.Call(tb.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
				t.Fatal(err)
			}
			tb.viewport(t, size.w, size.h)
			ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
			defer cancel()
			if err := chromedp.Do(ctx, chromedp.Navigate(env.site.URL+"/hop-limit/")); err != nil {
				t.Fatal(err)
			}
			type page struct {
				Buttons    []string `json:"buttons"`
				NoScript   string   `json:"noscript"`
				Loading    bool     `json:"loading"`
				Editors    int      `json:"editors"`
				OpenHref   string   `json:"openHref"`
				OpenShown  bool     `json:"openShown"`
				PanelBelow bool     `json:"panelBelow"`
			}
			got, err := chromedp.Run(ctx, chromedp.Evaluate[page](`(() => {
				const shown = (e) => !!e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden";
				const open = document.querySelector('[data-testid="panel-open"]');
				return {
					buttons: Array.from(document.querySelectorAll("button, input, select")).filter(shown).map((b) => b.outerHTML.slice(0, 80)),
					noscript: Array.from(document.querySelectorAll(".instance-panel noscript")).map((n) => n.textContent).join(""),
					loading: shown(document.querySelector('[data-testid="panel-placeholder"]')),
					editors: Array.from(document.querySelectorAll('[data-testid="editor"]')).filter((e) => e.textContent === e.dataset.source && e.textContent !== "").length,
					openHref: open.getAttribute("href"), openShown: shown(open),
					panelBelow: document.querySelector("#instance-panel").getBoundingClientRect().top > document.querySelector("main").getBoundingClientRect().top,
				};
			})()`))
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Buttons) != 0 {
				t.Errorf("with scripts off these controls show, and would do nothing: %q", got.Buttons)
			}
			if !strings.Contains(got.NoScript, "needs JavaScript") || got.Loading {
				t.Errorf("the panel says %q, loading line shown %v; want what it needs, and no loading line", got.NoScript, got.Loading)
			}
			if got.Editors == 0 {
				t.Error("the commands are not there to read")
			}
			// Where the panel is not beside the page, the header links to it.
			if narrow := size.w < 1000; got.OpenShown != narrow || got.OpenHref != "#instance-panel" || narrow && !got.PanelBelow {
				t.Errorf("header link %q shown %v, panel below %v; want a plain link to #instance-panel on narrow screens only", got.OpenHref, got.OpenShown, got.PanelBelow)
			}
		})
	}
}

// TestPanelOneTapAway: on a phone the header's "Your instance" opens the panel as a drawer,
// Escape closes it and gives focus back; the hop limit page's link to "Where commands run"
// opens it on that control, and the choice made there makes the page's block time out (exit
// 28), with a hint that names the hop limit page and the control.
func TestPanelOneTapAway(t *testing.T) {
	setup(t)
	tb := newFreshTab(t)
	tb.viewport(t, 390, 844)
	tb.openLive(t, "/hop-limit/")
	drawer := `(() => { const p = document.querySelector("#instance-panel").getBoundingClientRect(); return document.documentElement.dataset.panelOpen === "true" && getComputedStyle(document.querySelector("#instance-panel")).position === "fixed" && p.top === 0 && p.right <= innerWidth && p.left >= 0; })()`
	tb.click(t, "panel-open")
	tb.waitFor(t, "the drawer", drawer)
	if f := eval[string](t, tb, `document.activeElement.id`); f != "instance-panel-title" {
		t.Errorf("the drawer opened with focus on %q; want its heading", f)
	}
	tb.screenshot(t, "panel-drawer-390x844.png")
	if err := chromedp.Do(tb.ctx, chromedp.KeyEvent("\x1b")); err != nil {
		t.Fatal(err)
	}
	tb.waitFor(t, "the drawer closed", `document.documentElement.dataset.panelOpen === undefined && document.activeElement.dataset.testid === "panel-open"`)

	eval[chromedp.Void](t, tb, `document.querySelector('article a[href="#panel-hops"]').click()`)
	tb.waitFor(t, "the control", drawer+` && document.activeElement.id === "panel-hops"`)
	tb.choose(t, "panel-hops", "2")
	if err := chromedp.Do(tb.ctx, chromedp.KeyEvent("\x1b")); err != nil {
		t.Fatal(err)
	}
	i := tb.findBlock(t, "curl -sS -m 5", "instance")
	r := tb.runBlock(t, i)
	if !strings.Contains(r.Text, "curl exit code: 28") || len(r.HintLinks) < 2 || !strings.HasPrefix(r.HintLinks[0], "/hop-limit/#") || r.HintLinks[1] != "#panel-hops" {
		t.Errorf("two hops away: got %q, hint links %q; want exit 28 and a hint naming the hop limit page and the panel's control", r.Text, r.HintLinks)
	}
	checkHintLinks(t, "/hop-limit/", r)
	tb.choose(t, "panel-hops", "1")
	if r := tb.runBlock(t, i); !strings.Contains(r.Text, "curl exit code: 0") {
		t.Errorf("on the instance: got %q; want an answer", r.Text)
	}
	tb.checkClean(t)
}

// TestPanelRoles: the panel says, for the operator and each profile linked to the instance,
// its VPC role and whether it may change the metadata service; a profile unlinked leaves the
// list.
func TestPanelRoles(t *testing.T) {
	setup(t)
	tb := newFreshTab(t)
	tb.openLive(t, "/access/")
	roles := func() map[string]string {
		rows := eval[[][2]string](t, tb, `Array.from(document.querySelectorAll('[data-testid="access"]'), (li) => [li.dataset.name, li.querySelector('[data-testid="access-what"]').textContent])`)
		m := map[string]string{}
		for _, r := range rows {
			m[r[0]] = r[1]
		}
		return m
	}
	got := roles()
	for name, want := range map[string]string{
		"test.user@ibm.com": "Administrator: can change the metadata service",
		"my-vsi-reader":     "Viewer: can read the instance, cannot change the metadata service",
		"my-cos-writer":     "no VPC role: cannot read or change the instance",
	} {
		if got[name] != want {
			t.Errorf("%s: got %q; want %q", name, got[name], want)
		}
	}
	if _, ok := got["billing-admin"]; ok {
		t.Error("billing-admin is listed; it is not linked to the instance")
	}
	// The instance's name reads whole beside the page: not broken at a hyphen, not cut.
	tb.viewport(t, 1280, 800)
	if name := eval[string](t, tb, `(() => { const n = document.querySelector('[data-testid="panel-name"]'); return n.scrollWidth <= n.clientWidth ? n.textContent : "cut: " + n.textContent; })()`); name != "my-virtual-server-2" {
		t.Errorf("the panel shows the instance's name as %q; want it whole", name)
	}
	eval[chromedp.Void](t, tb, `(() => { const b = document.querySelector('[data-testid="panel-linked"][data-profile="Profile-8dd84246-7df4-4667-94e4-8cede51d5ac5"]'); b.click(); })()`)
	tb.waitFor(t, "my-cos-writer unlinked", `!document.querySelector('[data-testid="access"][data-name="my-cos-writer"]')`)
	eval[chromedp.Void](t, tb, `document.querySelector('[data-testid="panel-linked"][data-profile="Profile-8dd84246-7df4-4667-94e4-8cede51d5ac5"]').click()`)
	tb.waitFor(t, "my-cos-writer linked again", `!!document.querySelector('[data-testid="access"][data-name="my-cos-writer"]')`)
	tb.checkClean(t)
}

// TestHintsForEdits: errors the pages do not provoke as written, made by editing a block: a
// command mistyped (the hint names the command meant, and help lists the shell's), and
// secure access left on (the next page's blocks get no answer, and the hint names the panel's
// Secure access box, which turns it off).
func TestHintsForEdits(t *testing.T) {
	setup(t)
	tb := newFreshTab(t)
	tb.openLive(t, "/identity-token/")
	r := tb.run(t, 0, `crul -s "$vpc_metadata_api_endpoint/metadata/v1/instance?version=2025-08-26"`)
	if r.Exit != "127" || len(r.Hints) != 1 || !strings.Contains(r.Hints[0], "did you mean curl?") || r.HintLinks[0] != "/#how-a-live-block-works" {
		t.Errorf("crul: got exit %s, hints %q → %q; want 127 and a hint naming curl and help", r.Exit, r.Hints, r.HintLinks)
	}
	checkHintLinks(t, "crul", r)
	if r := tb.run(t, 0, "help"); r.Exit != "0" || !strings.Contains(r.Text, "curl ") || !strings.Contains(r.Text, "openssl ") || strings.Contains(r.Text, "mvdan") {
		t.Errorf("help: got exit %s, %q; want the playground's commands", r.Exit, r.Text)
	}
	tb.click(t, "reset")

	tb.click(t, "panel-protocol")
	tb.waitFor(t, "https", `imds.state().instance.metadata_service.protocol === "https"`)
	r = tb.runBlock(t, 0)
	if len(r.Failures) != 1 || r.Failures[0].Code != "refused" || r.Failures[0].HintPage != "secure-access#break-it-keep-using-http" ||
		!strings.Contains(r.Failures[0].Hint, "Secure access is on") || !strings.Contains(strings.Join(r.HintLinks, " "), "#panel-protocol") {
		t.Errorf("with secure access on: got %+v, links %q; want a refused connection and the hint naming the panel's box", r.Failures, r.HintLinks)
	}
	eval[chromedp.Void](t, tb, blockJS(0, `b.querySelector('[data-testid="hint-control"]').click()`))
	tb.waitFor(t, "the box focused", `document.activeElement.id === "panel-protocol"`)
	tb.click(t, "panel-protocol")
	tb.waitFor(t, "http", `imds.state().instance.metadata_service.protocol === "http"`)
	if r := tb.runBlock(t, 0); !r.hasExchange("PUT", "/identity/v1/token", "200") {
		t.Errorf("secure access off again: got %v; want a token", r.Exchanges)
	}
	tb.checkClean(t)
}
