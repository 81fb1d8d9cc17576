//go:build !js

package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/imdsplay/imdsplay/site/browsertest"
)

// tokenScript is the first command of the identity token page.
const tokenScript = `curl -s -X PUT "http://api.metadata.cloud.ibm.com/instance_identity/v1/token?version=2025-04-22" -H "Metadata-Flavor: ibm" -d '{}'`

// certScript is the seed page's certificate flow: a 4096-bit key and CSR, a token, and the CSR
// sent to the certificates endpoint.
const certScript = `openssl req -sha256 -newkey rsa:4096 -subj '/C=US' -out ./sslcert.csr -keyout file.key -nodes
instance_identity_token=$(curl -s -X PUT "$vpc_metadata_api_endpoint/instance_identity/v1/token?version=2024-11-12" -H "Metadata-Flavor: ibm" -d '{}' | jq -r .access_token)
csr=$(awk 'NF {sub(/\r/, ""); printf "%s\\n",$0;}' sslcert.csr)
curl -s -X POST "$vpc_metadata_api_endpoint/instance_identity/v1/certificates?version=2024-11-12" -H "Authorization: Bearer $instance_identity_token" -d "{\"csr\": \"$csr\"}" | jq -r '.certificates | length'`

// measurer runs visits in one browser.
type measurer struct {
	browser context.Context
	site    *browsertest.Site
	verbose bool
}

// visit is what one first visit reports, in ms since navigation start.
type visit struct {
	Ready   float64                `json:"ready"`
	Marks   map[string]float64     `json:"marks"`
	Long    []browsertest.LongTask `json:"long"`
	Frames  []longFrame            `json:"frames"`
	Files   []string               `json:"files"` // the page's scripts and styles: requested → received (ms)
	Token   float64                `json:"-"`
	TokenGo float64                `json:"-"`
}

// steps lists a playground visit's boot marks, for -v.
func (v visit) steps() string {
	var b strings.Builder
	for _, k := range []string{"imds-engine-start", "imds-worker-started", "imds-wasm-received", "imds-wasm-compiled", "imds-wasm-instantiated", "imds-go-started", "imds-keys", "imds-engine-ready", "imds-ready"} {
		if ms, ok := v.Marks[k]; ok {
			fmt.Fprintf(&b, "%s %.0f, ", strings.TrimPrefix(k, "imds-"), ms)
		}
	}
	return strings.TrimSuffix(b.String(), ", ")
}

// tab opens a tab in a browser context of its own: its own storage and an empty HTTP cache, as
// a private window on a first visit (so the cache is as good as off for the visit's one load of
// each file). It records long tasks from the first script on. Some DevTools domains chromedp
// turns on for every tab are turned off again, and workers are not attached: CSS tracking slows
// the page's style and layout, and Network keeps a copy of every body (the engine's 16 MB),
// which no reader's browser does. (DOM stays on: chromedp finds the page's frames with it.)
// The floor is measured the same way.
func (m *measurer) tab() (context.Context, context.CancelFunc, error) {
	ctx, cancel := chromedp.NewContext(m.browser, chromedp.WithNewBrowserContext())
	err := chromedp.Do(ctx)
	if err == nil {
		_, err = chromedp.Call(ctx, target.SetAutoAttach, target.SetAutoAttachParams{AutoAttach: false})
	}
	if err == nil {
		_, err = chromedp.Call(ctx, css.Disable, cdp.Empty{})
	}
	if err == nil {
		_, err = chromedp.Call(ctx, network.Disable, cdp.Empty{})
	}
	if err == nil {
		_, err = chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: browsertest.LongTaskScript + "\n" + framesScript})
	}
	if err != nil {
		cancel()
		return nil, nil, err
	}
	return ctx, cancel, nil
}

// framesScript records the long animation frames (Long Animation Frames API) in
// window.__longFrames, each as what -v prints: when, how long, how much of it was style and
// layout, and its longest scripts by source and function. A long task says that the thread was
// busy; its frame says with what.
const framesScript = `window.__longFrames = [];
try {
	new PerformanceObserver((list) => {
		for (const e of list.getEntries()) {
			const render = e.renderStart ? e.startTime + e.duration - e.renderStart : 0;
			const scripts = e.scripts.filter((s) => s.duration >= 5).map((s) =>
				Math.round(s.duration) + " ms " + (s.sourceURL.split("/").pop() || s.invoker) + ":" + (s.sourceFunctionName || s.invoker) +
				(s.forcedStyleAndLayoutDuration >= 5 ? " (forced style/layout " + Math.round(s.forcedStyleAndLayoutDuration) + " ms)" : ""));
			window.__longFrames.push({start: e.startTime, ms: e.duration, render, scripts});
		}
	}).observe({type: "long-animation-frame", buffered: true});
} catch (e) {
	window.__longFrames = null;
}`

// longFrame is one entry of window.__longFrames.
type longFrame struct {
	Start   float64  `json:"start"`
	Ms      float64  `json:"ms"`
	Render  float64  `json:"render"`
	Scripts []string `json:"scripts"`
}

// String is the frame as -v prints it.
func (f longFrame) String() string {
	s := fmt.Sprintf("at %.0f: %.0f ms, style/layout/paint %.0f ms", f.Start, f.Ms, f.Render)
	if len(f.Scripts) > 0 {
		s += "; " + strings.Join(f.Scripts, ", ")
	}
	return "[" + s + "]"
}

// readVisitJS reads a visit's marks, long tasks and long frames.
const readVisitJS = `(() => {
	const marks = {};
	for (const e of performance.getEntriesByType("mark")) marks[e.name] = e.startTime;
	const files = performance.getEntriesByType("resource").filter((e) => /\.(js|css)$/.test(e.name)).map((e) =>
		e.name.split("/").pop().replace(/-[A-Z0-9]{8}\./, ".") + " " + Math.round(e.startTime) + "→" + Math.round(e.responseEnd));
	return {ready: marks["imds-ready"] ?? -1, marks, long: window.__longTasks ?? [], frames: window.__longFrames ?? [], files};
})()`

// firstVisit loads url in a fresh browser context (an empty cache) and waits for
// data-imds-ready; for the playground (engine) it also times the first identity token.
func (m *measurer) firstVisit(url string, engine bool) (visit, error) {
	ctx, cancel, err := m.tab()
	if err != nil {
		return visit{}, err
	}
	defer cancel()
	tctx, tcancel := context.WithTimeout(ctx, 90*time.Second)
	defer tcancel()
	if err := open(tctx, url); err != nil {
		return visit{}, err
	}
	v, err := chromedp.Run(tctx, chromedp.Evaluate[visit](readVisitJS))
	if err != nil || !engine {
		return v, err
	}
	rt, err := runInPage(tctx, tokenScript)
	if err != nil {
		return v, err
	}
	if rt.Exit != 0 || !strings.Contains(rt.Stdout, "access_token") {
		return v, fmt.Errorf("the token request failed: exit %d, stdout %q, stderr %q", rt.Exit, rt.Stdout, rt.Stderr)
	}
	v.Token, v.TokenGo = rt.Ms, rt.GoMs
	// The frames the page drew meanwhile too: what the first token waited for.
	v.Frames, err = chromedp.Run(tctx, chromedp.Evaluate[[]longFrame](`window.__longFrames ?? []`))
	return v, err
}

// open loads url in the tab and waits until it is ready (<html data-imds-ready>).
func open(ctx context.Context, url string) error {
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return err
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](`document.documentElement.dataset.imdsReady === "true"`)); err != nil {
		line, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.Evaluate[string](`document.querySelector('[data-testid="loading"]')?.textContent ?? ""`))
		return fmt.Errorf("%s: waiting for data-imds-ready: %w (loading line: %q)", url, err, line)
	}
	return nil
}

// runTiming is what one scripted run in the page reports.
type runTiming struct {
	Ms     float64 `json:"ms"`
	GoMs   float64 `json:"goMs"` // the run itself, as the engine timed it (the rest is waiting)
	Exit   int     `json:"exit"`
	Stdout string  `json:"stdout"`
	Stderr string  `json:"stderr"`
}

// runInPage runs script in the page's instance session and times it with the page's clock.
func runInPage(ctx context.Context, script string) (runTiming, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[runTiming](fmt.Sprintf(`(async () => {
		const s = imds.newSession({on: "instance"});
		const t0 = performance.now();
		const r = await s.run(%q);
		return {ms: performance.now() - t0, goMs: r.ms, exit: r.exit, stdout: r.stdout, stderr: r.stderr};
	})()`, script), chromedp.EvalAwaitPromise))
}

// clickJS clicks the sidebar's link to %q and returns the moment, in ms since the epoch.
const clickJS = `(() => {
	const a = document.querySelector('[data-testid="sidebar"] a[href=%q]');
	if (!a) throw new Error("no sidebar link to %[1]s");
	const t = performance.timeOrigin + performance.now();
	a.click();
	return t;
})()`

// readyAtJS is when the page at %q said it was ready, in ms since the epoch.
const readyAtJS = `(() => {
	if (document.documentElement.dataset.imdsPageReady !== %q) return 0;
	const m = performance.getEntriesByName("imds-page-ready");
	return m.length ? performance.timeOrigin + m[m.length - 1].startTime : 0;
})()`

// click follows the sidebar's link to path and returns how long until that page said it was
// ready. The click may load a new document or swap the content in; either way the page marks
// the moment (imds-page-ready).
func click(ctx context.Context, path string) (float64, error) {
	t0, err := chromedp.Run(ctx, chromedp.Evaluate[float64](fmt.Sprintf(clickJS, path)))
	if err != nil {
		return 0, err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		// A new document replaces the old one meanwhile: evaluating fails until it exists.
		at, err := chromedp.Run(ctx, chromedp.Evaluate[float64](fmt.Sprintf(readyAtJS, path)))
		if err == nil && at > 0 {
			return at - t0, nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%s never said it was ready (%v)", path, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pageToPage opens the first page in a browser context of its own with the cache on, then
// clicks through the sidebar to every other page in reading order, as a reader does.
func (m *measurer) pageToPage() ([]float64, error) {
	ctx, cancel, err := m.tab()
	if err != nil {
		return nil, err
	}
	defer cancel()
	pages := m.site.Build.Pages
	if err := open(ctx, m.site.URL+pages[0]); err != nil {
		return nil, err
	}
	var ms []float64
	for _, p := range pages[1:] {
		d, err := click(ctx, p)
		if err != nil {
			return nil, err
		}
		if m.verbose {
			fmt.Fprintf(os.Stderr, "click → %s ready: %.0f ms\n", p, d)
		}
		ms = append(ms, d)
	}
	return ms, nil
}

// busyResult is what the page reports while a block runs a busy loop.
type busyResult struct {
	FPS      float64                `json:"fps"`
	Scrolled bool                   `json:"scrolled"`
	Long     []browsertest.LongTask `json:"long"`
	LinkMs   float64                `json:"-"`
	StopMs   float64                `json:"-"`
}

// busyJS starts a busy loop in the page's first instance block and, from the second frame after
// the block shows it running, watches the page for 10 s: animation frames, a scroll every
// second, and the long tasks that start meanwhile.
const busyJS = `new Promise((resolve, reject) => {
	const b = document.querySelector('[data-testid="live-block"][data-on="instance"]');
	const e = b.querySelector('[data-testid="editor"]');
	e.textContent = "while true; do :; done";
	e.dispatchEvent(new InputEvent("input", {bubbles: true}));
	b.querySelector('[data-testid="run"]').click();
	const out = b.querySelector('[data-testid="output"]');
	const running = () => out.dataset.state === "running" ? requestAnimationFrame(() => requestAnimationFrame(watch)) : setTimeout(running, 50);
	running();
	function watch() {
	const t0 = performance.now(), until = t0 + 10000;
	let frames = 0, scrolled = true, next = t0 + 1000;
	const tick = () => {
		frames++;
		const now = performance.now();
		if (now >= next) {
			next += 1000;
			const y = scrollY;
			scrollBy(0, y > 200 ? -200 : 200);
			scrolled = scrolled && scrollY !== y;
		}
		if (now < until) return requestAnimationFrame(tick);
		if (b.querySelector('[data-testid="output"]').dataset.state !== "running") return reject(new Error("the loop is not running"));
		resolve({fps: frames / ((now - t0) / 1000), scrolled, long: window.__longTasks.filter((t) => t.start >= t0)});
	};
	requestAnimationFrame(tick);
	}
})`

// busyLoop runs a busy loop for 10 s on url and watches the page; then, the loop still running,
// follows a link to the next page; then, on a fresh load, times a Stop of the same loop.
func (m *measurer) busyLoop(url string) (busyResult, error) {
	ctx, cancel, err := m.tab()
	if err != nil {
		return busyResult{}, err
	}
	defer cancel()
	tctx, tcancel := context.WithTimeout(ctx, 120*time.Second)
	defer tcancel()
	if err := open(tctx, url); err != nil {
		return busyResult{}, err
	}
	// The page first settles (the panels are drawn after ready): what follows is the command's.
	time.Sleep(2 * time.Second)
	r, err := chromedp.Run(tctx, chromedp.Evaluate[busyResult](busyJS, chromedp.EvalAwaitPromise))
	if err != nil {
		return r, err
	}
	next, err := chromedp.Run(tctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="sidebar"] a[aria-current] ')?.parentElement.nextElementSibling?.querySelector("a")?.getAttribute("href") ?? "/"`))
	if err != nil {
		return r, err
	}
	if r.LinkMs, err = click(tctx, next); err != nil {
		return r, err
	}
	// Stop: the loop again, on the page the link led to.
	stop, err := chromedp.Run(tctx, chromedp.Evaluate[float64](`new Promise((resolve) => {
		const b = document.querySelector('[data-testid="live-block"][data-on="instance"]');
		const e = b.querySelector('[data-testid="editor"]');
		e.textContent = "while true; do :; done";
		e.dispatchEvent(new InputEvent("input", {bubbles: true}));
		b.querySelector('[data-testid="run"]').click();
		setTimeout(() => {
			const t0 = performance.now();
			new MutationObserver((_, mo) => {
				if (!b.hasAttribute("aria-busy")) { mo.disconnect(); resolve(performance.now() - t0); }
			}).observe(b, {attributes: true});
			b.querySelector('[data-testid="stop"]').click();
		}, 1000);
	})`, chromedp.EvalAwaitPromise))
	r.StopMs = stop
	return r, err
}

// certificates times the certificate flow in fresh tabs, and in each the floor of its cost: a
// bare WebCrypto rsa:4096 key generation, which the flow's openssl does first.
func (m *measurer) certificates(url string, n int) (flows, keygens []float64, err error) {
	for i := range n {
		ctx, cancel, err := m.tab()
		if err != nil {
			return nil, nil, err
		}
		tctx, tcancel := context.WithTimeout(ctx, 120*time.Second)
		flow, keygen, err := func() (float64, float64, error) {
			if err := open(tctx, url); err != nil {
				return 0, 0, err
			}
			keygen, err := chromedp.Run(tctx, chromedp.Evaluate[float64](`(async () => {
				const t0 = performance.now();
				await crypto.subtle.generateKey({name: "RSASSA-PKCS1-v1_5", modulusLength: 4096, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256"}, true, ["sign"]);
				return performance.now() - t0;
			})()`, chromedp.EvalAwaitPromise))
			if err != nil {
				return 0, 0, err
			}
			rt, err := runInPage(tctx, certScript)
			if err != nil {
				return 0, 0, err
			}
			if rt.Exit != 0 || strings.TrimSpace(rt.Stdout) != "2" {
				return 0, 0, fmt.Errorf("exit %d, stdout %q, stderr %q", rt.Exit, rt.Stdout, rt.Stderr)
			}
			return rt.Ms, keygen, nil
		}()
		tcancel()
		cancel()
		if err != nil {
			return nil, nil, fmt.Errorf("run %d: %w", i+1, err)
		}
		if m.verbose {
			fmt.Fprintf(os.Stderr, "certificate flow %d: %.0f ms (keygen alone %.0f ms)\n", i+1, flow, keygen)
		}
		flows, keygens = append(flows, flow), append(keygens, keygen)
	}
	return flows, keygens, nil
}
