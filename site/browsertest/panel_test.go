//go:build !js

package browsertest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"

	"github.com/imdsplay/imdsplay/permalink/stdflate"
)

// The instance panel, memory, permalinks, the version switch, copy as curl and the request
// history, driven as a reader would. These tests share the browser (and so its localStorage)
// with the others; each starts by forgetting what earlier tests saved.

// eval evaluates a JS expression in the tab (awaiting a Promise) and returns its value.
func eval[T any](t *testing.T, tb *tab, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %.80s: %v", expr, err)
	}
	return v
}

// waitFor polls a JS predicate until it holds.
func (tb *tab) waitFor(t *testing.T, what, predicate string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](predicate)); err != nil {
		t.Fatalf("waiting for %s (%s): %v", what, predicate, err)
	}
}

// waitReload waits for a navigation the page starts itself to end with the predicate true:
// while the old document goes, evaluating fails, so failures are retried until the deadline.
func (tb *tab) waitReload(t *testing.T, what, predicate string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](predicate))
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s (%s): %v", what, predicate, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// click clicks the element with that data-testid (the first, or inside scope when set).
func (tb *tab) click(t *testing.T, testid string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-testid=%q]`, testid)))); err != nil {
		t.Fatalf("click %s: %v", testid, err)
	}
}

// choose sets a <select> (by data-testid) as a reader picking an option does.
func (tb *tab) choose(t *testing.T, testid, value string) {
	t.Helper()
	eval[chromedp.Void](t, tb, fmt.Sprintf(`(() => {
		const s = document.querySelector('[data-testid=%q]');
		s.value = %q;
		s.dispatchEvent(new Event("change", {bubbles: true}));
	})()`, testid, value))
}

// forget removes everything the site saved in this browser, from a page that runs no script
// of the site (so nothing saves it again meanwhile).
func (tb *tab) forget(t *testing.T) {
	t.Helper()
	if err := chromedp.Do(tb.ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(tb.ctx, storage.ClearDataForOrigin, storage.ClearDataForOriginParams{Origin: env.site.URL, StorageTypes: "local_storage"}); err != nil {
		t.Fatal(err)
	}
}

// putStored writes the site's localStorage entries from a page of the site whose scripts are
// off. A live page saves its session whenever a snapshot finishes, so an entry written from a
// live page can be saved over before the next load reads it.
func (tb *tab) putStored(t *testing.T, entries map[string]string) {
	t.Helper()
	scripts := func(off bool) {
		if _, err := chromedp.Call(tb.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: off}); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(tb.ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	scripts(true)
	defer scripts(false)
	if err := chromedp.Do(tb.ctx, chromedp.Navigate(env.site.URL+"/")); err != nil {
		t.Fatal(err)
	}
	for k, v := range entries {
		eval[chromedp.Void](t, tb, fmt.Sprintf(`localStorage.setItem(%s, %s)`, jsArg(k), jsArg(v)))
	}
}

// run sets block i's text and runs it.
func (tb *tab) run(t *testing.T, i int, text string) blockResult {
	t.Helper()
	tb.setEditor(t, i, text)
	return tb.runBlock(t, i)
}

// editorText is block i's text as shown.
func (tb *tab) editorText(t *testing.T, i int) string {
	t.Helper()
	return eval[string](t, tb, fmt.Sprintf(`document.querySelector(%q).querySelector('[data-testid="editor"]').innerText`, blockSel(i)))
}

// openLive opens path and waits for the panel too: the page is ready first, and the panel is
// wired in the task after.
func (tb *tab) openLive(t *testing.T, path string) {
	t.Helper()
	tb.open(t, path)
	tb.waitFor(t, "the panel", panelLive)
}

// panelLive holds once the runtime has shown the panel's controls.
const panelLive = `document.querySelector('[data-testid="panel-live"]')?.hidden === false`

// testPage is the first page with a workstation block and an instance block, found once.
var testPage struct {
	path                  string
	workstation, instance int
}

// pickPage opens the test page with nothing saved.
func (tb *tab) pickPage(t *testing.T) (path string, w, i int) {
	t.Helper()
	tb.forget(t)
	if testPage.path == "" {
		testPage.path, testPage.workstation, testPage.instance = tb.firstBlocks(t)
		tb.forget(t)
	}
	tb.openLive(t, testPage.path)
	return testPage.path, testPage.workstation, testPage.instance
}

const (
	tokenCmd = `curl -s -X PUT "$vpc_metadata_api_endpoint/identity/v1/token?version=2025-08-26" -H "Metadata-Flavor: ibm" -d '{}'`
	showCmd  = `ibmcloud is instance my-virtual-server-2 --output json | jq -c '{status, metadata_service}'`
)

// TestPanel flips the panel's controls and checks that `ibmcloud is instance` shows each
// change and the next curl obeys it, that a CLI change shows in the panel, and that the
// Activity Tracker view lists the session's events newest first.
func TestPanel(t *testing.T) {
	setup(t)
	tb := newTab(t)
	_, w, i := tb.pickPage(t)
	if got := eval[string](t, tb, `document.querySelector('[data-testid="panel-status"]').textContent`); got != "running" {
		t.Errorf("panel status: got %q; want running", got)
	}
	// The controls waited in their <template> through DOMContentLoaded (web/panel.templ says
	// why) and are in the page once, the template gone.
	if n := eval[int](t, tb, `window.__formControlsAtDCL ?? -1`); n != 0 {
		t.Errorf("form controls in the page at DOMContentLoaded: got %d; want 0 (-1: not recorded)", n)
	}
	if got := eval[string](t, tb, `document.querySelectorAll('[data-testid="panel-live"]').length + " live, " + document.querySelectorAll('template[data-testid="panel-live-template"]').length + " templates"`); got != "1 live, 0 templates" {
		t.Errorf("panel mounted: got %s; want 1 live, 0 templates", got)
	}

	// Service off: the CLI shows it, the token request gets 403.
	tb.click(t, "panel-enabled")
	tb.waitFor(t, "the service disabled", `imds.state().instance.metadata_service.enabled === false`)
	if r := tb.run(t, w, showCmd); !strings.Contains(r.Text, `"enabled":false`) {
		t.Errorf("ibmcloud is instance after the toggle: got %q; want enabled false", r.Text)
	}
	if r := tb.run(t, i, tokenCmd); !r.hasExchange("PUT", "/identity/v1/token", "403") {
		t.Errorf("token request with the service off: got %v; want 403", r.Exchanges)
	}
	tb.click(t, "panel-enabled")

	// Stopped: the CLI says so, the instance reaches nothing, and the hint says why.
	tb.click(t, "panel-stop")
	tb.waitFor(t, "the instance stopped", `document.querySelector('[data-testid="panel-status"]').textContent === "stopped"`)
	if r := tb.run(t, w, showCmd); !strings.Contains(r.Text, `"status":"stopped"`) {
		t.Errorf("ibmcloud is instance after Stop: got %q; want status stopped", r.Text)
	}
	r := tb.run(t, i, tokenCmd)
	if r.Exit != "7" || len(r.Hints) == 0 || !strings.Contains(r.Hints[0], "stopped") {
		t.Errorf("token request while stopped: got exit %s, hints %q; want curl's 7 and the stopped hint", r.Exit, r.Hints)
	}
	tb.click(t, "panel-start")
	tb.waitFor(t, "the instance running", `imds.state().instance.status === "running"`)

	// Where commands run: two hops with a hop limit of 1 loses the answer; a limit of 2 is enough.
	tb.choose(t, "panel-hops", "2")
	tb.waitFor(t, "two hops", `imds.state().hops === 2`)
	if r := tb.run(t, i, tokenCmd+` --max-time 3`); r.Exit != "28" {
		t.Errorf("two hops, hop limit 1: got exit %s; want curl's 28", r.Exit)
	}
	eval[chromedp.Void](t, tb, `(() => {
		const n = document.querySelector('[data-testid="panel-hop-limit"]');
		n.value = "2";
		n.dispatchEvent(new Event("change", {bubbles: true}));
	})()`)
	tb.waitFor(t, "hop limit 2", `imds.state().instance.metadata_service.response_hop_limit === 2`)
	if r := tb.run(t, i, tokenCmd); !r.hasExchange("PUT", "/identity/v1/token", "200") {
		t.Errorf("two hops, hop limit 2: got %v; want 200", r.Exchanges)
	}

	// The CLI changes the world, and the panel follows without a reload.
	if r := tb.run(t, w, `ibmcloud is instance-update my-virtual-server-2 --metadata-service-protocol https >/dev/null`); r.Exit != "0" {
		t.Fatalf("instance-update: exit %s: %s", r.Exit, r.Text)
	}
	tb.waitFor(t, "the panel to show https", `document.querySelector('[data-testid="panel-protocol"]').checked === true`)
	if r := tb.run(t, i, tokenCmd); r.Exit != "7" {
		t.Errorf("plain http with secure access on: got exit %s; want curl's 7", r.Exit)
	}
	tb.click(t, "panel-protocol")
	tb.waitFor(t, "http again", `imds.state().instance.metadata_service.protocol === "http"`)

	// Profiles: unlink one from the panel.
	eval[chromedp.Void](t, tb, `document.querySelector('[data-testid="panel-linked"]:checked').click()`)
	tb.waitFor(t, "an unlinked profile", `imds.state().profiles.filter((p) => p.linked).length === 1`)

	// Activity Tracker: newest first, with action, outcome, initiator and time, as text.
	events := eval[[]map[string]string](t, tb, `Array.from(document.querySelectorAll('[data-testid="event"]'), (e) => ({
		action: e.querySelector('[data-testid="event-action"]').textContent,
		outcome: e.querySelector('[data-testid="event-outcome"]').textContent,
		initiator: e.querySelector('[data-testid="event-initiator"]').textContent,
		time: e.querySelector("time").getAttribute("datetime"),
	}))`)
	if len(events) < 5 {
		t.Fatalf("got %d events in the panel; want the session's (at least 5)", len(events))
	}
	// The last call that reached a service was the CLI's update (the plain-http token request
	// after it was refused before any service saw it; the panel's changes are not API calls).
	if events[0]["action"] != "is.instance.instance.update" || events[0]["outcome"] != "success" || !strings.Contains(events[0]["initiator"], "@") {
		t.Errorf("newest event: got %v; want the CLI's instance update by the operator", events[0])
	}
	sawToken := false
	for _, ev := range events {
		if strings.Contains(ev["action"], "token") {
			sawToken = ev["initiator"] == "by my-virtual-server-2" && ev["outcome"] == "success"
			break
		}
	}
	if !sawToken {
		t.Errorf("events %v: want the newest token event a success from the instance", events)
	}
	for _, ev := range events {
		if ev["action"] == "" || ev["outcome"] == "" || ev["initiator"] == "" || ev["time"] == "" {
			t.Errorf("event %v lacks a field", ev)
		}
	}
	for k := 1; k < len(events); k++ {
		if events[k]["time"] > events[k-1]["time"] {
			t.Errorf("events not newest first: %s after %s", events[k]["time"], events[k-1]["time"])
			break
		}
	}
	tb.checkClean(t)
}

// TestCopyAsCurlAndHistory: a request in the output copies as a curl command (values spelled
// out, or the session's variables kept) that sends the same request again; the history lists
// the page's requests newest first and re-runs one.
func TestCopyAsCurlAndHistory(t *testing.T) {
	setup(t)
	tb := newTab(t)
	_, _, i := tb.pickPage(t)
	r := tb.run(t, i, `tok=$(curl -s -X PUT "$vpc_metadata_api_endpoint/identity/v1/token?version=2025-08-26" -H "Metadata-Flavor: ibm" -d '{"expires_in": 600}' | jq -r .access_token)
curl -s "$vpc_metadata_api_endpoint/metadata/v1/instance?version=2025-08-26" -H "Authorization: Bearer $tok" | jq -r .name`)
	if r.Exit != "0" || len(r.Exchanges) != 2 {
		t.Fatalf("got exit %s, exchanges %v: %s", r.Exit, r.Exchanges, r.Text)
	}
	curlOf := func() string {
		return eval[string](t, tb, fmt.Sprintf(`%s(document.querySelector(%q).querySelectorAll('[data-testid="curl"]')[1])`, wholeTextJS, blockSel(i)))
	}
	expanded := curlOf()
	if !strings.Contains(expanded, "'http://api.metadata.cloud.ibm.com/metadata/v1/instance?version=2025-08-26'") || !strings.Contains(expanded, "Bearer eyJ") {
		t.Errorf("copy as curl, expanded: got %q", expanded)
	}
	eval[chromedp.Void](t, tb, fmt.Sprintf(`document.querySelector(%q).querySelectorAll('[data-testid="curl-keep-vars"]')[1].click()`, blockSel(i)))
	kept := curlOf()
	if want := `curl "$vpc_metadata_api_endpoint/metadata/v1/instance?version=2025-08-26" \` + "\n" + `  -H "Authorization: Bearer $tok"`; kept != want {
		t.Errorf("copy as curl, variables kept: got %q; want %q", kept, want)
	}
	eval[chromedp.Void](t, tb, fmt.Sprintf(`document.querySelector(%q).querySelectorAll('[data-testid="copy-curl"]')[1].click()`, blockSel(i)))
	tb.waitFor(t, "the copy status", fmt.Sprintf(`document.querySelector(%q).querySelectorAll('[data-testid="copy-status"]')[1].textContent !== ""`, blockSel(i)))
	// Both copies, pasted into the block, send the same request and get the same answer.
	for _, cmd := range []string{expanded, kept} {
		if r := tb.run(t, i, cmd+" | jq -r .name"); r.Exit != "0" || !r.hasExchange("GET", "/metadata/v1/instance?version=2025-08-26", "200") || !strings.Contains(r.Text, "my-virtual-server-2") {
			t.Errorf("running the copy %q: got exit %s, exchanges %v", cmd, r.Exit, r.Exchanges)
		}
	}

	// History: newest first; Re-run sends the request again and shows the answer.
	items := eval[[]string](t, tb, `Array.from(document.querySelectorAll('[data-testid="history-item"] .history-line'), (l) => l.textContent)`)
	if len(items) != 4 || !strings.HasPrefix(items[0], "GET") || !strings.HasPrefix(items[3], "PUT") {
		t.Fatalf("history: got %q; want 4 requests, the last GET first, the PUT last", items)
	}
	eval[chromedp.Void](t, tb, `document.querySelectorAll('[data-testid="history-item"]')[3].querySelector('[data-testid="history-rerun"]').click()`)
	tb.waitFor(t, "the re-run's result", `["ok", "error"].includes(document.querySelectorAll('[data-testid="history-item"]')[4]?.querySelector('[data-testid="history-output"]').dataset.state)`)
	rerun := eval[map[string]string](t, tb, `(() => {
		const o = document.querySelectorAll('[data-testid="history-item"]')[4].querySelector('[data-testid="history-output"]');
		return {exit: o.querySelector('[data-testid="exit"]')?.dataset.exit ?? "", status: o.querySelector('[data-testid="exchange"]')?.dataset.status ?? "", newest: document.querySelector('[data-testid="history-item"]').dataset.method};
	})()`)
	if rerun["exit"] != "0" || rerun["status"] != "200" || rerun["newest"] != "PUT" {
		t.Errorf("re-run of the token request: got %v; want exit 0, 200, and the new PUT first in the history", rerun)
	}
	tb.checkClean(t)
}

// TestMemory: a reload keeps the world, the page's edited blocks and the variables; a damaged
// saved entry is ignored with a warning; Reset forgets everything.
func TestMemory(t *testing.T) {
	setup(t)
	tb := newTab(t)
	path, w, i := tb.pickPage(t)
	tb.run(t, i, `remembered=hello-memory`)
	tb.click(t, "panel-enabled")
	slug := eval[string](t, tb, `document.querySelector('meta[name="imds-page"]').content`)
	pageKey := "imdsplay.page." + slug
	if slug == "" {
		pageKey += "index"
	}
	tb.waitFor(t, "the world saved", `JSON.parse(localStorage.getItem("imdsplay.world") ?? "null")?.world.scenario.instances[0].metadata_service.enabled === false`)
	tb.waitFor(t, "the variable saved", `JSON.parse(localStorage.getItem("imdsplay.vars") ?? "null")?.vars?.instance?.remembered === "hello-memory"`)
	edited := tb.editorText(t, i)

	tb.openLive(t, path) // a reload
	if got := tb.editorText(t, i); got != edited {
		t.Errorf("after reload block %d shows %q; want the edited %q", i, got, edited)
	}
	if on := eval[bool](t, tb, `document.querySelector('[data-testid="panel-enabled"]').checked`); on {
		t.Error("after reload the panel shows the service enabled; want it still disabled")
	}
	if r := tb.run(t, i, `echo "$remembered"`); !strings.Contains(r.Text, "hello-memory") {
		t.Errorf("after reload $remembered: got %q; want hello-memory", r.Text)
	}

	// Two tabs: each writes whole entries; the last write wins and both stay readable.
	other := newTab(t)
	other.openLive(t, path)
	other.click(t, "panel-enabled") // back on, in the second tab
	other.waitFor(t, "the second tab's save", `JSON.parse(localStorage.getItem("imdsplay.world") ?? "null")?.world.scenario.instances[0].metadata_service.enabled === true`)
	tb.openLive(t, path)
	if on := eval[bool](t, tb, `imds.state().instance.metadata_service.enabled`); !on {
		t.Error("after the second tab enabled the service, a reload of the first shows it disabled; want the last write")
	}
	other.checkClean(t)

	// A damaged entry is ignored: the page starts as documented, with a warning, not an error.
	tb.putStored(t, map[string]string{"imdsplay.world": "{not json", pageKey: fmt.Sprintf(`{"v": 1, "page": %q, "blocks": "nope", "vars": {}}`, slug)})
	tb.openLive(t, path)
	if got := tb.editorText(t, i); got != eval[string](t, tb, fmt.Sprintf(`document.querySelector(%q).querySelector('[data-testid="editor"]').dataset.source`, blockSel(i))) {
		t.Errorf("with a damaged saved page, block %d shows %q; want the documented text", i, got)
	}

	// Reset: asks twice, then forgets everything and reloads as documented.
	tb.run(t, w, `ibmcloud is instance-update my-virtual-server-2 --metadata-service false >/dev/null`)
	tb.waitFor(t, "the world saved", `JSON.parse(localStorage.getItem("imdsplay.world") ?? "null")?.world.scenario.instances[0].metadata_service.enabled === false`)
	tb.click(t, "reset-all")
	if armed := eval[string](t, tb, `document.querySelector('[data-testid="reset-all"]').dataset.armed ?? ""`); armed != "true" {
		t.Fatalf("the first click on Reset did not ask for confirmation")
	}
	tb.click(t, "reset-all")
	tb.waitReload(t, "the reload after Reset", `document.documentElement.dataset.imdsReady === "true" && imds.state().instance.metadata_service.enabled === true && `+panelLive)
	if n := eval[int](t, tb, `Object.keys(localStorage).filter((k) => k.startsWith("imdsplay.") && !localStorage.getItem(k).includes('"enabled":true')).length`); n != 0 {
		t.Errorf("after Reset %d saved entries remain that are not the fresh state", n)
	}
	if edited := eval[int](t, tb, `document.querySelectorAll('[data-testid="live-block"][data-edited]').length`); edited != 0 {
		t.Errorf("after Reset %d blocks are still edited", edited)
	}
	tb.checkClean(t)
}

// TestPermalink: Share puts the page's edited blocks and the instance's settings in the URL
// fragment; the link opened in a fresh browser profile restores them exactly. A damaged link
// opens the page with a message, never broken.
func TestPermalink(t *testing.T) {
	setup(t)
	tb := newTab(t)
	path, _, i := tb.pickPage(t)
	const edited = "echo 'shared ✓ \"quoted\"'\ncurl -s \"$vpc_metadata_api_endpoint/metadata/v1/instance?version=2024-11-12\" | head -c 1"
	tb.setEditor(t, i, edited)
	eval[chromedp.Void](t, tb, `(() => {
		const n = document.querySelector('[data-testid="panel-hop-limit"]');
		n.value = "5";
		n.dispatchEvent(new Event("change", {bubbles: true}));
	})()`)
	tb.waitFor(t, "hop limit 5", `imds.state().instance.metadata_service.response_hop_limit === 5`)
	tb.click(t, "share")
	tb.waitFor(t, "the link", `document.querySelector('[data-testid="share-url"]').value.includes("#imds=v2.")`)
	link := eval[string](t, tb, `document.querySelector('[data-testid="share-url"]').value`)
	if addr := eval[string](t, tb, `location.href`); addr != link {
		t.Errorf("the address bar shows %q; want the link %q", addr, link)
	}
	if !strings.HasPrefix(link, env.site.URL+path+"#imds=v2.") {
		t.Fatalf("got link %q; want %s%s#imds=v2.…", link, env.site.URL, path)
	}
	t.Logf("permalink: %d characters", len(link))
	// The browser's DEFLATE and Go's compress/flate speak the same format: the link the page
	// made decodes natively, to the edited block and the settings.
	native, err := stdflate.Decode(link[strings.Index(link, "#"):])
	if err != nil {
		t.Fatalf("decoding the browser's link natively: %v", err)
	}
	if len(native.Blocks) != 1 || native.Blocks[0].Index != i || native.Blocks[0].Text != edited || native.Scenario == nil || native.Scenario.HopLimit != 5 {
		t.Errorf("the browser's link decodes natively to %+v; want block %d edited and hop limit 5", native, i)
	}

	// A fresh profile: nothing saved, nothing shared but the link.
	chromium, err := FindChromium()
	if err != nil {
		t.Skip(err)
	}
	fresh, stop, err := NewBrowser(chromium)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ftab := &tab{ctx: fresh}
	ctx, cancel := context.WithTimeout(fresh, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(link)); err != nil {
		t.Fatal(err)
	}
	ftab.waitFor(t, "ready", `document.documentElement.dataset.imdsReady === "true" && `+panelLive)
	if got := ftab.editorText(t, i); got != edited {
		t.Errorf("the link restored block %d as %q; want %q", i, got, edited)
	}
	if n := eval[int](t, ftab, `imds.state().instance.metadata_service.response_hop_limit`); n != 5 {
		t.Errorf("the link restored hop limit %d; want 5", n)
	}
	if status := eval[string](t, ftab, `document.querySelector('[data-testid="share-status"]').textContent`); !strings.Contains(status, "shared link") {
		t.Errorf("share status: got %q; want a note that the page came from a shared link", status)
	}
	if r := ftab.runBlock(t, i); !strings.Contains(r.Text, `shared ✓ "quoted"`) {
		t.Errorf("running the restored block: got %q", r.Text)
	}

	// A damaged link: the page opens as documented and says why.
	if err := chromedp.Do(ctx, chromedp.Navigate(env.site.URL+path+"#imds=v2.not-really-deflate")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	ftab.waitFor(t, "ready", `document.documentElement.dataset.imdsReady === "true" && `+panelLive)
	status := eval[string](t, ftab, `document.querySelector('[data-testid="share-status"]').textContent`)
	if !strings.Contains(status, "could not be opened") || !strings.Contains(status, "damaged") {
		t.Errorf("a damaged link: got status %q; want it explained", status)
	}
	tb.checkClean(t)
}

// TestVersionSwitch: the switch rewrites the version date of every block, in the editors, and
// the requests use it: /instance_identity answers up to 2025-08-25 and is gone from 2025-08-26.
func TestVersionSwitch(t *testing.T) {
	setup(t)
	tb := newTab(t)
	_, _, i := tb.pickPage(t)
	old := `curl -s -X PUT "$vpc_metadata_api_endpoint/instance_identity/v1/token?version=2024-11-12" -H "Metadata-Flavor: ibm" -d '{}' | jq -c '{expires_in, errors}'`
	if r := tb.run(t, i, old); !r.hasExchange("PUT", "/instance_identity/v1/token?version=2024-11-12", "200") {
		t.Fatalf("the old path with 2024-11-12: got %v; want 200", r.Exchanges)
	}
	tb.choose(t, "version-switch", "2025-08-26")
	tb.waitFor(t, "the switch applied", fmt.Sprintf(`document.querySelector(%q).querySelector('[data-testid="editor"]').innerText.includes("version=2025-08-26")`, blockSel(i)))
	r := tb.runBlock(t, i)
	if !r.hasExchange("PUT", "/instance_identity/v1/token?version=2025-08-26", "404") {
		t.Errorf("the old path with 2025-08-26: got %v; want 404", r.Exchanges)
	}
	// Every block shows the date, but those that demonstrate one (data-fixed-version).
	others := eval[[]string](t, tb, `Array.from(document.querySelectorAll('[data-testid="live-block"]:not([data-fixed-version]) [data-testid="editor"]'), (e) => e.innerText).filter((t) => /version=(?!2025-08-26)\d{4}-\d{2}-\d{2}/.test(t))`)
	if len(others) != 0 {
		t.Errorf("blocks still holding another version date: %q", others)
	}
	tb.choose(t, "version-switch", "2022-03-01")
	tb.waitFor(t, "the switch applied", fmt.Sprintf(`document.querySelector(%q).querySelector('[data-testid="editor"]').innerText.includes("version=2022-03-01")`, blockSel(i)))
	if r := tb.runBlock(t, i); !r.hasExchange("PUT", "/instance_identity/v1/token?version=2022-03-01", "200") {
		t.Errorf("the old path with 2022-03-01: got %v; want 200", r.Exchanges)
	}
	// As written: unedited blocks show their documented text again.
	tb.choose(t, "version-switch", "")
	tb.waitFor(t, "the documented dates back", `Array.from(document.querySelectorAll('[data-testid="live-block"]:not([data-edited]) [data-testid="editor"]')).every((e) => e.textContent === e.dataset.source)`)
	tb.checkClean(t)
}
