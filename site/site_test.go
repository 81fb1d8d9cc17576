package site

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"flag"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
	"golang.org/x/net/html"

	"github.com/imdsplay/imdsplay/internal/fixture"
	"github.com/imdsplay/imdsplay/internal/wasmdata"
	"github.com/imdsplay/imdsplay/web"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

const fence = "```"

// testContent is a small site exercising every markdown feature the
// generator treats specially.
var testContent = fstest.MapFS{
	"index.md": {Data: []byte("---\ntitle: Welcome\nsummary: The home page.\n---\n\nStart with [the first page](01-first.md).\n")},
	"01-first.md": {Data: []byte(`---
title: "First: the basics"
order: 1
summary: Live blocks, static blocks, tables and links.
---

Intro paragraph with ` + "`code`" + ` and a link to [the second page](second.md#details).

## Get a token

` + fence + `sh
instance_identity_token=$(curl -s -X PUT "$vpc_metadata_api_endpoint/identity/v1/token?version=2025-01-01" \
  -H "Metadata-Flavor: ibm" -d '{"expires_in": 3600}' | jq -r .access_token)
echo "$instance_identity_token" | cut -d. -f2  # the claims
` + fence + `

` + fence + `sh on=workstation
ibmcloud is instance-update "$id" --metadata-service-enabled true
` + fence + `

` + fence + `sh static
curl -H "Authorization: Bearer INSTANCE_TOKEN" <<DOC
body & <tags>
DOC
` + fence + `

` + fence + `json
{"access_token": "eyJ...", "expires_in": 300, "ok": true, "n": null}
` + fence + `

| Field | Meaning |
|-------|---------|
| ` + "`expires_in`" + ` | seconds, 5 to 3600 |

    indented code
`)},
	"second.md": {Data: []byte(`---
title: Second
order: 2
---

# Second, with its own heading

## Details {#details}

` + fence + `sh
echo 'a "quoted" <string> & more'
printf '%s\n' "tab	inside"

` + fence + `

<figure class="diagram"><svg viewBox="0 0 10 10" role="img" aria-label="a box"><rect class="box" width="10" height="10"/></svg></figure>

Back to the [overview](/) or [first page](01-first.md).
`)},
}

// stubRoot makes a repository root with tiny runtime, worker and boot entry points and either
// the real stylesheet or a stub one, so builds do not depend on web/ts and
// golden output does not change with every CSS edit.
func stubRoot(t *testing.T, realCSS bool) string {
	t.Helper()
	root := t.TempDir()
	css := []byte("body { color: black }\n")
	if realCSS {
		var err error
		if css, err = os.ReadFile("../web/css/site.css"); err != nil {
			t.Fatal(err)
		}
	}
	write(t, filepath.Join(root, styleEntry), css)
	write(t, filepath.Join(root, scriptEntry), []byte("const ready: boolean = true;\nexport {};\nconsole.log(ready);\n"))
	write(t, filepath.Join(root, workerEntry), []byte("const worker: boolean = true;\nconsole.log(worker);\n"))
	write(t, filepath.Join(root, bootEntry), []byte("const boot: boolean = true;\nconsole.log(boot);\n"))
	return root
}

func write(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// buildTest builds content with SkipWasm into a fresh directory.
func buildTest(t *testing.T, content fs.FS, root string) (*Result, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "public")
	var log bytes.Buffer
	res, err := Build(context.Background(), Options{Out: out, Content: content, Root: root, Log: &log, SkipWasm: true})
	if err != nil {
		t.Fatalf("Build: %v\nlog:\n%s", err, log.String())
	}
	return res, out
}

func TestBuildTestContent(t *testing.T) {
	res, out := buildTest(t, testContent, stubRoot(t, true))
	want := []string{"/", "/first/", "/second/"}
	if strings.Join(res.Pages, " ") != strings.Join(want, " ") {
		t.Errorf("pages: got %q; want %q", res.Pages, want)
	}
	if res.LiveBlocks != 3 {
		t.Errorf("live blocks: got %d; want 3", res.LiveBlocks)
	}
	checkSite(t, out, testContent)

	doc := parseFile(t, filepath.Join(out, "first", "index.html"))
	blocks := fixture.FindAll(doc, fixture.TestID("live-block"))
	if len(blocks) != 2 {
		t.Fatalf("live blocks on /first/: got %d; want 2", len(blocks))
	}
	for i, wantOn := range []string{"instance", "workstation"} {
		if got := fixture.Attr(blocks[i], "data-on"); got != wantOn {
			t.Errorf("block %d data-on: got %q; want %q", i, got, wantOn)
		}
		if got := fixture.Attr(blocks[i], "data-index"); got != strconv.Itoa(i) {
			t.Errorf("block %d data-index: got %q; want %d", i, got, i)
		}
		for _, id := range []string{"run", "reset", "editor", "output"} {
			if fixture.Find(blocks[i], fixture.TestID(id)) == nil {
				t.Errorf("block %d: no data-testid=%q", i, id)
			}
		}
	}
	if got := fixture.Text(fixture.Find(blocks[0], fixture.Class("place"))); got != "on the instance" {
		t.Errorf("place label: got %q; want %q", got, "on the instance")
	}
	if got := fixture.Text(fixture.Find(blocks[1], fixture.Class("place"))); got != "on your workstation" {
		t.Errorf("place label: got %q; want %q", got, "on your workstation")
	}
	// The static block, the JSON and the indented block are shown, not live.
	codes := fixture.FindAll(doc, fixture.Class("code"))
	if len(codes) != 3 {
		t.Fatalf("code blocks: got %d; want 3 (sh static, json, indented)", len(codes))
	}
	if got := fixture.Text(codes[0]); !strings.Contains(got, "body & <tags>") {
		t.Errorf("static block text: got %q", got)
	}
	if fixture.Find(codes[1], fixture.Class("tok-key")) == nil || fixture.Find(codes[1], fixture.Class("tok-lit")) == nil {
		t.Errorf("json block is not highlighted")
	}
	if fixture.Find(blocks[0], fixture.Class("tok-var")) == nil || fixture.Find(blocks[0], fixture.Class("tok-cmd")) == nil {
		t.Errorf("sh block is not highlighted")
	}
	// Titles, headings, anchors, the instance panel and the loading line.
	if got := fixture.Text(fixture.Find(doc, fixture.Tag("title"))); got != "First: the basics · imdsplay" {
		t.Errorf("title: got %q", got)
	}
	// The "#" link to a heading is beside it, not in it (the heading's name is its text), and
	// is named for the section rather than read as "#".
	if h := fixture.Find(doc, fixture.ID("get-a-token")); h == nil || fixture.Find(h, fixture.Class("anchor")) != nil {
		t.Errorf("heading get-a-token has no id, or an anchor inside it")
	} else if a := fixture.Find(h.Parent, fixture.Class("anchor")); a == nil || fixture.Attr(a, "href") != "#get-a-token" ||
		!strings.Contains(fixture.Attr(a, "aria-label"), fixture.Text(h)) {
		t.Errorf("heading get-a-token: got anchor %v; want a link to #get-a-token beside it, named for the section", a)
	}
	if fixture.Find(doc, fixture.TestID("instance-panel")) == nil || fixture.Find(doc, fixture.TestID("loading")) == nil {
		t.Errorf("no instance panel or loading line")
	}
	if tbl := fixture.Find(doc, fixture.Tag("table")); tbl == nil {
		t.Errorf("GFM table not rendered")
	} else if fixture.Attr(tbl, "tabindex") != "0" {
		t.Errorf("table: got tabindex %q; want 0 (a table that scrolls must be reachable by keyboard)", fixture.Attr(tbl, "tabindex"))
	}
	second := parseFile(t, filepath.Join(out, "second", "index.html"))
	if n := len(fixture.FindAll(second, fixture.Tag("h1"))); n != 1 {
		t.Errorf("/second/ has %d h1; want 1 (its own)", n)
	}
	if p := fixture.Find(second, fixture.TestID("prev")); fixture.Attr(p, "href") != "/first/" {
		t.Errorf("/second/ prev link: got %q; want /first/", fixture.Attr(p, "href"))
	}
	if n := fixture.Find(second, fixture.TestID("next")); n != nil {
		t.Errorf("/second/ is last but has a next link")
	}
	if cur := fixture.Find(second, func(n *html.Node) bool { return fixture.Attr(n, "aria-current") == "page" }); fixture.Attr(cur, "href") != "/second/" {
		t.Errorf("sidebar does not mark /second/ current")
	}
	// SkipWasm: no wasm meta, but the worker is there.
	if fixture.Meta(second, "imds-wasm") != "" || fixture.Meta(second, "imds-worker") == "" {
		t.Errorf("SkipWasm: want imds-worker and no imds-wasm")
	}
	index := parseFile(t, filepath.Join(out, "index.html"))
	if got := len(fixture.FindAll(fixture.Find(index, fixture.TestID("page-list")), fixture.Tag("li"))); got != 2 {
		t.Errorf("index lists %d pages; want 2", got)
	}
	notFound := parseFile(t, filepath.Join(out, "404.html"))
	if fixture.Find(notFound, fixture.TestID("not-found")) == nil {
		t.Errorf("404.html has no not-found message")
	}
}

// TestBuildRealContent builds the repository's own content/ when it exists.
func TestBuildRealContent(t *testing.T) {
	mds, _ := filepath.Glob("../content/*.md")
	if len(mds) == 0 {
		t.Skip("no content/*.md yet")
	}
	if _, err := os.Stat(filepath.Join("..", scriptEntry)); err != nil {
		t.Skipf("no %s yet", scriptEntry)
	}
	content := os.DirFS("../content")
	res, out := buildTest(t, content, "..")
	want := len(mds)
	if !hasIndex(mds) {
		want++ // the generated index
	}
	if len(res.Pages) != want {
		t.Errorf("pages: got %d for %d files", len(res.Pages), len(mds))
	}
	checkSite(t, out, content)
	t.Logf("%d pages, %d live blocks", len(res.Pages), res.LiveBlocks)

	// What the course's blocks need from the blocks above them, as a reader arriving in the
	// middle of a page relies on (the browser tests run some of them that way).
	for _, c := range []struct {
		page  string
		block int // from 1
		attr  string
		want  string
	}{
		{"identity-token", 2, "data-sets", "identity_token"},
		{"identity-token", 3, "data-reads", "identity_token"},
		{"certificates", 4, "data-files-in", "sslcert.csr"},
		{"certificates", 5, "data-reads", "csr identity_token"},
		{"iam-token", 7, "data-reads", "iam_token"}, // on the instance; the workstation has its own
	} {
		doc := parseFile(t, filepath.Join(out, c.page, "index.html"))
		b := fixture.Find(doc, fixture.ID("block-"+strconv.Itoa(c.block)))
		if b == nil {
			t.Errorf("/%s/: no block %d", c.page, c.block)
			continue
		}
		if got := fixture.Attr(b, c.attr); got != c.want {
			t.Errorf("/%s/ block %d %s: got %q; want %q", c.page, c.block, c.attr, got, c.want)
		}
	}
}

func hasIndex(mds []string) bool {
	for _, m := range mds {
		if filepath.Base(m) == "index.md" {
			return true
		}
	}
	return false
}

func TestBuildErrors(t *testing.T) {
	root := stubRoot(t, false)
	for _, tc := range []struct {
		name    string
		content fstest.MapFS
		want    string
	}{
		{"fail/broken link", fstest.MapFS{"a.md": {Data: []byte("# A\n\n[x](missing.md)\n")}}, "link to missing.md: no such page"},
		{"fail/unknown fence word", fstest.MapFS{"a.md": {Data: []byte("# A\n\n" + fence + "sh on=workstaton\nls\n" + fence + "\n")}}, `unknown word "on=workstaton"`},
		{"fail/fixed date not in block", fstest.MapFS{"a.md": {Data: []byte("# A\n\n" + fence + "sh fixed-version=2025-08-25\ncurl \"$u?version=2025-08-26\"\n" + fence + "\n")}}, "fixed-version=2025-08-25: the block has no version=2025-08-25"},
		{"fail/fixed block without dates", fstest.MapFS{"a.md": {Data: []byte("# A\n\n" + fence + "sh fixed-version\nls\n" + fence + "\n")}}, "fixed-version: the block has no version= to keep"},
		{"fail/no title", fstest.MapFS{"a.md": {Data: []byte("text\n")}}, "no title"},
		{"fail/duplicate slug", fstest.MapFS{"01-a.md": {Data: []byte("# A\n")}, "a.md": {Data: []byte("# A\n")}}, `slug "a" is also used`},
		{"fail/bad order", fstest.MapFS{"a.md": {Data: []byte("---\norder: first\n---\n# A\n")}}, "not an integer"},
		{"fail/unknown key", fstest.MapFS{"a.md": {Data: []byte("---\nauthor: me\n---\n# A\n")}}, `unknown front matter key "author"`},
		{"fail/unclosed front matter", fstest.MapFS{"a.md": {Data: []byte("---\ntitle: A\n")}}, "not closed"},
		{"fail/bad slug", fstest.MapFS{"a.md": {Data: []byte("---\nslug: Not OK\n---\n# A\n")}}, "slug"},
		{"fail/no pages", fstest.MapFS{"a.txt": {Data: []byte("x")}}, "no *.md files"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(context.Background(), Options{Out: filepath.Join(t.TempDir(), "p"), Content: tc.content, Root: root, SkipWasm: true})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v; want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestBuildMissingWasm(t *testing.T) {
	_, err := Build(context.Background(), Options{Out: filepath.Join(t.TempDir(), "p"), Content: testContent, Root: stubRoot(t, false)})
	if err == nil || !strings.Contains(err.Error(), "no ./wasm package") || !strings.Contains(err.Error(), "SkipWasm") {
		t.Errorf("got %v; want a clear error naming ./wasm and SkipWasm", err)
	}
}

func TestBuildRefusesForeignDir(t *testing.T) {
	out := t.TempDir()
	write(t, filepath.Join(out, "precious.txt"), []byte("keep me"))
	_, err := Build(context.Background(), Options{Out: out, Content: testContent, Root: stubRoot(t, false), SkipWasm: true})
	if err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Fatalf("got %v; want a refusal", err)
	}
	if _, err := os.Stat(filepath.Join(out, "precious.txt")); err != nil {
		t.Errorf("foreign file was removed: %v", err)
	}
	// Building twice over our own output is fine.
	out2 := filepath.Join(t.TempDir(), "public")
	root := stubRoot(t, false)
	for range 2 {
		if _, err := Build(context.Background(), Options{Out: out2, Content: testContent, Root: root, SkipWasm: true}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGolden compares one small page, rendered with fixed asset URLs, with
// testdata/golden.html. Run `go test ./site -run Golden -update` after an
// intended change and review the diff.
func TestGolden(t *testing.T) {
	content := fstest.MapFS{"hello.md": {Data: []byte("---\ntitle: Hello\nsummary: A tiny page.\norder: 1\n---\n\nRead the [overview](/).\n\n## Try it\n\n" +
		fence + "sh\ncurl -s \"$vpc_metadata_api_endpoint/metadata/v1/instance?version=2025-01-01\" | jq .name\n" + fence + "\n\n" +
		fence + "json\n{\"name\": \"my-instance\"}\n" + fence + "\n")}}
	index, pages, err := loadPages(content)
	if err != nil {
		t.Fatal(err)
	}
	files, err := renderSite(fixedAssets(), index, pages)
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	for _, f := range files {
		if f.path == "hello/index.html" {
			got = f.data
		}
	}
	golden := filepath.Join("testdata", "golden.html")
	if *update {
		write(t, golden, got)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run Golden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("hello/index.html differs from %s (rerun with -update and review the diff):\n%s", golden, got)
	}
}

func fixedAssets() web.Assets {
	return web.Assets{
		CSS:    "/assets/site-TESTTEST.css",
		Script: "/assets/main-TESTTEST.js",
		Boot:   "startEarly(\"boot\")",
		Worker: "/assets/worker-TESTTEST.js",
		Wasm:   "/assets/imds-TESTTEST.wasm",
		Icon:   "/assets/icon-TESTTEST.svg",
	}
}

// ---------- site checks ----------

// checkSite verifies a built site: every page of content is there, every HTML
// file parses, has no inline script or style, every internal URL it uses
// resolves (fragments included), and every live block holds its source text.
func checkSite(t *testing.T, out string, content fs.FS) {
	t.Helper()
	index, pages, err := loadPages(content)
	if err != nil {
		t.Fatal(err)
	}
	all := pages
	if index != nil {
		all = append(all, index)
	}
	for _, p := range all {
		file := filepath.Join(out, filepath.FromSlash(strings.TrimPrefix(p.url, "/")), "index.html")
		if _, err := os.Stat(file); err != nil {
			t.Errorf("content/%s: no page: %v", p.file, err)
			continue
		}
		checkLiveBlocks(t, p, parseFile(t, file))
	}

	h := NewHandler(out, nil)
	ids := map[string]map[string]bool{} // page URL → ids on it
	type ref struct{ from, url string }
	var refs []ref
	err = filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		pageURL := "/" + strings.TrimSuffix(filepath.ToSlash(rel), "index.html")
		doc := parseFile(t, p)
		checkHTML(t, rel, doc)
		ids[pageURL] = map[string]bool{}
		fixture.Walk(doc, func(n *html.Node) {
			if id := fixture.Attr(n, "id"); id != "" {
				ids[pageURL][id] = true
			}
			for _, a := range []string{"href", "src"} {
				if v := fixture.Attr(n, a); v != "" {
					refs = append(refs, ref{pageURL, v})
				}
			}
			if name := fixture.Attr(n, "name"); n.Data == "meta" && (name == "imds-wasm" || name == "imds-worker" || name == "imds-keys") {
				refs = append(refs, ref{pageURL, fixture.Attr(n, "content")})
			}
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range refs {
		base, _ := url.Parse(r.from)
		u, err := url.Parse(r.url)
		if err != nil {
			t.Errorf("%s: bad URL %q", r.from, r.url)
			continue
		}
		if u.Scheme != "" || u.Host != "" {
			continue // external
		}
		abs := base.ResolveReference(u)
		if u.Path != "" {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", abs.Path, nil))
			if rec.Code != http.StatusOK {
				t.Errorf("%s: link %q: GET %s = %d", r.from, r.url, abs.Path, rec.Code)
				continue
			}
		}
		if abs.Fragment != "" && ids[abs.Path] != nil && !ids[abs.Path][abs.Fragment] {
			t.Errorf("%s: link %q: no id %q on %s", r.from, r.url, abs.Fragment, abs.Path)
		}
	}
}

// checkHTML rejects what the CSP would block: inline scripts but the boot script, <style>
// elements, style attributes and inline event handlers.
func checkHTML(t *testing.T, name string, doc *html.Node) {
	t.Helper()
	if h := fixture.Find(doc, fixture.Tag("html")); fixture.Attr(h, "lang") != "en" {
		t.Errorf("%s: no <html lang=en>", name)
	}
	ids := map[string]bool{}
	inline := 0
	fixture.Walk(doc, func(n *html.Node) {
		if n.Type != html.ElementNode {
			return
		}
		// Ids are link targets (headings, live blocks): two of one would make a link ambiguous.
		if id := fixture.Attr(n, "id"); id != "" {
			if ids[id] {
				t.Errorf("%s: two elements with id %q", name, id)
			}
			ids[id] = true
		}
		if n.Data == "script" && (fixture.Attr(n, "src") == "") != (fixture.Text(n) != "") {
			t.Errorf("%s: a <script> with both src and text, or neither", name)
		}
		if n.Data == "script" && fixture.Text(n) != "" {
			// The boot script, allowed by its hash (TestBootScriptCSP), and nothing else.
			if inline++; inline > 1 || n.Parent == nil || n.Parent.Data != "head" {
				t.Errorf("%s: an inline <script> other than the boot script in <head>", name)
			}
		}
		if n.Data == "style" {
			t.Errorf("%s: <style> element", name)
		}
		// Form controls wait in a <template> for the runtime (web/panel.templ says why): one in
		// the parsed page costs a whole layout at DOMContentLoaded.
		if (n.Data == "input" || n.Data == "select" || n.Data == "textarea") && !insideTemplate(n) {
			t.Errorf("%s: a <%s> outside a <template>", name, n.Data)
		}
		for _, a := range n.Attr {
			if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
				t.Errorf("%s: <%s %s=…> is blocked by the CSP", name, n.Data, a.Key)
			}
		}
	})
}

// insideTemplate reports whether n is in a <template>'s content.
func insideTemplate(n *html.Node) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Type == html.ElementNode && p.Data == "template" {
			return true
		}
	}
	return false
}

// checkLiveBlocks compares a page's editors with the sh blocks of its
// markdown, read independently with a plain goldmark parser.
func checkLiveBlocks(t *testing.T, p *page, doc *html.Node) {
	t.Helper()
	var want []string
	src := p.body
	mdoc := goldmark.New().Parser().Parse(text.NewReader(src))
	_ = ast.Walk(mdoc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		fc, ok := n.(*ast.FencedCodeBlock)
		if !entering || !ok || fc.Info == nil {
			return ast.WalkContinue, nil
		}
		f := strings.Fields(string(fc.Info.Segment.Value(src)))
		if len(f) == 0 || f[0] != "sh" || strings.Contains(strings.Join(f, " "), "static") {
			return ast.WalkContinue, nil
		}
		var b strings.Builder
		for i := 0; i < fc.Lines().Len(); i++ {
			seg := fc.Lines().At(i)
			b.Write(seg.Value(src))
		}
		want = append(want, strings.TrimSuffix(b.String(), "\n"))
		return ast.WalkContinue, nil
	})
	editors := fixture.FindAll(doc, fixture.TestID("editor"))
	if len(editors) != len(want) {
		t.Errorf("content/%s: %d editors for %d sh blocks", p.file, len(editors), len(want))
		return
	}
	for i, e := range editors {
		if got := fixture.Text(e); got != want[i] {
			t.Errorf("content/%s: block %d editor text:\n got %q\nwant %q", p.file, i, got, want[i])
		}
		if got := fixture.Attr(e, "data-source"); got != want[i] {
			t.Errorf("content/%s: block %d data-source:\n got %q\nwant %q", p.file, i, got, want[i])
		}
	}
}

// ---------- HTML helpers ----------

func parseFile(t *testing.T, name string) *html.Node {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return doc
}

// TestBuildWasm compiles a stand-in ./wasm package (an empty main) through
// the real pipeline: go build for js/wasm, hashing, brotli, meta elements.
func TestBuildWasm(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles for GOOS=js GOARCH=wasm")
	}
	root := stubRoot(t, false)
	write(t, filepath.Join(root, "go.mod"), []byte("module example.com/stub\n\ngo 1.26\n"))
	write(t, filepath.Join(root, "wasm", "main.go"), []byte("package main\n\nfunc main() {}\n"))
	res, out := func() (*Result, string) {
		out := filepath.Join(t.TempDir(), "public")
		res, err := Build(context.Background(), Options{Out: out, Content: testContent, Root: root})
		if err != nil {
			t.Fatal(err)
		}
		return res, out
	}()
	if res.WasmBytes == 0 || res.WasmBrotli == 0 || res.WasmBrotli >= res.WasmBytes {
		t.Errorf("sizes: wasm %d, brotli %d", res.WasmBytes, res.WasmBrotli)
	}
	if !strings.HasPrefix(res.Assets.Wasm, "/assets/imds-") || !strings.HasSuffix(res.Assets.Wasm, ".wasm") {
		t.Errorf("wasm URL: got %q", res.Assets.Wasm)
	}
	wasm, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(res.Assets.Wasm)))
	if err != nil || !bytes.HasPrefix(wasm, []byte("\x00asm")) {
		t.Fatalf("wasm file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, filepath.FromSlash(res.Assets.Wasm)+".br")); err != nil {
		t.Errorf("no precompressed .br: %v", err)
	}
	// Its data segments merged: even an empty main has thousands from the linker.
	if segs, err := wasmdata.DataSegments(wasm); err != nil || len(segs) == 0 || len(segs) > 4 {
		t.Errorf("data segments of the built wasm: %d (%v); want the linker's merged into a few", len(segs), err)
	}
	doc := parseFile(t, filepath.Join(out, "first", "index.html"))
	if got := fixture.Meta(doc, "imds-wasm"); got != res.Assets.Wasm {
		t.Errorf("imds-wasm meta: got %q; want %q", got, res.Assets.Wasm)
	}
	// The prepared emulator keys: four parseable RSA-2048 PKCS #8 keys, named by the meta.
	if got := fixture.Meta(doc, "imds-keys"); got == "" || got != res.Assets.Keys {
		t.Fatalf("imds-keys meta: got %q; want %q", got, res.Assets.Keys)
	}
	var keys map[string]string
	if err := json.Unmarshal(mustRead(t, filepath.Join(out, filepath.FromSlash(res.Assets.Keys))), &keys); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"identity", "iam", "caRoot", "caIntermediate"} {
		der, err := base64.StdEncoding.DecodeString(keys[name])
		if err != nil {
			t.Fatalf("key %s: %v", name, err)
		}
		k, err := x509.ParsePKCS8PrivateKey(der)
		if rk, ok := k.(*rsa.PrivateKey); err != nil || !ok || rk.N.BitLen() != 2048 {
			t.Errorf("key %s: %v (%T)", name, err, k)
		}
	}
	checkSite(t, out, testContent)
}

// TestBuildWasmFails reports the compiler's message when ./wasm does not build.
func TestBuildWasmFails(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	root := stubRoot(t, false)
	write(t, filepath.Join(root, "go.mod"), []byte("module example.com/stub\n\ngo 1.26\n"))
	write(t, filepath.Join(root, "wasm", "main.go"), []byte("package main\n\nfunc main() { undefinedThing() }\n"))
	_, err := Build(context.Background(), Options{Out: filepath.Join(t.TempDir(), "p"), Content: testContent, Root: root})
	if err == nil || !strings.Contains(err.Error(), "undefinedThing") || !strings.Contains(err.Error(), "SkipWasm") {
		t.Errorf("got %v; want the compiler error and a pointer to SkipWasm", err)
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
