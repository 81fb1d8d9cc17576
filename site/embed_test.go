package site

import (
	"bytes"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/imdsplay/imdsplay/internal/fixture"
	"github.com/imdsplay/imdsplay/web"
)

func TestShadowCSS(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"ok/root vars", ":root{--a:#fff}@media (prefers-color-scheme:dark){:root{--a:#000}}", ".imds-root{--a:#fff}@media (prefers-color-scheme:dark){.imds-root{--a:#000}}"},
		{"ok/rem", "a{margin:0 0 1.25rem;padding:.5rem 2rem}", "a{margin:0 0 20px;padding:8px 32px}"},
		{"ok/negative and calc", "a{margin:-.25rem;width:calc(100% - 1rem)}", "a{margin:-4px;width:calc(100% - 16px)}"},
		{"ok/names kept", ".remove,.rem{x:1em}", ".remove,.rem{x:1em}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := shadowCSS(tc.in); got != tc.want {
				t.Errorf("got %q; want %q", got, tc.want)
			}
		})
	}
}

// TestEmbedBundle bundles the real web/ts/embed.ts and checks what embed.js carries, and its
// size against the budget.
func TestEmbedBundle(t *testing.T) {
	if _, err := os.Stat(filepath.Join("..", embedEntry)); err != nil {
		t.Skipf("no %s", embedEntry)
	}
	a := fixedAssets()
	a.Keys = "/assets/keys-TESTTEST.json"
	js, err := bundleEmbed("..", a)
	if err != nil {
		t.Fatal(err)
	}
	s := string(js)
	for _, want := range []string{a.Wasm, a.Worker, a.Keys, ".imds-root{", "--accent:", "imds-embed:height"} {
		if !strings.Contains(s, want) {
			t.Errorf("embed.js does not contain %q", want)
		}
	}
	css := regexp.MustCompile(`\d+(\.\d+)?rem\b|:root\b`).FindString(s)
	if css != "" {
		t.Errorf("embed.js still has %q: its stylesheet was not fitted to a shadow root", css)
	}
	if strings.Contains(s, "import ") || strings.Contains(s, "export ") {
		t.Errorf("embed.js is not a classic script (import/export found)")
	}
	br, err := brotliSize(js, 9)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("embed.js: %d bytes, %d brotli-9 (budget %d)", len(js), br, EmbedBudget)
	if br > EmbedBudget {
		t.Errorf("embed.js is %d bytes brotli; the budget is %d", br, EmbedBudget)
	}
}

// embedTestPages loads testContent as a build would have it when it writes the embed pages.
func embedTestPages(t *testing.T) (*page, []*page) {
	t.Helper()
	index, pages, err := loadPages(testContent)
	if err != nil {
		t.Fatal(err)
	}
	// renderSite fills in titles from headings, as a build does before the embed pages.
	if _, err := renderSite(fixedAssets(), index, pages); err != nil {
		t.Fatal(err)
	}
	return index, pages
}

func TestEmbedPages(t *testing.T) {
	index, pages := embedTestPages(t)
	files, err := renderEmbedPages(fixedAssets(), "/assets/embedframe-TESTTEST.css", index, pages)
	if err != nil {
		t.Fatal(err)
	}
	byURL := map[string][]byte{}
	var urls []string
	for _, f := range files {
		byURL[f.url] = f.data
		urls = append(urls, f.url)
		if f.path != strings.TrimPrefix(f.url, "/")+"index.html" {
			t.Errorf("%s written to %s", f.url, f.path)
		}
	}
	want := []string{"/embed/first/1/", "/embed/first/2/", "/embed/second/1/", "/embed/code/run/", "/embed/"}
	if strings.Join(urls, " ") != strings.Join(want, " ") {
		t.Fatalf("embed pages: got %q; want %q", urls, want)
	}

	// Block n of a frame page is block n-1 of the rendered page: same text, same place.
	site, err := renderSite(fixedAssets(), index, pages)
	if err != nil {
		t.Fatal(err)
	}
	rendered := map[string]*html.Node{}
	for _, f := range site {
		doc, err := html.Parse(bytes.NewReader(f.data))
		if err != nil {
			t.Fatal(err)
		}
		rendered[f.url] = doc
	}
	for _, tc := range []struct {
		url, page string
		n         int
	}{{"/embed/first/1/", "/first/", 1}, {"/embed/first/2/", "/first/", 2}, {"/embed/second/1/", "/second/", 1}} {
		t.Run("ok"+tc.url, func(t *testing.T) {
			doc, err := html.Parse(bytes.NewReader(byURL[tc.url]))
			if err != nil {
				t.Fatal(err)
			}
			checkHTML(t, tc.url, doc)
			if h := fixture.Find(doc, fixture.Tag("html")); h == nil || !fixture.HasAttr(h, "data-imds-frame") {
				t.Errorf("no <html data-imds-frame>")
			}
			scripts := fixture.FindAll(doc, fixture.Tag("script"))
			if len(scripts) != 1 || fixture.Attr(scripts[0], "src") != web.EmbedScript {
				t.Errorf("scripts: got %d, first src %q; want one, %s", len(scripts), fixture.Attr(fixture.Find(doc, fixture.Tag("script")), "src"), web.EmbedScript)
			}
			blocks := fixture.FindAll(rendered[tc.page], fixture.TestID("live-block"))
			b := blocks[tc.n-1]
			pre := fixture.Find(doc, fixture.TestID("embed-block"))
			if pre == nil || !fixture.HasAttr(pre, "data-imds") {
				t.Fatalf("no <pre data-imds data-testid=embed-block>")
			}
			if got, want := fixture.Text(pre), fixture.Attr(fixture.Find(b, fixture.TestID("editor")), "data-source"); got != want {
				t.Errorf("block text:\n got %q\nwant %q", got, want)
			}
			if got, want := fixture.Attr(pre, "data-imds-on"), fixture.Attr(b, "data-on"); got != want {
				t.Errorf("data-imds-on: got %q; want %q", got, want)
			}
			setup := fixture.FindAll(doc, func(n *html.Node) bool { return fixture.HasAttr(n, "data-imds-setup") })
			if len(setup) != tc.n-1 {
				t.Errorf("setup blocks: got %d; want %d", len(setup), tc.n-1)
			}
			for i, s := range setup {
				if got, want := fixture.Text(s), fixture.Attr(fixture.Find(blocks[i], fixture.TestID("editor")), "data-source"); got != want {
					t.Errorf("setup %d text: got %q; want %q", i, got, want)
				}
			}
			if a := fixture.Find(doc, fixture.Class("embed-from")); a == nil || fixture.Attr(fixture.Find(a, fixture.Tag("a")), "href") != tc.page {
				t.Errorf("no link back to %s", tc.page)
			}
		})
	}

	code, _ := html.Parse(bytes.NewReader(byURL["/embed/code/run/"]))
	if pre := fixture.Find(code, fixture.TestID("embed-block")); pre == nil || !fixture.HasAttr(pre, "data-imds-code") || fixture.Text(pre) != defaultCode {
		t.Errorf("/embed/code/run/: no <pre data-imds-code> holding the default command")
	}
	list, _ := html.Parse(bytes.NewReader(byURL["/embed/"]))
	var hrefs []string
	for _, a := range fixture.FindAll(fixture.Find(list, fixture.Tag("article")), fixture.Tag("a")) {
		hrefs = append(hrefs, fixture.Attr(a, "href"))
	}
	if got := strings.Join(hrefs, " "); got != "/embed/first/1/ /embed/first/2/ /embed/second/1/" {
		t.Errorf("/embed/ links: got %q", got)
	}
}

func TestEmbedPagesErrors(t *testing.T) {
	index, pages, err := loadPages(fstest.MapFS{
		"index.md": {Data: []byte("# Home\n")},
		"a.md":     {Data: []byte("---\nslug: index\n---\n# A\n")},
	})
	if err == nil {
		_, err = renderEmbedPages(fixedAssets(), "", index, pages)
	}
	if err == nil || !strings.Contains(err.Error(), "reserved") {
		t.Errorf("got %v; want the slug index refused as reserved", err)
	}
}

func TestEmbedFence(t *testing.T) {
	t.Setenv("IMDS_SITE_URL", "https://play.example.org/")
	for _, tc := range []struct {
		name, info, src string
		kind            string // "" when the block is not an embed example
		err             string
	}{
		{"ok/embed", "html embed", "<script src=\"{{origin}}/embed.js\" defer></script>\n<pre data-imds data-imds-service=\"off\">\ncurl -s \"$x\" &amp;&amp; echo &lt;ok&gt;\n</pre>", "script", ""},
		{"ok/embed without the script", "html embed", "<imds-example on=\"workstation\">ibmcloud is instances</imds-example>", "script", ""},
		{"ok/iframe", "html iframe", `<iframe src="{{origin}}/embed/first/1/" title="t" height="400"></iframe>`, "iframe", ""},
		{"ok/snippet", "html snippet", "frame-src {{origin}}; connect-src {{origin}}", "snippet", ""},
		{"ok/not ours", "html", "<p>x</p>", "", ""},
		{"ok/not ours either", "sh", "echo", "", ""},
		{"fail/embed without a block", "html embed", `<script src="{{origin}}/embed.js"></script>`, "", "no <pre data-imds>"},
		{"fail/embed with another script", "html embed", "<script src=\"https://cdn.example/x.js\"></script><pre data-imds>echo</pre>", "", "only script"},
		{"fail/iframe elsewhere", "html iframe", `<iframe src="https://elsewhere.example/"></iframe>`, "", "must frame a page under"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, ok, err := embedFence(tc.info, tc.src)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v; want an error containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ok != (tc.kind != "") {
				t.Fatalf("ok: got %v; want %v", ok, tc.kind != "")
			}
			if !ok {
				return
			}
			var b bytes.Buffer
			if err := c.Render(t.Context(), &b); err != nil {
				t.Fatal(err)
			}
			doc, err := html.Parse(&b)
			if err != nil {
				t.Fatal(err)
			}
			fig := fixture.Find(doc, fixture.TestID("embed-example"))
			if fixture.Attr(fig, "data-kind") != tc.kind {
				t.Errorf("data-kind: got %q; want %q", fixture.Attr(fig, "data-kind"), tc.kind)
			}
			snippet := fixture.Find(fig, fixture.TestID("embed-snippet"))
			wantShown := strings.ReplaceAll(tc.src, originPlaceholder, "https://play.example.org")
			if got := fixture.Text(snippet); got != wantShown {
				t.Errorf("snippet shown:\n got %q\nwant %q", got, wantShown)
			}
			if n := strings.Count(tc.src, originPlaceholder); len(fixture.FindAll(snippet, func(n *html.Node) bool { return fixture.HasAttr(n, "data-imds-origin") })) != n {
				t.Errorf("want %d origin spans", n)
			}
			if b := fixture.Find(fig, func(n *html.Node) bool { return fixture.Attr(n, "data-imds-copy") == fixture.Attr(snippet, "id") }); b == nil || fixture.Attr(snippet, "id") == "" {
				t.Errorf("no Copy button for the snippet")
			}
			live := fixture.Find(fig, fixture.TestID("embed-live"))
			if tc.kind == "snippet" {
				if live != nil {
					t.Errorf("a snippet is shown only, but it has live markup")
				}
				return
			}
			if got, want := renderChildren(t, live), normalizeHTML(t, liveMarkup(tc.src)); got != want {
				t.Errorf("live markup:\n got %s\nwant %s", got, want)
			}
			// The shown snippet, with the origin taken out, is the live markup.
			if got, want := normalizeHTML(t, strings.ReplaceAll(fixture.Text(snippet), "https://play.example.org", "")), renderChildren(t, live); got != want {
				t.Errorf("shown snippet and live markup differ:\n shown %s\n  live %s", got, want)
			}
		})
	}
}

// normalizeHTML parses a fragment in a <div> and renders it back, so that two spellings of the
// same markup compare equal.
func normalizeHTML(t *testing.T, s string) string {
	t.Helper()
	ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(s), ctx)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, n := range nodes {
		if err := html.Render(&b, n); err != nil {
			t.Fatal(err)
		}
	}
	return strings.TrimSpace(b.String())
}

// renderChildren renders n's children.
func renderChildren(t *testing.T, n *html.Node) string {
	t.Helper()
	if n == nil {
		return "<nil>"
	}
	var b bytes.Buffer
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if err := html.Render(&b, c); err != nil {
			t.Fatal(err)
		}
	}
	return strings.TrimSpace(b.String())
}

// TestEmbeddingPage builds the repository's content and checks the page for docs authors: each
// example's snippet is its live markup, the iframes it shows exist, and the headers a framing
// site meets are the ones netlify.toml promises.
func TestEmbeddingPage(t *testing.T) {
	if _, err := os.Stat("../content/embedding.md"); err != nil {
		t.Skip("no content/embedding.md")
	}
	if _, err := os.Stat(filepath.Join("..", embedEntry)); err != nil {
		t.Skipf("no %s", embedEntry)
	}
	t.Setenv("IMDS_SITE_URL", "https://play.example.org")
	res, out := buildTest(t, os.DirFS("../content"), "..")
	if res.EmbedBytes == 0 || res.EmbedBrotli == 0 || res.EmbedBrotli > EmbedBudget {
		t.Errorf("embed.js: %d bytes, %d brotli; want a script within %d", res.EmbedBytes, res.EmbedBrotli, EmbedBudget)
	}
	doc := parseFile(t, filepath.Join(out, "embedding", "index.html"))
	examples := fixture.FindAll(doc, fixture.TestID("embed-example"))
	kinds := map[string]int{}
	for i, x := range examples {
		kind := fixture.Attr(x, "data-kind")
		kinds[kind]++
		live := fixture.Find(x, fixture.TestID("embed-live"))
		if live == nil {
			continue
		}
		shown := strings.ReplaceAll(fixture.Text(fixture.Find(x, fixture.TestID("embed-snippet"))), "https://play.example.org", "")
		if got, want := renderChildren(t, live), normalizeHTML(t, shown); got != want {
			t.Errorf("example %d (%s): the live markup is not the snippet shown:\n live %s\nshown %s", i, kind, got, want)
		}
		for _, f := range fixture.FindAll(live, fixture.Tag("iframe")) {
			src := fixture.Attr(f, "src")
			if _, err := os.Stat(filepath.Join(out, filepath.FromSlash(src), "index.html")); err != nil {
				t.Errorf("example %d frames %s, which was not built", i, src)
			}
		}
	}
	if kinds["script"] == 0 || kinds["iframe"] == 0 || kinds["snippet"] == 0 {
		t.Errorf("examples by kind: %v; want script, iframe and snippet examples", kinds)
	}

	if b, _ := os.ReadFile(filepath.Join(out, "embedding", "index.html")); bytes.Contains(b, []byte(originPlaceholder)) {
		t.Errorf("the embedding page shows %s: it is only replaced inside html embed|iframe|snippet blocks", originPlaceholder)
	}

	// Every path of the build, and a few that are not, gets the site's policy, and only the
	// embed pages may be framed by another site, whichever way Netlify merges the two rules
	// that set their policy (see netlify_test.go).
	cfg := repoNetlify(t)
	paths := []string{"/embed", "/embed/", "/embed.js", "/embed/x", "/a/b/c/d/e", "/assets", "/EMBED/X/1/"}
	paths = append(paths, res.Pages...)
	paths = append(paths, res.EmbedPages...)
	isEmbed := map[string]bool{"/EMBED/X/1/": true}
	for _, p := range res.EmbedPages {
		isEmbed[p] = p != "/embed/" // the list of embeds is a page of the site
	}
	for _, p := range paths {
		for _, m := range []merge{laterWins, joined} {
			prod, _ := productionHeaders(cfg, p, m)
			if !sitePolicy(prod) {
				t.Errorf("%s (%s): no site policy: %q", p, m, prod.Values("Content-Security-Policy"))
			}
			if got := framedByOthers(prod); got != isEmbed[p] {
				t.Errorf("%s (%s): may be framed by another site: %v; want %v", p, m, got, isEmbed[p])
			}
		}
	}

	h := NewHandler(out, cfg)
	get := func(p string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		return rec
	}
	frame := res.EmbedPages[0]
	for _, tc := range []struct {
		name, path, header, want string
	}{
		{"ok/frame may be framed by anyone", frame, "Content-Security-Policy", "frame-ancestors *"},
		{"ok/code page may be framed", "/embed/code/run/", "Content-Security-Policy", "frame-ancestors *"},
		{"ok/frame revalidates", frame, "Cache-Control", "no-cache"},
		{"ok/docs page only by the site", "/embedding/", "X-Frame-Options", "SAMEORIGIN"},
		{"ok/list only by the site", "/embed/", "X-Frame-Options", "SAMEORIGIN"},
		{"ok/embed.js readable anywhere", "/embed.js", "Access-Control-Allow-Origin", "*"},
		{"ok/embed.js revalidates", "/embed.js", "Cache-Control", "no-cache"},
		{"ok/embed.js is a script", "/embed.js", "Content-Type", "text/javascript"},
		{"ok/worker readable anywhere", res.Assets.Worker, "Access-Control-Allow-Origin", "*"},
		{"ok/assets cached for a year", res.Assets.Worker, "Cache-Control", "immutable"},
		{"ok/frame css cached", frameCSSURL(t, out), "Cache-Control", "immutable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(tc.path)
			if rec.Code != 200 {
				t.Fatalf("GET %s: %d", tc.path, rec.Code)
			}
			if got := rec.Header().Get(tc.header); !strings.Contains(got, tc.want) {
				t.Errorf("GET %s: %s = %q; want it to contain %q", tc.path, tc.header, got, tc.want)
			}
			if got, want := framedByOthers(rec.Header()), strings.HasPrefix(tc.path, "/embed/") && tc.path != "/embed/"; got != want {
				t.Errorf("GET %s: may be framed by another site: %v; want %v", tc.path, got, want)
			}
		})
	}
}

// frameCSSURL finds the frame pages' hashed stylesheet in a build.
func frameCSSURL(t *testing.T, out string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(out, assetsDir, "embedframe-*.css"))
	if len(m) != 1 {
		t.Fatalf("frame stylesheets: %v", m)
	}
	return fmt.Sprintf("/%s/%s", assetsDir, filepath.Base(m[0]))
}
