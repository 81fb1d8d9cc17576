//go:build !js

package browsertest

import (
	"context"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/imdsplay/imdsplay/site"
)

// env is the site and the browser shared by every test of the package: building the site (the
// wasm above all) and starting Chromium are the slow parts, so each happens once.
var env struct {
	once    sync.Once
	skip    string // why the tests skip, when they do
	err     error
	site    *Site
	browser context.Context
	stop    context.CancelFunc
}

func TestMain(m *testing.M) {
	code := m.Run()
	if env.skip != "" {
		// Shown with -v (go test hides a passing package's output otherwise).
		fmt.Fprintln(os.Stderr, "browsertest: "+env.skip)
	}
	if env.stop != nil {
		env.stop()
	}
	if env.site != nil {
		env.site.Close()
	}
	os.Exit(code)
}

// setup builds and serves the site and starts the browser on first use, and skips (or, with
// IMDS_REQUIRE_BROWSER=1, fails) when Chromium is missing.
func setup(t *testing.T) {
	t.Helper()
	env.once.Do(func() {
		chromium, err := FindChromium()
		if err != nil {
			env.skip = "chromium not found: browser tests skipped (apt-get install -y chromium, or set $CHROMIUM)"
			return
		}
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		start := time.Now()
		// IMDS_BROWSERTEST_CONTENT points the tests at another content directory (debugging a page).
		opts := SiteOptions{Root: root, Content: os.Getenv("IMDS_BROWSERTEST_CONTENT")}
		if env.site, env.err = BuildAndServe(ctx, opts); env.err != nil {
			return
		}
		t.Logf("built %d pages, %d live blocks, wasm %.2f MB brotli in %s; serving %s",
			len(env.site.Build.Pages), env.site.Build.LiveBlocks, float64(env.site.Build.WasmBrotli)/1e6,
			time.Since(start).Round(time.Millisecond), env.site.URL)
		env.browser, env.stop, env.err = NewBrowser(chromium)
	})
	if env.skip != "" {
		if os.Getenv("IMDS_REQUIRE_BROWSER") == "1" {
			t.Fatalf("%s, but IMDS_REQUIRE_BROWSER=1", env.skip)
		}
		t.Skip(env.skip)
	}
	if env.err != nil {
		t.Fatal(env.err)
	}
}

// tab is one browser tab and what its pages wrote to the console.
type tab struct {
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	page     string
	problems []string // console errors, exceptions and CSP violations, prefixed by page
}

// watchScript records CSP violations in the page, before any of its own scripts run. Scripts
// injected through the DevTools protocol are exempt from the page's CSP.
const watchScript = `window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) =>
	window.__cspViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber));
document.addEventListener("DOMContentLoaded", () => {
	window.__formControlsAtDCL = document.querySelectorAll("input, select, textarea").length;
}, { once: true });`

// newTab opens a tab that records console problems.
func newTab(t *testing.T) *tab {
	t.Helper()
	return openTab(t)
}

// openTab opens a tab with opts that records console problems.
func openTab(t *testing.T, opts ...chromedp.ContextOption) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(env.browser, opts...)
	tb := &tab{ctx: ctx, cancel: cancel}
	t.Cleanup(cancel)
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				tb.mu.Lock()
				tb.problems = append(tb.problems, fmt.Sprintf("%s: console %s: %s (%s:%d)", tb.page, m.Type, m.Text, m.URL, m.Line+1))
				tb.mu.Unlock()
			}
		}
	}()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: watchScript}); err != nil {
		t.Fatal(err)
	}
	return tb
}

// open navigates to path, waits until the engine is ready and returns the page's CSP header.
func (tb *tab) open(t *testing.T, path string) string {
	t.Helper()
	tb.mu.Lock()
	tb.page = path
	tb.mu.Unlock()
	ctx, cancel := context.WithTimeout(tb.ctx, 60*time.Second)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(env.site.URL+path))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if resp.Status != 200 {
		t.Errorf("%s: got status %d; want 200", path, resp.Status)
	}
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](`document.documentElement.dataset.imdsReady === "true"`))
		if err == nil {
			break
		}
		// Under load the poll can start in the document being left (about:blank, say), whose
		// context is gone by its first evaluation: poll again in the new one.
		if strings.Contains(err.Error(), "Cannot find context with specified id") && ctx.Err() == nil {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		line, _ := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="loading"]')?.textContent ?? "(no loading line)"`))
		t.Fatalf("%s: data-imds-ready never became true: %v; loading line: %q", path, err, line)
	}
	csp, _ := resp.Headers["Content-Security-Policy"].(string)
	return csp
}

// checkClean fails the test with every console problem and CSP violation seen so far.
func (tb *tab) checkClean(t *testing.T) {
	t.Helper()
	violations, err := chromedp.Run(tb.ctx, chromedp.Evaluate[[]string](`window.__cspViolations ?? []`))
	if err != nil {
		t.Fatal(err)
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, v := range violations {
		tb.problems = append(tb.problems, tb.page+": CSP violation: "+v)
	}
	for _, p := range tb.problems {
		t.Error(p)
	}
	tb.problems = nil
}

// TestPagesLoad opens every page in one tab: each must become ready with no console error and
// no CSP violation (so the inline boot script was allowed), and carry the CSP of netlify.toml.
func TestPagesLoad(t *testing.T) {
	setup(t)
	tb := newTab(t)
	want := "script-src 'self' " + site.BootScriptHash([]byte(env.site.Build.Assets.Boot)) + " 'wasm-unsafe-eval'"
	for _, p := range env.site.Build.Pages {
		csp := tb.open(t, p)
		if got := directive(csp, "script-src"); got != want {
			t.Errorf("%s: got %q in CSP %q; want %s (the inline boot script by its hash)", p, got, csp, want)
		}
		if got := directive(csp, "worker-src"); got != "worker-src 'self'" {
			t.Errorf("%s: got %q in CSP %q; want worker-src 'self' (the engine's worker, from /assets/)", p, got, csp)
		}
		tb.checkClean(t)
	}
}

// directive returns the directive of a CSP header that starts with name, spaces normalised.
func directive(csp, name string) string {
	for _, d := range strings.Split(csp, ";") {
		if f := strings.Fields(d); len(f) > 0 && f[0] == name {
			return strings.Join(f, " ")
		}
	}
	return ""
}

// TestCSPEnforced checks that the browser really applies the policy: an inline script injected
// into the page must not run, and must be reported as a violation.
func TestCSPEnforced(t *testing.T) {
	setup(t)
	tb := newTab(t)
	tb.open(t, "/")
	ran, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`(() => {
		const s = document.createElement("script");
		s.textContent = "window.__inlineRan = true";
		document.head.append(s);
		return window.__inlineRan === true;
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if ran {
		t.Error("an inline script ran; want the CSP to block it")
	}
	n, err := chromedp.Run(tb.ctx, chromedp.Poll[int](`window.__cspViolations.length`, chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil || n == 0 {
		t.Errorf("got %d CSP violations (%v); want the blocked inline script reported", n, err)
	}
	// The console watcher must have seen Chromium's own report too, or checkClean proves nothing.
	deadline := time.Now().Add(5 * time.Second)
	for {
		tb.mu.Lock()
		seen := slices.ContainsFunc(tb.problems, func(p string) bool { return strings.Contains(p, "Content Security Policy") })
		tb.mu.Unlock()
		if seen {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("the console watcher saw no CSP report; it saw %q", tb.problems)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// blockResult is what a live block's output shows after a run, as the tests read it.
type blockResult struct {
	Index     int        `json:"index"`
	On        string     `json:"on"`
	Source    string     `json:"source"`
	State     string     `json:"state"`
	Exit      string     `json:"exit"`
	Text      string     `json:"text"`
	Hints     []string   `json:"hints"`
	HintLinks []string   `json:"hintLinks"`
	Exchanges []exchange `json:"exchanges"`
	JWTs      int        `json:"jwts"`
	Chains    int        `json:"chains"`
	// Failures are the failed exchanges and their hints (hints_test.go).
	Failures []failure `json:"failures"`
}

// exchange is one exchange entry of an output.
type exchange struct {
	Line   string `json:"line"`
	Status string `json:"status"`
}

// blockSel is the CSS selector of live block i on the page.
func blockSel(i int) string { return fmt.Sprintf(`[data-testid="live-block"][data-index="%d"]`, i) }

// wholeTextJS is a function of an element and whether to read its innerText: its text as a
// copy gives it, every value the output shortens whole (as output.ts's copy handler does).
const wholeTextJS = `((e, inner) => {
	let t = inner ? e.innerText : e.textContent;
	for (const l of e.querySelectorAll('.long[data-full]')) {
		// A value in a folded part is not in innerText, and reads as "": nothing to replace.
		const shown = inner ? l.innerText : l.textContent;
		if (shown) t = t.replace(shown, () => l.dataset.full);
	}
	return t;
})`

// readBlockJS reads a block's output, its text as copied; %q is the block selector.
var readBlockJS = `(() => {
	const b = document.querySelector(%q);
	const o = b.querySelector('[data-testid="output"]');
	const all = (sel) => Array.from(o.querySelectorAll(sel));
	return {
		index: Number(b.dataset.index), on: b.dataset.on,
		source: b.querySelector('[data-testid="editor"]').dataset.source,
		state: o.dataset.state ?? "", exit: o.querySelector('[data-testid="exit"]')?.dataset.exit ?? "",
		text: ` + wholeTextJS + `(o, true),
		hints: all('[data-testid="hint"]').map((h) => h.textContent),
		hintLinks: all('[data-testid="hint"] a').map((a) => a.getAttribute("href")),
		exchanges: all('[data-testid="exchange"]').map((x) => ({
			line: x.querySelector(".exchange-request-line").textContent,
			status: x.dataset.status,
		})),
		jwts: all('[data-testid="jwt"]').length,
		chains: all('[data-testid="chain"]').length,
		failures: ` + fmt.Sprintf(failuresJS, tokenKindJS) + `,
	};
})()`

// runBlock clicks Run on block i and waits for its result.
func (tb *tab) runBlock(t *testing.T, i int) blockResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 60*time.Second)
	defer cancel()
	sel := blockSel(i)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel+` [data-testid="run"]`))); err != nil {
		t.Fatalf("block %d: click Run: %v", i, err)
	}
	done := fmt.Sprintf(`["ok", "error"].includes(document.querySelector(%q).querySelector('[data-testid="output"]').dataset.state)`, sel)
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](done)); err != nil {
		t.Fatalf("block %d: no result: %v", i, err)
	}
	return tb.readBlock(t, i)
}

// readBlock reads block i's output.
func (tb *tab) readBlock(t *testing.T, i int) blockResult {
	t.Helper()
	r, err := chromedp.Run(tb.ctx, chromedp.Evaluate[blockResult](fmt.Sprintf(readBlockJS, blockSel(i))))
	if err != nil {
		t.Fatalf("block %d: read output: %v", i, err)
	}
	return r
}

// openPanel opens the first panel (jwt or chain) of block i and returns its verdict line.
func (tb *tab) openPanel(t *testing.T, i int, kind string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	sel := fmt.Sprintf(`%s [data-testid="%s"]`, blockSel(i), kind)
	// A panel under a response sits in its exchange's <details>: open that first, as a reader must.
	closed, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`!(document.querySelector(%q).closest("details.exchange")?.open ?? true)`, sel)))
	if err != nil {
		t.Fatal(err)
	}
	if closed {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.JSPath(fmt.Sprintf(`document.querySelector(%q).closest("details.exchange").querySelector("summary")`, sel)))); err != nil {
			t.Fatalf("block %d: open the exchange: %v", i, err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel+" > summary"))); err != nil {
		t.Fatalf("block %d: open %s: %v", i, kind, err)
	}
	verdict, err := chromedp.Run(ctx, chromedp.Poll[string](fmt.Sprintf(
		`document.querySelector(%q)?.querySelector('[data-testid="%s-verdict"], .out-stderr')?.textContent`, sel, kind)))
	if err != nil {
		t.Fatalf("block %d: %s panel shows nothing: %v", i, kind, err)
	}
	return verdict
}

// blockCount returns the number of live blocks on the current page.
func (tb *tab) blockCount(t *testing.T) int {
	t.Helper()
	n, err := chromedp.Run(tb.ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="live-block"]').length`))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// hasExchange reports whether r made a request whose line contains path and that got status.
func (r blockResult) hasExchange(method, path, status string) bool {
	return slices.ContainsFunc(r.Exchanges, func(x exchange) bool {
		return strings.HasPrefix(x.Line, method+" ") && strings.Contains(x.Line, path) && x.Status == status
	})
}

// TestFlows runs every live block of every page in order, as a reader would, and checks what
// the documented flows must show: an identity token issued and verified, an IAM token issued,
// a certificate chain shown and verified. No block may fail inside the engine or hit a missing
// command, and every error a block provokes must have the hint that names its cause's page
// (hints_test.go).
func TestFlows(t *testing.T) {
	setup(t)
	tb := newTab(t)
	var sawToken, sawIAM, sawCert bool
	met := map[int]bool{}
	for _, p := range env.site.Build.Pages {
		tb.open(t, p)
		n := tb.blockCount(t)
		for i := range n {
			r := tb.runBlock(t, i)
			t.Logf("%s block %d (%s): exit %s, %d requests %v", p, i, r.On, r.Exit, len(r.Exchanges), r.Exchanges)
			if r.State == "error" && r.Exit == "" {
				t.Errorf("%s block %d: the engine failed: %s", p, i, r.Text)
			}
			checkHintLinks(t, fmt.Sprintf("%s block %d", p, i), r)
			checkFailures(t, fmt.Sprintf("%s block %d", p, i+1), r, met)
			if r.Exit == "127" {
				t.Errorf("%s block %d: a command is missing from the shell:\n%s\n%s", p, i, r.Source, r.Text)
			}
			if r.hasExchange("PUT", "/token", "200") && r.JWTs > 0 && !sawToken {
				if v := tb.openPanel(t, i, "jwt"); !strings.Contains(v, "✓") {
					t.Errorf("%s block %d: got JWT verdict %q; want the signature verified", p, i, v)
				}
				sawToken = true
			}
			if r.hasExchange("POST", "/iam_token", "200") {
				sawIAM = true
			}
			if r.Chains > 0 && !sawCert && (r.hasExchange("POST", "/certificates", "201") || r.hasExchange("POST", "/certificates", "200")) {
				if v := tb.openPanel(t, i, "chain"); !strings.Contains(v, "root CA") || !strings.HasPrefix(v, "✓") {
					t.Errorf("%s block %d: got chain verdict %q; want it to chain to the emulator's root CA", p, i, v)
				}
				sawCert = true
			}
		}
		tb.checkClean(t)
	}
	checkCausesMet(t, met)
	for what, saw := range map[string]bool{
		"an identity token issued (PUT …/token → 200, decoded and verified)": sawToken,
		"an IAM token issued (POST …/iam_token → 200)":                       sawIAM,
		"a certificate chain shown (POST …/certificates, chain verified)":    sawCert,
	} {
		if !saw {
			t.Errorf("no page showed %s", what)
		}
	}
}

// setEditor replaces block i's text as a reader typing would (an input event follows).
func (tb *tab) setEditor(t *testing.T, i int, text string) {
	t.Helper()
	_, err := chromedp.Run(tb.ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const e = document.querySelector(%q).querySelector('[data-testid="editor"]');
		e.focus();
		e.textContent = %q;
		e.dispatchEvent(new InputEvent("input", {bubbles: true}));
	})()`, blockSel(i), text)))
	if err != nil {
		t.Fatal(err)
	}
}

// firstBlocks returns the first page that has a workstation block and an instance block, and
// their indexes.
func (tb *tab) firstBlocks(t *testing.T) (path string, workstation, instance int) {
	t.Helper()
	for _, p := range env.site.Build.Pages {
		tb.open(t, p)
		places, err := chromedp.Run(tb.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('[data-testid="live-block"]'), (b) => b.dataset.on)`))
		if err != nil {
			t.Fatal(err)
		}
		w, i := slices.Index(places, "workstation"), slices.Index(places, "instance")
		if w >= 0 && i >= 0 {
			return p, w, i
		}
	}
	t.Skip("no page has both a workstation block and an instance block")
	return "", 0, 0
}

// TestDisabledService edits blocks the way a reader would: disable the metadata service from the
// workstation, then ask for a token on the instance. The service's 403 must be shown with a hint
// that links to the page about enabling it; Reset must bring back the documented text.
func TestDisabledService(t *testing.T) {
	setup(t)
	tb := newTab(t)
	path, w, i := tb.firstBlocks(t)
	tb.setEditor(t, w, `id=$(curl -s "$vpc_api_endpoint/v1/instances?version=2025-04-22&generation=2" -H "Authorization: Bearer $iam_token" | jq -r '.instances[0].id')
curl -s -X PATCH "$vpc_api_endpoint/v1/instances/$id?version=2025-04-22&generation=2" -H "Authorization: Bearer $iam_token" -d '{"metadata_service": {"enabled": false}}' | jq .metadata_service`)
	if r := tb.runBlock(t, w); r.Exit != "0" || !r.hasExchange("PATCH", "/v1/instances/", "200") {
		t.Fatalf("%s block %d: disabling the service: got exit %s, exchanges %v:\n%s", path, w, r.Exit, r.Exchanges, r.Text)
	}
	tb.setEditor(t, i, `curl -s -X PUT "http://api.metadata.cloud.ibm.com/instance_identity/v1/token?version=2025-04-22" -H "Metadata-Flavor: ibm" -d '{}'`)
	// Ctrl+Enter runs the block like the Run button.
	if err := chromedp.Do(tb.ctx, chromedp.Focus(chromedp.CSS(blockSel(i)+` [data-testid="editor"]`)),
		chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl))); err != nil {
		t.Fatal(err)
	}
	done := fmt.Sprintf(`["ok", "error"].includes(document.querySelector(%q).querySelector('[data-testid="output"]').dataset.state)`, blockSel(i))
	if _, err := chromedp.Run(tb.ctx, chromedp.Poll[chromedp.Void](done, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("Ctrl+Enter did not run the block: %v", err)
	}
	r := tb.readBlock(t, i)
	if !r.hasExchange("PUT", "/token", "403") {
		t.Errorf("got exchanges %v; want PUT …/token answered 403", r.Exchanges)
	}
	if len(r.Hints) == 0 || !strings.Contains(r.Hints[0], "disabled") || !slices.ContainsFunc(r.HintLinks, func(h string) bool { return strings.Contains(h, "enable") }) {
		t.Errorf("got hints %q links %q; want the disabled-service hint linking to the enable page", r.Hints, r.HintLinks)
	}
	checkHintLinks(t, path, r)
	if !strings.Contains(r.Text, `"unauthorized"`) {
		t.Errorf("got output %q; want the service's error JSON with code unauthorized", r.Text)
	}

	if err := chromedp.Do(tb.ctx, chromedp.Click(chromedp.CSS(blockSel(i)+` [data-testid="reset"]`))); err != nil {
		t.Fatal(err)
	}
	same, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
		const e = document.querySelector(%q).querySelector('[data-testid="editor"]');
		return e.textContent === e.dataset.source;
	})()`, blockSel(i))))
	if err != nil || !same {
		t.Errorf("after Reset the editor does not hold the documented text (%v)", err)
	}
	tb.checkClean(t)
}

// TestWorkstationCannotReachMetadata runs a token request on the workstation: curl must fail
// to resolve the host, and the hint must say that the host only resolves inside the instance.
func TestWorkstationCannotReachMetadata(t *testing.T) {
	setup(t)
	tb := newTab(t)
	_, w, _ := tb.firstBlocks(t)
	tb.setEditor(t, w, `curl -s -X PUT "http://api.metadata.cloud.ibm.com/instance_identity/v1/token?version=2025-04-22" -H "Metadata-Flavor: ibm" -d '{}'`)
	r := tb.runBlock(t, w)
	if r.Exit != "6" {
		t.Errorf("got exit %s; want curl's 6 (could not resolve host):\n%s", r.Exit, r.Text)
	}
	if len(r.Hints) == 0 || !strings.Contains(r.Hints[0], "only resolves inside the instance") {
		t.Errorf("got hints %q; want the inside-the-instance hint", r.Hints)
	}
	tb.checkClean(t)
}

// pauseWasm opens a tab whose browser pauses the wasm's request at stage (fetch.RequestPaused
// events on the returned channel, for a minute), and names the first page with blocks and its
// first instance block; the caller navigates.
func pauseWasm(t *testing.T, stage fetch.RequestStage) (*tab, context.Context, iter.Seq2[fetch.EventRequestPaused, error], string, int) {
	t.Helper()
	setup(t)
	tb := newTab(t)
	path, _, i := tb.firstBlocks(t)
	ctx, cancel := context.WithTimeout(tb.ctx, 60*time.Second)
	t.Cleanup(cancel)
	paused := chromedp.Events(ctx, fetch.RequestPaused)
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*.wasm", RequestStage: stage}}}); err != nil {
		t.Fatal(err)
	}
	return tb, ctx, paused, path, i
}

// TestRunQueuedWhileLoading holds the wasm download back, clicks Run, and checks that the page
// reads fine meanwhile, that the click is queued with a visible note, and that it runs once the
// engine is ready.
func TestRunQueuedWhileLoading(t *testing.T) {
	tb, ctx, paused, path, i := pauseWasm(t, fetch.RequestStageRequest)
	if err := chromedp.Do(ctx, chromedp.Navigate(env.site.URL+path)); err != nil {
		t.Fatal(err)
	}
	var held fetch.RequestID
	for ev, err := range paused {
		if err != nil {
			t.Fatalf("the wasm was never requested: %v", err)
		}
		held = ev.RequestID
		break
	}
	loading, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="loading"]')?.textContent ?? ""`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(loading, "Loading") {
		t.Errorf("got loading line %q while the wasm downloads; want a progress line", loading)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(blockSel(i)+` [data-testid="run"]`))); err != nil {
		t.Fatal(err)
	}
	state, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q).querySelector('[data-testid="output"]').dataset.state ?? ""`, blockSel(i))))
	if err != nil || state != "queued" {
		t.Errorf("got output state %q (%v) before the engine is ready; want queued", state, err)
	}
	if _, err := chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: held}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, fetch.Disable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	done := fmt.Sprintf(`["ok", "error"].includes(document.querySelector(%q).querySelector('[data-testid="output"]').dataset.state)`, blockSel(i))
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](done)); err != nil {
		t.Fatalf("the queued run never finished: %v", err)
	}
	if r := tb.readBlock(t, i); r.Exit == "" {
		t.Errorf("got output %q; want the queued run's result", r.Text)
	}
	tb.checkClean(t)
}

// TestWasmUnderAnotherType checks that a host serving the wasm as application/octet-stream
// still gets a working engine: the worker compiles straight from the response only when its
// type is application/wasm (web/ts/wasmload.ts), and rewraps the body otherwise.
func TestWasmUnderAnotherType(t *testing.T) {
	tb, ctx, paused, path, i := pauseWasm(t, fetch.RequestStageResponse)
	if err := chromedp.Do(ctx, chromedp.Navigate(env.site.URL+path)); err != nil {
		t.Fatal(err)
	}
	retyped := false
	for ev, err := range paused {
		if err != nil {
			t.Fatalf("the wasm was never requested: %v", err)
		}
		var headers []*fetch.HeaderEntry
		for _, h := range ev.ResponseHeaders {
			if strings.EqualFold(h.Name, "Content-Type") {
				retyped = h.Value == "application/wasm"
				h = &fetch.HeaderEntry{Name: h.Name, Value: "application/octet-stream"}
			}
			headers = append(headers, h)
		}
		if _, err := chromedp.Call(ctx, fetch.ContinueResponse, fetch.ContinueResponseParams{RequestID: ev.RequestID, ResponseCode: ev.ResponseStatusCode, ResponseHeaders: headers}); err != nil {
			t.Fatal(err)
		}
		break
	}
	if !retyped {
		t.Fatal("the wasm was not served as application/wasm to begin with: the test would prove nothing")
	}
	if _, err := chromedp.Call(ctx, fetch.Disable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](`document.documentElement.dataset.imdsReady === "true"`)); err != nil {
		line, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.Evaluate[string](`document.querySelector('[data-testid="loading"]')?.textContent ?? ""`))
		t.Fatalf("the engine did not start with the wasm as application/octet-stream: %v (loading line %q)", err, line)
	}
	if r := tb.runBlock(t, i); r.Exit == "" {
		t.Errorf("got output %q; want a run's result", r.Text)
	}
}
