//go:build !js

package browsertest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// hostServer is a second origin: a docs author's site, on another port of 127.0.0.1, serving
// pages (and their headers) by path.
type hostServer struct {
	*httptest.Server
	mu    sync.Mutex
	pages map[string]hostPage
}

type hostPage struct {
	body string
	csp  string // Content-Security-Policy header; "" for none
}

func newHostServer(t *testing.T) *hostServer {
	t.Helper()
	h := &hostServer{pages: map[string]hostPage{}}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		p, ok := h.pages[r.URL.Path]
		h.mu.Unlock()
		if !ok {
			if r.URL.Path == "/favicon.ico" {
				w.WriteHeader(http.StatusNoContent) // browsers ask; a 404 would be a console error
				return
			}
			http.NotFound(w, r)
			return
		}
		if p.csp != "" {
			w.Header().Set("Content-Security-Policy", p.csp)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprint(w, p.body)
	}))
	t.Cleanup(h.Close)
	if h.URL == env.site.URL {
		t.Fatal("the host page must be on another origin than the site")
	}
	return h
}

func (h *hostServer) page(path, csp, body string) string {
	h.mu.Lock()
	h.pages[path] = hostPage{body: body, csp: csp}
	h.mu.Unlock()
	return h.URL + path
}

// newFreshTab is newTab in a browser context of its own: an empty cache and empty storage, as
// for a reader who never visited the site (earlier tests leave the site's memory and the wasm in
// the shared profile, and 127.0.0.1 on any port is one site to the cache).
func newFreshTab(t *testing.T) *tab {
	t.Helper()
	return openTab(t, chromedp.WithNewBrowserContext())
}

// inShadow wraps a JavaScript expression so that it may use sr(i), the shadow root of the
// page's i-th embedded block.
func inShadow(expr string) string {
	return `((sr) => (` + expr + `))((i) => document.querySelectorAll("imds-example")[i]?.shadowRoot)`
}

// embedResult is what an embedded block shows after a run.
type embedResult struct {
	State     string   `json:"state"`
	Exit      string   `json:"exit"`
	Text      string   `json:"text"`
	Hints     []string `json:"hints"`
	HintLinks []string `json:"hintLinks"`
	Statuses  []string `json:"statuses"`
}

const readEmbedJS = `(() => {
	const o = sr(%d).querySelector('[data-testid="output"]');
	const all = (s) => Array.from(o.querySelectorAll(s));
	return {
		state: o.dataset.state ?? "", exit: o.querySelector('[data-testid="exit"]')?.dataset.exit ?? "",
		text: o.innerText,
		hints: all('[data-testid="hint"]').map((h) => h.textContent),
		hintLinks: all('[data-testid="hint"] a').map((a) => a.href),
		statuses: all('[data-testid="exchange"]').map((x) => x.dataset.status),
	};
})()`

// runEmbed clicks Run on the i-th embedded block of the page (or of the frame, when frame is
// not nil) and returns what it shows.
func runEmbed(t *testing.T, ctx context.Context, frame *chromedp.Node, i int) embedResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var opts []chromedp.PollOption
	if frame != nil {
		opts = append(opts, chromedp.WithPollingInFrame(frame))
	}
	click := inShadow(fmt.Sprintf(`(() => { const b = sr(%d)?.querySelector('[data-testid="run"]'); if (!b || b.disabled) return false; b.click(); return true; })()`, i))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](click, opts...)); err != nil {
		t.Fatalf("block %d: click Run: %v", i, err)
	}
	done := inShadow(fmt.Sprintf(`["ok", "error"].includes(sr(%d).querySelector('[data-testid="output"]').dataset.state)`, i))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](done, opts...)); err != nil {
		t.Fatalf("block %d: no result: %v", i, err)
	}
	r, err := chromedp.Run(ctx, chromedp.Poll[embedResult](inShadow(fmt.Sprintf(readEmbedJS, i)), opts...))
	if err != nil {
		t.Fatalf("block %d: read: %v", i, err)
	}
	return r
}

// waitEmbedReady waits until the page's (or frame's) embeds have their engine.
func waitEmbedReady(t *testing.T, ctx context.Context, frame *chromedp.Node, n int) {
	t.Helper()
	var opts []chromedp.PollOption
	if frame != nil {
		opts = append(opts, chromedp.WithPollingInFrame(frame))
	}
	opts = append(opts, chromedp.WithPollingTimeout(60*time.Second))
	expr := fmt.Sprintf(`document.querySelectorAll("imds-example").length === %d && ["ready", "error"].includes(document.documentElement.dataset.imdsEmbed)`, n)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, opts...)); err != nil {
		t.Fatalf("the embeds never became ready: %v", err)
	}
	state, _ := chromedp.Run(ctx, chromedp.Poll[string](`document.documentElement.dataset.imdsEmbed`, opts...))
	if state != "ready" {
		status, _ := chromedp.Run(ctx, chromedp.Poll[string](inShadow(`sr(0).querySelector('[data-testid="status"]').textContent || "?"`), opts...))
		t.Fatalf("the embeds' engine: %s: %s", state, status)
	}
}

// hostCSS is the host page's own styles: they must not reach the embeds, and the embeds'
// styles (the site's, where .output is a flex box) must not reach the page. The root font size
// is the one many sites set, which rem-based styles would shrink.
const hostCSS = `<style>
html { font-size: 10px; }
pre { color: rgb(255, 0, 0); font-size: 40px; background: rgb(0, 0, 255); }
div { color: rgb(0, 128, 0); }
.output { display: inline; }
</style>`

// TestEmbedFromAnotherOrigin puts embed.js on a page of another origin, as a docs author
// would, and checks that its blocks run, share sessions as their attributes say, apply their
// scenario, link their hints to the site, keep styles apart, and load the wasm once.
func TestEmbedFromAnotherOrigin(t *testing.T) {
	setup(t)
	host := newHostServer(t)
	token := `curl -s -X PUT "$vpc_metadata_api_endpoint/identity/v1/token?version=2025-08-26" -H "Metadata-Flavor: ibm" -d '{}'`
	url := host.page("/docs.html", "", `<!DOCTYPE html><html lang="en"><head><title>A docs site</title>`+hostCSS+`</head><body>
<pre id="host-pre">the host page's own pre</pre>
<div class="output" id="host-output">the host page's own .output</div>
<pre data-imds id="ex-token">
    export token=$(`+token+` | jq -r .access_token)
    echo "${token:0:3}"
</pre>
<pre data-imds>echo "default session sees ${token:0:3}"</pre>
<imds-example session="other">echo "other session sees [${token:0:3}]"</imds-example>
<pre data-imds data-imds-service="off">`+token+`</pre>
<pre data-imds data-imds-hop-limit="99">echo never</pre>
<script src="`+env.site.URL+`/embed.js" defer></script>
</body></html>`)

	tb := newFreshTab(t)
	tb.mu.Lock()
	tb.page = url
	tb.mu.Unlock()
	ctx, cancel := context.WithTimeout(tb.ctx, 120*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	waitEmbedReady(t, ctx, nil, 5)

	// The id of a replaced <pre> stays, so the author's anchors still work.
	if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("ex-token")?.localName === "imds-example"`)); !ok {
		t.Errorf("the block lost its id")
	}
	if r := runEmbed(t, ctx, nil, 0); r.Exit != "0" || !strings.Contains(r.Text, "eyJ") || !slices.Contains(r.Statuses, "200") {
		t.Errorf("token block: got exit %s, statuses %v, text %q; want a token (eyJ…)", r.Exit, r.Statuses, r.Text)
	}
	if r := runEmbed(t, ctx, nil, 1); !strings.Contains(r.Text, "default session sees eyJ") {
		t.Errorf("a block of the default session: got %q; want the token set by the block before", r.Text)
	}
	if r := runEmbed(t, ctx, nil, 2); !strings.Contains(r.Text, "other session sees []") {
		t.Errorf("a block of another session: got %q; want none of the default session's variables", r.Text)
	}
	r := runEmbed(t, ctx, nil, 3)
	if !slices.Contains(r.Statuses, "403") || len(r.Hints) == 0 || !strings.Contains(r.Hints[0], "disabled") {
		t.Errorf("service off: got statuses %v, hints %q; want 403 and the disabled-service hint", r.Statuses, r.Hints)
	}
	for _, l := range r.HintLinks {
		if !strings.HasPrefix(l, env.site.URL+"/") {
			t.Errorf("a hint links to %q; want a page of the site (%s)", l, env.site.URL)
		}
	}
	if !slices.ContainsFunc(r.HintLinks, func(l string) bool { return strings.HasPrefix(l, env.site.URL+"/enable/#") }) {
		t.Errorf("hint links %q; want a section of %s/enable/", r.HintLinks, env.site.URL)
	}
	bad, err := chromedp.Run(ctx, chromedp.Evaluate[[]any](inShadow(`[sr(4).querySelector('[data-testid="output"]').innerText, sr(4).querySelector('[data-testid="run"]').disabled]`)))
	if err != nil || len(bad) != 2 || !strings.Contains(fmt.Sprint(bad[0]), "data-imds-hop-limit must be a whole number from 1 to 64") || bad[1] != true {
		t.Errorf("a block with a wrong attribute: got %v (%v); want the mistake shown and Run disabled", bad, err)
	}

	// Edit, run with Ctrl+Enter, Reset: as on the site's own pages.
	edit := inShadow(`(() => {
		const e = sr(1).querySelector('[data-testid="editor"]');
		e.focus();
		e.textContent = "echo edited in place";
		e.dispatchEvent(new InputEvent("input", {bubbles: true}));
		return true;
	})()`)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](edit)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](inShadow(`sr(1).querySelector('[data-testid="stdout"]')?.textContent === "edited in place\n"`), chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Errorf("Ctrl+Enter did not run the edited text: %v", err)
	}
	reset := inShadow(`(() => {
		sr(1).querySelector('[data-testid="reset"]').click();
		const e = sr(1).querySelector('[data-testid="editor"]');
		return e.textContent === e.dataset.source && sr(1).querySelector('[data-testid="output"]').childElementCount === 0;
	})()`)
	if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](reset)); err != nil || !ok {
		t.Errorf("after Reset the block does not show its documented text and an empty output (%v)", err)
	}

	// Styles: the host's do not reach in, the embed's do not reach out.
	styles, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](inShadow(`(() => {
		const ed = getComputedStyle(sr(0).querySelector('[data-testid="editor"]'));
		const out = getComputedStyle(sr(0).querySelector('[data-testid="output"]'));
		const hostPre = getComputedStyle(document.getElementById("host-pre"));
		const hostOut = getComputedStyle(document.getElementById("host-output"));
		return {
			editorColor: ed.color, editorBg: ed.backgroundColor, editorSize: ed.fontSize,
			outputColor: out.color, outputDisplay: out.display,
			hostPreColor: hostPre.color, hostPreSize: hostPre.fontSize,
			hostOutputDisplay: hostOut.display, hostOutputBorder: hostOut.borderTopWidth,
		};
	})()`)))
	if err != nil {
		t.Fatal(err)
	}
	for k, bad := range map[string]string{"editorColor": "rgb(255, 0, 0)", "editorBg": "rgb(0, 0, 255)", "editorSize": "40px", "outputColor": "rgb(0, 128, 0)"} {
		if styles[k] == bad {
			t.Errorf("the host page's CSS reached into the embed: %s = %s", k, bad)
		}
	}
	if styles["editorSize"] != "14px" {
		t.Errorf("the editor's font size is %s; want 14px whatever the host's root font size", styles["editorSize"])
	}
	if styles["outputDisplay"] != "flex" {
		t.Errorf("the embed's own output panel: display %s; want flex (its stylesheet applies)", styles["outputDisplay"])
	}
	if styles["hostPreColor"] != "rgb(255, 0, 0)" || styles["hostPreSize"] != "40px" || styles["hostOutputDisplay"] != "inline" || styles["hostOutputBorder"] != "0px" {
		t.Errorf("the embed's CSS reached the host page: %v", styles)
	}

	// One wasm download for five blocks: the engine's worker reports its own downloads.
	wasm := `__imdsEmbed.engine().then((e) => e.wasmFetches.map((f) => f.transferSize))`
	sizes, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](wasm, chromedp.EvalAwaitPromise))
	if err != nil || len(sizes) != 1 || sizes[0] == 0 {
		// Timing-Allow-Origin (netlify.toml) is what lets the host page see a non-zero size.
		t.Errorf("wasm requests: transfer sizes %v (%v); want exactly one, downloaded", sizes, err)
	}
	t.Logf("wasm requests on the first visit: transfer sizes %v", sizes)
	// And none on the next visit: the hashed wasm comes from the browser's cache.
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	waitEmbedReady(t, ctx, nil, 5)
	sizes, err = chromedp.Run(ctx, chromedp.Evaluate[[]float64](wasm, chromedp.EvalAwaitPromise))
	if err != nil || len(sizes) != 1 || sizes[0] != 0 {
		t.Errorf("wasm on the second visit: transfer sizes %v (%v); want one, from the cache (0 bytes)", sizes, err)
	}
	tb.checkClean(t)
}

// TestEmbedIframeUnderStrictCSP frames a block's iframe page from a page whose policy allows no
// script at all: the block, with the page's earlier blocks run first, must work inside, and it
// must report its height. A normal page of the site must refuse to be framed there.
func TestEmbedIframeUnderStrictCSP(t *testing.T) {
	setup(t)
	host := newHostServer(t)
	csp := "default-src 'self'; script-src 'none'; frame-src " + env.site.URL
	url := host.page("/strict.html", csp, `<!DOCTYPE html><html lang="en"><head><title>Strict</title></head><body>
<iframe id="f" src="`+env.site.URL+`/embed/identity-token/3/" title="embed" width="700" height="300"></iframe>
<iframe id="g" src="`+env.site.URL+`/identity-token/" title="not for framing" width="300" height="100"></iframe>
<script>window.inlineRan = true</script>
</body></html>`)

	tb := newFreshTab(t)
	tb.mu.Lock()
	tb.page = url
	tb.mu.Unlock()
	ctx, cancel := context.WithTimeout(tb.ctx, 120*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	// DevTools scripts are exempt from the page's CSP: listen to the frame's height reports.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`window.heights = []; addEventListener("message", (e) => e.data?.type === "imds-embed:height" && window.heights.push(e.data.height))`)); err != nil {
		t.Fatal(err)
	}
	if ran, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.inlineRan === true`)); ran {
		t.Fatal("the host page's CSP is not in force: its inline script ran")
	}
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS("#f")))
	if err != nil || len(nodes) != 1 {
		t.Fatalf("iframe: %v", err)
	}
	frame := nodes[0]
	waitEmbedReady(t, ctx, frame, 3)
	before, _ := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`window.heights`))

	// Block 3 of the identity token page reads the instance's name with the token that block 2
	// sets: the two setup blocks run first, by themselves.
	r := runEmbed(t, ctx, frame, 2)
	if r.Exit != "0" || !strings.Contains(r.Text, "my-virtual-server") {
		t.Errorf("the framed block: got exit %s, text %q; want the instance's name", r.Exit, r.Text)
	}
	for i := range 2 {
		st, err := chromedp.Run(ctx, chromedp.Poll[string](inShadow(fmt.Sprintf(`sr(%d).querySelector('[data-testid="output"]').dataset.state || "none"`, i)), chromedp.WithPollingInFrame(frame)))
		if err != nil || st != "ok" {
			t.Errorf("setup block %d: state %q (%v); want it run, ok", i, st, err)
		}
	}
	after, err := chromedp.Run(ctx, chromedp.Poll[[]float64](fmt.Sprintf(`window.heights.length > %d && window.heights`, len(before))))
	if err != nil || len(after) == 0 || after[len(after)-1] <= 100 {
		t.Errorf("height reports: before the run %v, after %v (%v); want a new, taller height", before, after, err)
	}

	// The site's other pages may be framed by the site only (X-Frame-Options, which the
	// embed page's frame-ancestors overrides): Chromium refuses to show #g, and says so.
	deadline := time.Now().Add(10 * time.Second)
	for {
		tb.mu.Lock()
		i := slices.IndexFunc(tb.problems, func(p string) bool { return strings.Contains(strings.ToLower(p), "x-frame-options") })
		if i >= 0 {
			tb.problems = slices.Delete(tb.problems, i, i+1)
		}
		tb.mu.Unlock()
		if i >= 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("framing /identity-token/ from another origin was not refused (X-Frame-Options)")
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	tb.mu.Lock()
	// The host's own inline script, refused by its own policy, is the test's doing.
	tb.problems = slices.DeleteFunc(tb.problems, func(p string) bool { return strings.Contains(p, "inline script") })
	tb.mu.Unlock()
	violations, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(window.__cspViolations ?? []).filter((v) => !v.includes("inline"))`))
	if len(violations) > 0 {
		t.Errorf("CSP violations on the host page: %q", violations)
	}
	frameViolations, _ := chromedp.Run(ctx, chromedp.Poll[[]string](`window.__cspViolations ?? []`, chromedp.WithPollingInFrame(frame)))
	if len(frameViolations) > 0 {
		t.Errorf("CSP violations in the iframe page: %q", frameViolations)
	}
	tb.mu.Lock()
	for _, p := range tb.problems {
		t.Error(p)
	}
	tb.problems = nil
	tb.mu.Unlock()
}

// TestEmbeddingPageLive opens the page for docs authors: its script examples are live blocks
// that run on the page's own engine, its snippets show the origin the page came from, its
// iframe example runs and is sized by embed.js, and the site's CSP holds throughout.
func TestEmbeddingPageLive(t *testing.T) {
	setup(t)
	tb := newFreshTab(t)
	csp := tb.open(t, "/embedding/")
	if d := directive(csp, "frame-ancestors"); d != "" {
		t.Errorf("/embedding/: CSP %q has %q; want none, leaving framing to X-Frame-Options", csp, d)
	}
	ctx, cancel := context.WithTimeout(tb.ctx, 120*time.Second)
	defer cancel()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="embed-live"] pre[data-imds], [data-testid="embed-live"] imds-example').length`))
	if err != nil {
		t.Fatal(err)
	}
	waitEmbedReady(t, ctx, nil, n)
	if r := runEmbed(t, ctx, nil, 0); r.Exit != "0" || !strings.Contains(r.Text, "access_token") {
		t.Errorf("the first example: got exit %s, text %q; want a token response", r.Exit, r.Text)
	}
	origins, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("[data-imds-origin]"), (e) => e.textContent)`))
	if err != nil || len(origins) == 0 {
		t.Fatalf("no origin in the snippets (%v)", err)
	}
	for _, o := range origins {
		if o != env.site.URL {
			t.Errorf("a snippet shows the origin %q; want %q, where the page came from", o, env.site.URL)
		}
	}
	copies, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("button[data-imds-copy]:not([hidden])").length`))
	if copies == 0 {
		t.Errorf("no Copy button was revealed")
	}
	// The iframe example: embed.js on the page sets its height from the frame's reports.
	h, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const f = document.querySelector('[data-testid="embed-live"] iframe'); f.scrollIntoView(); return f.style.height; })()`, chromedp.WithPollingTimeout(60*time.Second)))
	if err != nil || !strings.HasSuffix(h, "px") {
		t.Errorf("the iframe example's height: %q (%v); want it set by embed.js", h, err)
	}
	tb.checkClean(t)
}

// TestEmbedCodePage runs /embed/code/run/, which takes its command and scenario from the URL.
func TestEmbedCodePage(t *testing.T) {
	setup(t)
	tb := newFreshTab(t)
	ctx, cancel := context.WithTimeout(tb.ctx, 120*time.Second)
	defer cancel()
	for _, tc := range []struct {
		name, query, want string
	}{
		{"ok/on the workstation", "?on=workstation&code=" + neturl.QueryEscape(`echo "api: $vpc_api_endpoint"`), "api: https://us-south.iaas.cloud.ibm.com"},
		{"ok/service off", "?service=off&code=" + neturl.QueryEscape(`curl -s -o /dev/null -w "%{http_code}" -X PUT "$vpc_metadata_api_endpoint/identity/v1/token?version=2025-08-26" -H "Metadata-Flavor: ibm" -d '{}'`), "403"},
		{"ok/no code: the default command", "", "access_token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := env.site.URL + "/embed/code/run/" + tc.query
			tb.mu.Lock()
			tb.page = url
			tb.mu.Unlock()
			if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
				t.Fatal(err)
			}
			waitEmbedReady(t, ctx, nil, 1)
			if r := runEmbed(t, ctx, nil, 0); !strings.Contains(r.Text, tc.want) {
				t.Errorf("got %q; want it to contain %q", r.Text, tc.want)
			}
		})
	}
	tb.checkClean(t)
}

// TestEmbedUnderHostCSP puts embed.js on pages of another origin that send a
// Content-Security-Policy: with the policy the embedding page documents (the site in script-src
// and connect-src, 'wasm-unsafe-eval', and blob: workers) a block runs, in the engine's worker
// started from a blob: URL; without blob: in worker-src the block says what to add.
func TestEmbedUnderHostCSP(t *testing.T) {
	setup(t)
	host := newHostServer(t)
	body := `<!DOCTYPE html><html lang="en"><head><title>A docs site with a policy</title></head><body>
<pre data-imds>echo "from the worker: $vpc_metadata_api_endpoint"</pre>
<script src="` + env.site.URL + `/embed.js" defer></script>
</body></html>`
	base := "default-src 'self'; script-src 'self' " + env.site.URL + " 'wasm-unsafe-eval'; connect-src 'self' " + env.site.URL
	for _, tc := range []struct {
		name, csp, state, want string
	}{
		{"ok/the documented policy", base + "; worker-src blob:", "ready", "from the worker: http://api.metadata.cloud.ibm.com"},
		{"fail/no blob: workers", base, "error", "worker-src"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := host.page("/"+strings.ReplaceAll(tc.name, "/", "-")+".html", tc.csp, body)
			tb := newFreshTab(t)
			ctx, cancel := context.WithTimeout(tb.ctx, 120*time.Second)
			defer cancel()
			if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
				t.Fatal(err)
			}
			state, err := chromedp.Run(ctx, chromedp.Poll[string](`["ready", "error"].includes(document.documentElement.dataset.imdsEmbed) && document.documentElement.dataset.imdsEmbed`))
			if err != nil {
				t.Fatalf("the embed's engine never settled: %v", err)
			}
			if state != tc.state {
				status, _ := chromedp.Run(ctx, chromedp.Evaluate[string](inShadow(`sr(0).querySelector('[data-testid="status"]').textContent`)))
				t.Fatalf("the embed's engine: %s (%q); want %s", state, status, tc.state)
			}
			if tc.state == "error" {
				status, _ := chromedp.Run(ctx, chromedp.Evaluate[string](inShadow(`sr(0).querySelector('[data-testid="status"]').textContent`)))
				if !strings.Contains(status, tc.want) {
					t.Errorf("the block says %q; want it to name %s", status, tc.want)
				}
				return
			}
			if r := runEmbed(t, ctx, nil, 0); r.Exit != "0" || !strings.Contains(r.Text, tc.want) {
				t.Errorf("got exit %s, %q; want %q", r.Exit, r.Text, tc.want)
			}
			// An embedded block stops too: a busy loop, its Stop button.
			stop := inShadow(`new Promise((resolve) => {
				const e = sr(0).querySelector('[data-testid="editor"]');
				e.textContent = "while true; do :; done";
				e.dispatchEvent(new InputEvent("input", {bubbles: true}));
				sr(0).querySelector('[data-testid="run"]').click();
				setTimeout(() => {
					const o = sr(0).querySelector('[data-testid="output"]');
					new MutationObserver((_, mo) => {
						const note = o.querySelector('[data-testid="stopped"]');
						if (note && sr(0).querySelector('[data-testid="stop"]').hidden) { mo.disconnect(); resolve(note.dataset.stopped); }
					}).observe(sr(0), {subtree: true, childList: true, attributes: true});
					sr(0).querySelector('[data-testid="stop"]').click();
				}, 500);
			})`)
			if how, err := chromedp.Run(ctx, chromedp.Evaluate[string](stop, chromedp.EvalAwaitPromise)); err != nil || how != "cancelled" {
				t.Errorf("stopping an embedded busy loop: %q (%v); want cancelled", how, err)
			}
			if v, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__cspViolations`)); len(v) > 0 {
				t.Errorf("CSP violations: %q", v)
			}
		})
	}
}
