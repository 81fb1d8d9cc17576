//go:build !js

package browsertest

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/heapprofiler"
	"github.com/chromedp/cdproto/memory"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/imdsplay/imdsplay/permalink/stdflate"
)

// One session for the whole visit: client-side navigation keeps the engine and its shells,
// the variables panel shows what they hold, a block runs the blocks above it that it needs,
// and a block's share link reproduces its run. Each test starts in a browser context of its
// own (empty cache and storage), as a new reader.

// pageReady is the predicate of the page at path having its blocks live (page.ts).
func pageReady(path string) string {
	return fmt.Sprintf(`document.documentElement.dataset.imdsPageReady === %q`, path)
}

// wasmFetches counts the downloads of the wasm by the page's engine: its worker reports each
// from its own resource timing (client.ts), which the page's timeline does not hold. With the
// page's own marker (window.__sameDocument) still there, the engine is the one the page started.
const wasmFetches = `imds.wasmFetches.length`

// pageFetches counts the page's fetches of each page of the site, by path, from its resource
// timing entries (the engine's worker fetches nothing of these).
const pageFetches = `performance.getEntriesByType("resource").filter((e) => e.initiatorType === "fetch").map((e) => new URL(e.name).pathname).filter((p) => p.endsWith("/")).reduce((m, p) => (m[p] = (m[p] ?? 0) + 1, m), {})`

// navClick clicks the element sel and waits for the page at path to be ready.
func (tb *tab) navClick(t *testing.T, sel, path string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible)); err != nil {
		t.Fatalf("click %s: %v", sel, err)
	}
	tb.waitFor(t, path+" ready", pageReady(path))
}

// varRow is one entry of the variables panel, as the tests read it.
type varRow struct {
	Name, Value, Setter, Href, Expiry, Place string
}

// readVars reads the variables panel.
func (tb *tab) readVars(t *testing.T) []varRow {
	t.Helper()
	return eval[[]varRow](t, tb, `Array.from(document.querySelectorAll('[data-testid="var"]'), (v) => ({
		Name: v.querySelector('[data-testid="var-name"]').textContent,
		Value: v.querySelector('[data-testid="var-value"]').textContent,
		Setter: v.querySelector('[data-testid="var-setter"]').textContent,
		Href: v.querySelector('[data-testid="var-setter"] a')?.getAttribute("href") ?? "",
		Expiry: v.querySelector('[data-testid="var-expiry"]')?.textContent ?? "",
		Place: v.dataset.place,
	}))`)
}

// findVar returns the panel's entry for $name, or fails.
func (tb *tab) findVar(t *testing.T, name string) varRow {
	t.Helper()
	tb.waitFor(t, "$"+name+" in the panel", fmt.Sprintf(`Array.from(document.querySelectorAll('[data-testid="var-name"]')).some((n) => n.textContent === %q)`, "$"+name))
	for _, v := range tb.readVars(t) {
		if v.Name == "$"+name {
			return v
		}
	}
	t.Fatalf("no $%s in the variables panel", name)
	return varRow{}
}

// TestNavigationKeepsSession: a variable set on one page is there on the next, reached by the
// pager's link, without a second load of the engine; back and forward bring the right page,
// title and scroll position back; focus, the sidebar and the announcement follow.
func TestNavigationKeepsSession(t *testing.T) {
	setup(t)
	tb := newFreshTab(t)
	tb.openLive(t, "/identity-token/")
	wasm := eval[int](t, tb, wasmFetches)
	if wasm == 0 {
		t.Fatal("no wasm request seen on the first load: the count below would prove nothing")
	}
	eval[chromedp.Void](t, tb, `window.__sameDocument = true`)

	// Block 2 sets $identity_token (3600 s); the panel names it, its setter and its time left.
	if r := tb.runBlock(t, 1); r.Exit != "0" {
		t.Fatalf("block 2: exit %s: %s", r.Exit, r.Text)
	}
	v := tb.findVar(t, "identity_token")
	if v.Place != "instance" || !strings.HasPrefix(v.Value, "eyJ") || !strings.Contains(v.Value, "…") || len([]rune(v.Value)) > 30 {
		t.Errorf("the panel shows %+v; want the token on the instance, shortened in the middle", v)
	}
	if !strings.Contains(v.Setter, "Get an identity token, block 2") || v.Href != "/identity-token/#block-2" {
		t.Errorf("setter: got %q → %q; want block 2 of /identity-token/", v.Setter, v.Href)
	}
	if !strings.Contains(v.Expiry, "expires in 59:") && !strings.Contains(v.Expiry, "expires in 1:00:00") {
		t.Errorf("time left: got %q; want about an hour", v.Expiry)
	}
	// The countdown ticks on the emulator's clock: sleep moves it an hour at once.
	tb.run(t, 0, "sleep 1800")
	tb.waitFor(t, "the countdown to follow the emulator's clock", `/expires in (29|30):/.test(document.querySelector('[data-testid="var-expiry"]').textContent)`)

	// Scroll down the page, then follow the pager to the next page.
	eval[chromedp.Void](t, tb, `document.querySelector('[data-index="2"]').scrollIntoView()`)
	scrolled := eval[float64](t, tb, `window.scrollY`)
	if scrolled < 100 {
		t.Fatalf("scrollY %v: the page is too short for this test", scrolled)
	}
	// The pointer over the link fetches the page before the click.
	eval[chromedp.Void](t, tb, `document.querySelector('[data-testid="pager"] [data-testid="next"]').dispatchEvent(new PointerEvent("pointerover", {bubbles: true}))`)
	tb.waitFor(t, "the next page prefetched on hover", pageFetches+`["/metadata/"] === 1`)
	// A script's click, which does not scroll to the link as a pointer's click would.
	eval[chromedp.Void](t, tb, `document.querySelector('[data-testid="pager"] [data-testid="next"]').click()`)
	tb.waitFor(t, "metadata ready", pageReady("/metadata/"))
	state := eval[map[string]any](t, tb, `({
		same: window.__sameDocument === true,
		path: location.pathname,
		title: document.title,
		h1: document.querySelector("main h1").textContent,
		focus: document.activeElement === document.querySelector("main h1"),
		current: document.querySelector('[data-testid="sidebar"] a[aria-current="page"]')?.getAttribute("href"),
		currents: document.querySelectorAll('[data-testid="sidebar"] a[aria-current]').length,
		slug: document.querySelector('meta[name="imds-page"]').content,
		scroll: window.scrollY,
	})`)
	if state["same"] != true {
		t.Fatalf("the page was reloaded: %v", state)
	}
	if state["path"] != "/metadata/" || !strings.HasPrefix(state["title"].(string), "Read instance metadata") || state["slug"] != "metadata" ||
		state["current"] != "/metadata/" || state["currents"] != float64(1) || state["focus"] != true || state["scroll"] != float64(0) {
		t.Errorf("after the click: %v; want /metadata/, its title, its meta, the sidebar on it, focus on its heading, at the top", state)
	}
	tb.waitFor(t, "the announcement", `document.querySelector('[data-testid="nav-status"]').textContent.includes("Read instance metadata")`)

	// Block 2 of this page reads $identity_token, set on the other page: nothing runs first.
	r := tb.runBlock(t, 1)
	if r.Exit != "0" || !strings.Contains(r.Text, "my-virtual-server-2") || strings.Contains(r.Text, "Ran block") {
		t.Errorf("metadata block 2 with the variable from the last page: exit %s:\n%s", r.Exit, r.Text)
	}
	if n := eval[int](t, tb, wasmFetches); n != wasm {
		t.Errorf("the wasm was fetched %d times after a navigation; want %d (once per visit)", n, wasm)
	}

	// Back: the first page, its title, and the scroll position it had.
	eval[chromedp.Void](t, tb, `history.back()`)
	tb.waitFor(t, "back on identity-token", pageReady("/identity-token/"))
	back := eval[map[string]any](t, tb, `({path: location.pathname, title: document.title, h1: document.querySelector("main h1").textContent, scroll: window.scrollY, same: window.__sameDocument === true})`)
	if back["path"] != "/identity-token/" || !strings.HasPrefix(back["title"].(string), "Get an identity token") || back["same"] != true {
		t.Errorf("after back: %v", back)
	}
	if y := back["scroll"].(float64); math.Abs(y-scrolled) > 2 {
		t.Errorf("after back: scrollY %v; want %v, where the reader left the page", y, scrolled)
	}
	// Forward: the second page again, at its top.
	eval[chromedp.Void](t, tb, `history.forward()`)
	tb.waitFor(t, "forward on metadata", pageReady("/metadata/"))
	if p := eval[string](t, tb, `location.pathname + " " + document.title`); !strings.HasPrefix(p, "/metadata/ Read instance metadata") {
		t.Errorf("after forward: %q", p)
	}
	// A link within the page is the browser's: no navigation of ours, the same page.
	eval[chromedp.Void](t, tb, `document.querySelector("main .anchor").click()`)
	if got := eval[string](t, tb, `document.documentElement.dataset.imdsPageReady + " " + location.pathname`); got != "/metadata/ /metadata/" {
		t.Errorf("after a click on a heading's anchor: %q; want the same page, still ready", got)
	}
	// The setter's link leads back to the block that set the variable.
	tb.navClick(t, `[data-testid="var-setter"] a`, "/identity-token/")
	if target := eval[string](t, tb, `location.hash + " " + (document.querySelector(":target")?.id ?? "")`); target != "#block-2 block-2" {
		t.Errorf("the setter's link: got %q; want #block-2 as the target", target)
	}
	if n := eval[int](t, tb, wasmFetches); n != wasm {
		t.Errorf("the wasm was fetched %d times over the navigations; want %d", n, wasm)
	}
	// Each page's HTML was fetched at most once: the prefetch served the click, and going back
	// and forth used what was fetched.
	for page, n := range eval[map[string]int](t, tb, pageFetches) {
		if n > 1 {
			t.Errorf("%s was fetched %d times; want once per visit", page, n)
		}
	}
	tb.checkClean(t)

	// Not taken: the /embed/ pages, and a page that runs scripts of its own (the embedding
	// guide runs embed.js): those load as documents.
	eval[chromedp.Void](t, tb, `(() => {
		const a = document.createElement("a");
		a.href = "/embed/";
		a.id = "test-embed-list";
		a.textContent = "embeds";
		document.querySelector("main article").append(a);
		a.click();
	})()`)
	tb.waitReload(t, "the /embed/ list, loaded as a document", `location.pathname === "/embed/" && window.__sameDocument === undefined && document.readyState === "complete"`)
	tb.openLive(t, "/identity-token/")
	eval[chromedp.Void](t, tb, `window.__sameDocument = true; document.querySelector('[data-testid="sidebar"] a[href="/embedding/"]').click()`)
	tb.waitReload(t, "the embedding guide, loaded as a document", `location.pathname === "/embedding/" && window.__sameDocument === undefined && document.documentElement.dataset.imdsReady === "true"`)
}

// TestDeepLinkRunsPrerequisites: a reader arriving at the third block of a page, by its
// anchor, presses Run: the block above that sets what it needs runs first, and the output
// says so. On the certificates page that is three blocks: the token, the CSR file, the CSR.
func TestDeepLinkRunsPrerequisites(t *testing.T) {
	setup(t)
	tb := newFreshTab(t)
	tb.openLive(t, "/identity-token/#block-3")
	if y := eval[float64](t, tb, `window.scrollY`); y < 100 {
		t.Errorf("a deep link to block 3 left the page at scrollY %v; want the block in view", y)
	}
	r := tb.runBlock(t, 2)
	if r.Exit != "0" || !strings.Contains(r.Text, "my-virtual-server-2") {
		t.Fatalf("block 3 from a deep link: exit %s:\n%s", r.Exit, r.Text)
	}
	if note := eval[string](t, tb, `document.querySelector('[data-index="2"] [data-testid="prereq-note"]')?.textContent ?? ""`); note != "Ran block 2 first to set $identity_token." {
		t.Errorf("note: got %q; want it to say block 2 ran first for $identity_token", note)
	}
	if b2 := tb.readBlock(t, 1); b2.Exit != "0" {
		t.Errorf("block 2 (run first) shows exit %q; want its own output, exit 0", b2.Exit)
	}
	// Again: the variable is set now, so nothing runs first.
	if r := tb.runBlock(t, 2); strings.Contains(r.Text, "Ran block") {
		t.Errorf("a second run ran blocks first again:\n%s", r.Text)
	}

	tb.openLive(t, "/certificates/#block-5")
	r = tb.runBlock(t, 4)
	if r.Exit != "0" || !strings.Contains(r.Text, "HTTP 201") {
		t.Fatalf("certificates block 5 from a deep link: exit %s:\n%s", r.Exit, r.Text)
	}
	// $identity_token is still set from the other page (one session for the visit); the CSR
	// file and $csr are not.
	note := eval[string](t, tb, `document.querySelector('[data-index="4"] [data-testid="prereq-note"]')?.textContent ?? ""`)
	if note != "Ran blocks 2 and 4 first to set sslcert.csr and $csr." {
		t.Errorf("note: got %q; want blocks 2 and 4 run first for the CSR file and $csr", note)
	}
	// A block whose variable nothing above sets says so.
	tb.openLive(t, "/errors/")
	n := tb.blockCount(t)
	for i := range n {
		if eval[string](t, tb, fmt.Sprintf(`document.querySelector(%q).dataset.reads ?? ""`, blockSel(i))) == "vpc_metadata_api_endpoint" {
			r := tb.runBlock(t, i)
			if !strings.Contains(r.Text, "$vpc_metadata_api_endpoint is not set in this shell, and no block above this one on this page sets it.") {
				t.Errorf("errors block %d: got\n%s\nwant a note that nothing above sets $vpc_metadata_api_endpoint", i+1, r.Text)
			}
		}
	}
	tb.checkClean(t)
}

// TestShareRunReproduces: a block's Share link, opened in a fresh profile, offers its run, and
// one click reproduces the output: the block above it that it needs runs first, with the
// sharer's edit.
func TestShareRunReproduces(t *testing.T) {
	setup(t)
	tb := newFreshTab(t)
	tb.openLive(t, "/identity-token/")
	edited2 := `export identity_token=$(curl -s -X PUT "$vpc_metadata_api_endpoint/identity/v1/token?version=2025-08-26" \
  -H "Metadata-Flavor: ibm" -d '{"expires_in": 600, "nonce": "from-the-link"}' | jq -r .access_token)`
	edited3 := `echo "$identity_token" | jq -R 'split(".")[1] | gsub("-"; "+") | gsub("_"; "/") | @base64d | fromjson | "\(.nonce) \(.exp - .iat)"'`
	tb.setEditor(t, 1, edited2)
	tb.setEditor(t, 2, edited3)
	want := `"from-the-link 600"`
	if r := tb.runBlock(t, 2); !strings.Contains(r.Text, want) || !strings.Contains(r.Text, "Ran block 2 first") {
		t.Fatalf("the sharer's run: got\n%s\nwant %s after block 2", r.Text, want)
	}
	eval[chromedp.Void](t, tb, `document.querySelector('[data-index="2"] [data-testid="share-run"]').click()`)
	tb.waitFor(t, "the block's link", `document.querySelector('[data-index="2"] [data-testid="share-run-url"]')?.value.includes("#imds=v2.")`)
	link := eval[string](t, tb, `document.querySelector('[data-index="2"] [data-testid="share-run-url"]').value`)
	if addr := eval[string](t, tb, `location.href`); addr != env.site.URL+"/identity-token/" {
		t.Errorf("the address bar shows %q; a block's share leaves it alone", addr)
	}
	native, err := stdflate.Decode(link[strings.Index(link, "#"):])
	if err != nil {
		t.Fatal(err)
	}
	if native.Run == nil || native.Run.Index != 2 || len(native.Run.Pre) != 1 || native.Run.Pre[0] != 1 || len(native.Blocks) != 2 || native.Blocks[0].Text != edited2 || native.Blocks[1].Text != edited3 {
		t.Errorf("the link holds %+v (run %+v); want block 3 after block 2, with exactly their edits", native, native.Run)
	}

	// A fresh profile: the link offers the run, and Run reproduces it.
	reader := newFreshTab(t)
	if err := chromedp.Do(reader.ctx, chromedp.Navigate(link)); err != nil {
		t.Fatal(err)
	}
	reader.waitFor(t, "ready", `document.documentElement.dataset.imdsReady === "true" && `+panelLive)
	offer := eval[map[string]any](t, reader, `({
		offer: document.querySelector('[data-index="2"] [data-testid="shared-run"]')?.textContent ?? "",
		focus: document.activeElement === document.querySelector('[data-index="2"] [data-testid="run"]'),
		ran: document.querySelector('[data-index="1"] [data-testid="output"]').childElementCount,
		text: document.querySelector('[data-index="1"] [data-testid="editor"]').innerText,
	})`)
	if !strings.Contains(offer["offer"].(string), "press Run to reproduce its run (it runs block 2 first)") || offer["focus"] != true {
		t.Errorf("the opened link: %v; want the offer on block 3 and the focus on its Run", offer)
	}
	if offer["ran"] != float64(0) || offer["text"] != edited2 {
		t.Errorf("the opened link: %v; want block 2 edited and nothing run before the reader's click", offer)
	}
	r := reader.runBlock(t, 2)
	if !strings.Contains(r.Text, want) || !strings.Contains(r.Text, "Ran block 2 first") {
		t.Errorf("the reader's run: got\n%s\nwant %s, after block 2", r.Text, want)
	}
	reader.checkClean(t)
	tb.checkClean(t)
}

// TestVariablesPanel: the list at a phone's width, a setter from memory after a reload, the
// decoded token's countdown (which once never started), and old saved variables migrated.
func TestVariablesPanel(t *testing.T) {
	setup(t)
	tb := newFreshTab(t)
	// Variables saved by the first version of the playground, per page, put in before the
	// site's scripts first run (a page loaded with scripts off).
	scripts := func(off bool) {
		t.Helper()
		if _, err := chromedp.Call(tb.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: off}); err != nil {
			t.Fatal(err)
		}
	}
	scripts(true)
	if err := chromedp.Do(tb.ctx, chromedp.Navigate(env.site.URL+"/versions/")); err != nil {
		t.Fatal(err)
	}
	eval[chromedp.Void](t, tb, `localStorage.setItem("imdsplay.page.hop-limit", JSON.stringify(
		{v: 1, savedAt: "2026-01-01T00:00:00.000Z", page: "hop-limit", blocks: [], vars: {instance: {remembered: "from-v1"}}}))`)
	if n := eval[int](t, tb, `localStorage.length`); n != 1 {
		t.Fatalf("the site's scripts ran with scripts off: %d entries saved", n)
	}
	scripts(false)
	if _, err := chromedp.Call(tb.ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 390, Height: 844, DeviceScaleFactor: 1, Mobile: true}); err != nil {
		t.Fatal(err)
	}
	tb.openLive(t, "/decode-token/")
	v := tb.findVar(t, "remembered")
	if v.Value != "from-v1" || !strings.Contains(v.Setter, "The response hop limit") || v.Href != "/hop-limit/" {
		t.Errorf("the migrated variable: %+v; want its value and its page", v)
	}
	if r := tb.run(t, 0, `echo "$remembered"`); !strings.Contains(r.Text, "from-v1") {
		t.Errorf("the migrated variable in the shell: %q", r.Text)
	}
	if e := eval[string](t, tb, `localStorage.getItem("imdsplay.page.hop-limit")`); strings.Contains(e, "vars") || !strings.Contains(e, `"v":2`) {
		t.Errorf("the old entry after migration: %s; want version 2 without variables", e)
	}
	tb.click(t, "reset") // block 1 back to the documented text, which sets $identity_token
	tb.runBlock(t, 0)
	tb.findVar(t, "identity_token")
	width := eval[map[string]float64](t, tb, `({doc: document.documentElement.scrollWidth, panel: document.querySelector('[data-testid="vars"]').scrollWidth, view: window.innerWidth})`)
	if width["doc"] > width["view"] || width["panel"] > width["view"] {
		t.Errorf("at 390 px: document %v, variables %v wide; want nothing wider than the %v px viewport", width["doc"], width["panel"], width["view"])
	}
	// The decoded token's countdown shows at once and ticks.
	r := tb.run(t, 1, `echo "$identity_token"`)
	if r.JWTs == 0 {
		t.Fatalf("no JWT panel under %q", r.Text)
	}
	tb.openPanel(t, 1, "jwt")
	first := eval[string](t, tb, `document.querySelector('[data-index="1"] [data-testid="jwt-expiry"]').textContent`)
	if !strings.HasPrefix(first, "Expires in ") {
		t.Fatalf("the decoded token's expiry line: %q; want a countdown", first)
	}
	tb.waitFor(t, "the countdown to tick", fmt.Sprintf(`document.querySelector('[data-index="1"] [data-testid="jwt-expiry"]').textContent !== %q`, first))

	// After a reload the setter comes back from memory.
	tb.openLive(t, "/decode-token/")
	if v := tb.findVar(t, "identity_token"); !strings.Contains(v.Setter, "block 1") || v.Href != "/decode-token/#block-1" {
		t.Errorf("after a reload: %+v; want block 1 of /decode-token/ as the setter", v)
	}
	tb.checkClean(t)
}

// TestLinksWithoutJavaScript: with scripts off, the sidebar's links are plain links.
func TestLinksWithoutJavaScript(t *testing.T) {
	setup(t)
	tb := newFreshTab(t)
	if _, err := chromedp.Call(tb.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(env.site.URL+"/identity-token/")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid="pager"] [data-testid="next"]`), chromedp.NodeVisible)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid="sidebar"] a[aria-current="page"][href="/metadata/"]`))); err != nil {
		t.Fatalf("the next page never came: %v", err)
	}
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil || !strings.HasPrefix(title, "Read instance metadata") {
		t.Errorf("title %q (%v); want the next page's", title, err)
	}
	if ready, _ := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("html"), "data-imds-ready")); ready.Exists {
		t.Errorf("with scripts off the page says ready %q", ready.Value)
	}
}

// navRoundsJS goes %d times from /identity-token/ to the next page and back, running block 2
// on each page, each step after the one before has finished; it counts the steps that went
// right.
const navRoundsJS = `(async (n) => {
	const html = document.documentElement;
	const until = (pred) => new Promise((resolve, reject) => {
		const t0 = performance.now();
		const check = () => pred() ? resolve() : performance.now() - t0 > 30000 ? reject(new Error("timed out")) : setTimeout(check, 10);
		check();
	});
	const go = async (which, path) => {
		document.querySelector('[data-testid="pager"] [data-testid="' + which + '"]').click();
		await until(() => html.dataset.imdsPageReady === path);
	};
	const run = async () => {
		const out = document.querySelector('[data-index="1"] [data-testid="output"]');
		document.querySelector('[data-index="1"] [data-testid="run"]').click();
		await until(() => out.dataset.state === "ok" || out.dataset.state === "error");
		return out.querySelector('[data-testid="exit"]')?.dataset.exit === "0";
	};
	let ok = 0;
	for (let i = 0; i < n; i++) {
		await go("next", "/metadata/");
		ok++;
		if (await run()) ok++;
		await go("prev", "/identity-token/");
		ok++;
		if (await run()) ok++;
	}
	return {ok};
})(%d)`

// TestNavigationMemoryFlat goes back and forth between two pages, running a block on each,
// many times: what a page leaves behind (listeners, nodes, countdowns holding a page) must not
// add up, and the engine is never loaded again.
func TestNavigationMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("a hundred navigations: skipped with -short")
	}
	setup(t)
	tb := newFreshTab(t)
	tb.openLive(t, "/identity-token/")
	wasm := eval[int](t, tb, wasmFetches)
	// The rounds run in the page, clicking as a reader would (chromedp's own clicks would keep
	// the nodes they touched alive in the inspector, which is not what is measured here).
	rounds := func(n int) {
		t.Helper()
		r := awaitJS[map[string]any](t, tb, fmt.Sprintf(navRoundsJS, n))
		if r["ok"] != float64(4*n) {
			t.Fatalf("%d rounds: %v", n, r)
		}
	}
	sample := func() (nodes, listeners, jsUsed int64) {
		t.Helper()
		for range 2 {
			if _, err := chromedp.Call(tb.ctx, heapprofiler.CollectGarbage, cdp.Empty{}); err != nil {
				t.Fatal(err)
			}
		}
		d, err := chromedp.Call(tb.ctx, memory.GetDOMCounters, cdp.Empty{})
		if err != nil {
			t.Fatal(err)
		}
		h, err := chromedp.Call(tb.ctx, cdpruntime.GetHeapUsage, cdp.Empty{})
		if err != nil {
			t.Fatal(err)
		}
		return d.Nodes, d.JsEventListeners, int64(h.UsedSize)
	}
	// Warm-up, until the request history and the Activity Tracker list hold their most (50
	// entries each, 2 a round): from then on nothing should grow.
	rounds(30)
	n0, l0, j0 := sample()
	const measured = 40
	start := time.Now()
	rounds(measured)
	took := time.Since(start)
	n1, l1, j1 := sample()
	t.Logf("%d navigations and %[1]d block runs in %s; DOM nodes %d → %d, listeners %d → %d, JS heap %.2f → %.2f MiB",
		2*measured, took.Round(time.Millisecond), n0, n1, l0, l1, float64(j0)/(1<<20), float64(j1)/(1<<20))
	// Measured flat (±1 node, ±0 listeners) once the lists are full. Keeping each page left
	// alive (tried once, on purpose) adds some 1,600 nodes and 2 or 3 listeners a navigation.
	if n1-n0 > 300 {
		t.Errorf("DOM nodes grew by %d over %d navigations; want at most 300", n1-n0, 2*measured)
	}
	if l1-l0 > 20 {
		t.Errorf("event listeners grew by %d over %d navigations; want at most 20", l1-l0, 2*measured)
	}
	if j1-j0 > 2<<20 {
		t.Errorf("the JS heap grew by %.2f MiB over %d navigations; want at most 2 MiB", float64(j1-j0)/(1<<20), 2*measured)
	}
	if n := eval[int](t, tb, wasmFetches); n != wasm {
		t.Errorf("the wasm was fetched %d times; want %d", n, wasm)
	}
	tb.checkClean(t)
}
