//go:build !js

package browsertest

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// markup is what an attacker would like the page to run or render: it must come back as text.
const markup = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b data-injected>bold</b>`

// TestInjectedMarkupStaysText puts markup and script into an edited block, into what the shell
// prints on stdout and stderr, into a service answer (the echoed nonce), into an error message
// (an unknown property's name) and into the URL fragment, and checks that none of it becomes an
// element or runs: everything user- or service-provided is rendered as text.
func TestInjectedMarkupStaysText(t *testing.T) {
	setup(t)
	tb := newTab(t)
	path, _, inst := tb.firstBlocks(t)
	// Other tests share this browser's saved state; start from the default world.
	if _, err := chromedp.Run(tb.ctx, chromedp.Evaluate[chromedp.Void](
		`imds.configure({enabled: true, protocol: "http", hopLimit: 1, status: "running", hops: 1}).then(() => undefined)`,
		chromedp.EvalAwaitPromise)); err != nil {
		t.Fatal(err)
	}
	script := strings.Join([]string{
		`echo '` + markup + `'`,
		`echo '` + markup + `' >&2`,
		`curl -s -X PUT "$vpc_metadata_api_endpoint/identity/v1/token?version=2025-08-26" -H "Metadata-Flavor: ibm" -d '{"nonce": "<img src=x onerror=window.__pwned=3>"}' | jq -r .nonce`,
		`curl -s -X PUT "$vpc_metadata_api_endpoint/identity/v1/token?version=2025-08-26" -H "Metadata-Flavor: ibm" -d '{"<script>window.__pwned=4</script>": 1}'`,
	}, "\n")
	tb.setEditor(t, inst, script)
	r := tb.runBlock(t, inst)
	for _, want := range []string{`<img src=x onerror="window.__pwned=1">`, `<img src=x onerror=window.__pwned=3>`, "unknown_field"} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("output does not show %q as text:\n%s", want, r.Text)
		}
	}
	tb.checkNoInjection(t)

	// The fragment: a share link made of markup must be refused as text, not rendered.
	tb.checkClean(t)
	fresh := newTab(t)
	fresh.open(t, path+"#imds="+`%3Cimg%20src%3Dx%20onerror%3D%22window.__pwned%3D5%22%3E`)
	fresh.checkNoInjection(t)
}

// checkNoInjection fails when an injected element exists anywhere in the page or a payload ran.
func (tb *tab) checkNoInjection(t *testing.T) {
	t.Helper()
	type verdict struct {
		Pwned    any `json:"pwned"`
		Elements int `json:"elements"`
	}
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[verdict](`({
		pwned: window.__pwned ?? null,
		elements: document.querySelectorAll('img[src="x"], b[data-injected], [onerror]').length
			+ Array.from(document.scripts).filter((s) => s.textContent.includes("__pwned")).length,
	})`))
	if err != nil {
		t.Fatal(err)
	}
	if v.Pwned != nil || v.Elements != 0 {
		t.Fatalf("injected markup became live: pwned=%v, injected elements=%d", v.Pwned, v.Elements)
	}
}
