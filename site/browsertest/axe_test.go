//go:build !js

package browsertest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// axeVersion is the axe-core the accessibility test runs: npm's package, installed once into
// the user's cache directory (or $AXE_CORE, the path of an axe.min.js).
const axeVersion = "4.14.1"

// axeJustified are the moderate and minor findings the playground keeps, each with why. A
// finding of these impacts that is not here fails the test, as every serious or critical one
// does.
var axeJustified = map[string]string{
	// None: every moderate finding (heading-order in outputs, landmark-unique on /embedding/)
	// was fixed.
}

// axeScript returns the source of axe.min.js, installing it with npm when needed. Without npm
// the test skips, unless IMDS_REQUIRE_BROWSER=1.
var axeScript = sync.OnceValues(func() (string, error) {
	path := os.Getenv("AXE_CORE")
	if path == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return "", err
		}
		dir := filepath.Join(cache, "imdsplay", "axe-core-"+axeVersion)
		path = filepath.Join(dir, "node_modules", "axe-core", "axe.min.js")
		if _, err := os.Stat(path); err != nil {
			if _, err := exec.LookPath("npm"); err != nil {
				return "", fmt.Errorf("no axe-core and no npm to install it (set $AXE_CORE to an axe.min.js)")
			}
			out, err := exec.Command("npm", "install", "--no-audit", "--no-fund", "--prefix", dir, "axe-core@"+axeVersion).CombinedOutput()
			if err != nil {
				return "", fmt.Errorf("npm install axe-core@%s: %v\n%s", axeVersion, err, out)
			}
		}
		var pkg struct{ Version string }
		b, err := os.ReadFile(filepath.Join(filepath.Dir(path), "package.json"))
		if err == nil {
			err = json.Unmarshal(b, &pkg)
		}
		if err != nil || pkg.Version != axeVersion {
			return "", fmt.Errorf("%s: want axe-core %s, found %q (%v)", path, axeVersion, pkg.Version, err)
		}
	}
	b, err := os.ReadFile(path)
	return string(b), err
})

// axeViolation is one rule axe found broken, with the elements that break it.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Nodes  []string `json:"nodes"`
}

// runAxeJS runs axe over the document and lists its violations. Rules that need a person
// ("incomplete") are not failures.
const runAxeJS = `axe.run(document, {resultTypes: ["violations"]}).then((r) => r.violations.map((v) => ({
	id: v.id, impact: v.impact ?? "",
	nodes: v.nodes.map((n) => n.target.join(" ") + ": " + (n.failureSummary ?? "").replace(/\s+/g, " ").slice(0, 160)),
})))`

// look is one of the ways a page is looked at: a colour scheme and a viewport.
type look struct {
	scheme string
	w, h   int64
}

// looks are the schemes and sizes the page is checked in: light and dark, desktop and phone.
var looks = []look{{"light", 1280, 800}, {"dark", 1280, 800}, {"light", 390, 844}, {"dark", 390, 844}}

// TestAccessibility runs axe-core over every page, before and after running all its blocks,
// in light and dark, at a desktop's size and a phone's: no critical or serious finding, and
// no moderate or minor one that axeJustified does not explain. The counts per rule are logged.
func TestAccessibility(t *testing.T) {
	setup(t)
	src, err := axeScript()
	if err != nil {
		if os.Getenv("IMDS_REQUIRE_BROWSER") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	tb := newFreshTab(t)
	counts := map[string]int{} // "when impact rule" → elements
	check := func(p, when string) {
		t.Helper()
		if _, err := chromedp.Run(tb.ctx, chromedp.Evaluate[chromedp.Void](`typeof axe === "undefined" ? (0, eval)(`+jsString(src)+`) : undefined`)); err != nil {
			t.Fatalf("%s: injecting axe: %v", p, err)
		}
		for _, l := range looks {
			if _, err := chromedp.Call(tb.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: l.scheme}},
			}); err != nil {
				t.Fatal(err)
			}
			tb.viewport(t, l.w, l.h)
			// Two frames, so that the new media and size are laid out and painted, then the end of
			// the transitions they started (the sidebar's current link fades to the scheme's
			// colours): axe reads colours as they are at one instant.
			eval[chromedp.Void](t, tb, `new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))).then(() => Promise.all(document.getAnimations().filter((a) => a instanceof CSSTransition).map((a) => a.finished)))`)
			vs := eval[[]axeViolation](t, tb, runAxeJS)
			for _, v := range vs {
				counts[fmt.Sprintf("%s %s %s", when, v.Impact, v.ID)] += len(v.Nodes)
				where := fmt.Sprintf("%s %s, %s %dx%d", p, when, l.scheme, l.w, l.h)
				switch {
				case v.Impact == "critical" || v.Impact == "serious":
					t.Errorf("%s: %s %s on %d elements: %s", where, v.Impact, v.ID, len(v.Nodes), strings.Join(v.Nodes[:min(3, len(v.Nodes))], "; "))
				case axeJustified[v.ID] == "":
					t.Errorf("%s: %s %s on %d elements, not justified in axeJustified: %s", where, v.Impact, v.ID, len(v.Nodes), strings.Join(v.Nodes[:min(3, len(v.Nodes))], "; "))
				}
			}
		}
	}
	for _, p := range env.site.Build.Pages {
		tb.open(t, p)
		tb.waitFor(t, "the panel", panelLive)
		check(p, "before")
		for i := range tb.blockCount(t) {
			tb.runBlock(t, i)
		}
		check(p, "after")
		tb.checkClean(t)
	}
	var keys []string
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("axe %s: %d elements", k, counts[k])
	}
	t.Logf("axe-core %s over %d pages × %d looks, before and after running every block: %d kinds of finding", axeVersion, len(env.site.Build.Pages), len(looks), len(keys))
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
