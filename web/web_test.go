package web

import (
	"bytes"
	"context"
	"go/format"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/a-h/templ"
	"github.com/a-h/templ/generator"
	parser "github.com/a-h/templ/parser/v2"
	"golang.org/x/net/html"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/internal/fixture"
)

// TestTemplFresh regenerates every *.templ in process, exactly as
// `go tool templ generate -path web` (the Makefile's generate target) does,
// and fails when a committed *_templ.go differs.
func TestTemplFresh(t *testing.T) {
	sources, err := filepath.Glob("*.templ")
	if err != nil || len(sources) == 0 {
		t.Fatalf("no *.templ files: %v", err)
	}
	for _, src := range sources {
		tf, err := parser.Parse(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		var b bytes.Buffer
		// -path web makes file names in runtime errors relative to web/,
		// which is this package's directory: the bare file name.
		if _, err := generator.Generate(tf, &b, generator.WithVersion(templ.Version()), generator.WithFileName(src)); err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		want, err := format.Source(b.Bytes())
		if err != nil {
			t.Fatalf("%s: formatting generated code: %v", src, err)
		}
		goFile := strings.TrimSuffix(src, ".templ") + "_templ.go"
		got, err := os.ReadFile(goFile)
		if err != nil {
			t.Errorf("%s: %v: run make generate", goFile, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run make generate", goFile)
		}
	}
}

// render renders c and parses the result as an HTML fragment in <body>.
func render(t *testing.T, c templ.Component) *html.Node {
	t.Helper()
	var b bytes.Buffer
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(&b)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func testAssets() Assets {
	return Assets{CSS: "/assets/site-A.css", Script: "/assets/main-B.js", Worker: "/assets/worker-C.js", Wasm: "/assets/imds-D.wasm", Icon: "/assets/icon-E.svg"}
}

func TestLiveBlock(t *testing.T) {
	src := "echo \"<b>&amp;\" 'x'\n\tsecond line"
	doc := render(t, LiveBlock(LiveBlockData{Index: 3, Place: imds.OnWorkstation, Source: src, Tokens: []Token{{Class: "tok-cmd", Text: "echo"}, {Text: src[4:]}}}))
	block := byTestID(doc, "live-block")
	if block == nil {
		t.Fatal("no data-testid=live-block")
	}
	if got := fixture.Attr(block, "data-on"); got != "workstation" {
		t.Errorf("data-on: got %q; want workstation", got)
	}
	if got := fixture.Attr(block, "data-index"); got != "3" {
		t.Errorf("data-index: got %q; want 3", got)
	}
	editor := byTestID(block, "editor")
	if got := fixture.Text(editor); got != src {
		t.Errorf("editor text: got %q; want %q", got, src)
	}
	if got := fixture.Attr(editor, "data-source"); got != src {
		t.Errorf("data-source: got %q; want %q", got, src)
	}
	for _, id := range []string{"run", "reset"} {
		b := byTestID(block, id)
		if b == nil || b.Data != "button" || fixture.Attr(b, "type") != "button" {
			t.Errorf("no <button type=button data-testid=%q>", id)
		}
	}
	out := byTestID(block, "output")
	if out == nil || fixture.Attr(out, "aria-live") != "polite" || out.FirstChild != nil {
		t.Errorf("output: want an empty aria-live=polite element")
	}
	if got := fixture.Text(byTag(block, "header")); !strings.Contains(got, "on your workstation") {
		t.Errorf("header: got %q; want the place label", got)
	}
}

func TestCodeBlock(t *testing.T) {
	doc := render(t, CodeBlock(CodeBlockData{Lang: "json", Tokens: []Token{{Class: "tok-key", Text: `"a"`}, {Text: ": 1"}}}))
	pre := byTag(doc, "pre")
	if pre == nil || fixture.Attr(pre, "data-lang") != "json" || fixture.Attr(pre, "data-testid") != "" {
		t.Fatalf("want <pre data-lang=json> without a live-block hook")
	}
	if got := fixture.Text(pre); got != `"a": 1` {
		t.Errorf("text: got %q", got)
	}
}

func TestLayout(t *testing.T) {
	nav := []NavItem{{Link: Link{Title: "Overview", URL: "/"}}, {Link: Link{Title: "Tokens", URL: "/tokens/"}, Current: true}}
	p := Page{Title: "Tokens", Summary: "About tokens.", Slug: "tokens", Body: templ.Raw("<p>body</p>"), Prev: &Link{Title: "Overview", URL: "/"}}
	doc := render(t, DocPage(testAssets(), nav, p))

	if h := byTag(doc, "html"); fixture.Attr(h, "lang") != "en" || fixture.Attr(h, "data-imds-ready") != "" {
		t.Errorf("<html>: want lang=en and no data-imds-ready (the runtime sets it)")
	}
	for name, want := range map[string]string{"imds-wasm": "/assets/imds-D.wasm", "imds-worker": "/assets/worker-C.js", "imds-page": "tokens", "description": "About tokens."} {
		if got := fixture.Meta(doc, name); got != want {
			t.Errorf("meta %s: got %q; want %q", name, got, want)
		}
	}
	if s := byTag(doc, "script"); fixture.Attr(s, "src") != "/assets/main-B.js" || fixture.Attr(s, "type") != "module" || s.FirstChild != nil {
		t.Errorf("want one external module script")
	}
	for _, id := range []string{"instance-panel", "loading", "sidebar", "pager", "prev"} {
		if byTestID(doc, id) == nil {
			t.Errorf("no data-testid=%q", id)
		}
	}
	if byTag(byTestID(doc, "instance-panel"), "h2") == nil || byTestID(doc, "instance-panel").Data != "aside" {
		t.Errorf("instance panel: want an <aside> with a heading")
	}
	if byTestID(doc, "next") != nil {
		t.Errorf("next link without a next page")
	}
	if got := fixture.Text(byTag(doc, "h1")); got != "Tokens" {
		t.Errorf("h1: got %q", got)
	}
	cur := fixture.Find(doc, func(n *html.Node) bool { return fixture.Attr(n, "aria-current") == "page" })
	if fixture.Attr(cur, "href") != "/tokens/" {
		t.Errorf("aria-current on %q; want /tokens/", fixture.Attr(cur, "href"))
	}
	if got := fixture.Text(byTag(doc, "title")); got != "Tokens · imdsplay" {
		t.Errorf("title: got %q", got)
	}

	// Without a wasm (SkipWasm builds) the page names none.
	a := testAssets()
	a.Wasm = ""
	doc = render(t, DocPage(a, nav, Page{Title: "T", OwnH1: true, Body: templ.Raw("<h1>Own</h1>")}))
	if fixture.Meta(doc, "imds-wasm") != "" {
		t.Errorf("imds-wasm meta without a wasm")
	}
	if n := len(fixture.FindAll(doc, func(n *html.Node) bool { return n.Data == "h1" })); n != 1 {
		t.Errorf("OwnH1: got %d h1; want 1", n)
	}
}

func TestIndexAndNotFound(t *testing.T) {
	nav := []NavItem{{Link: Link{Title: "Overview", URL: "/"}, Current: true}, {Link: Link{Title: "A", URL: "/a/"}, Summary: "About A."}}
	doc := render(t, IndexPage(testAssets(), nav, Page{Title: SiteTitle}))
	list := byTestID(doc, "page-list")
	if items := fixture.FindAll(list, func(n *html.Node) bool { return n.Data == "li" }); len(items) != 1 || !strings.Contains(fixture.Text(items[0]), "About A.") {
		t.Errorf("page list: want one entry with its summary")
	}
	if got := fixture.Text(byTag(doc, "title")); got != SiteTitle {
		t.Errorf("index title: got %q", got)
	}
	doc = render(t, NotFoundPage(testAssets(), nav))
	if byTestID(doc, "not-found") == nil {
		t.Errorf("404: no data-testid=not-found")
	}
}

func TestCodeEscapes(t *testing.T) {
	var b bytes.Buffer
	toks := []Token{{Class: `tok-x" onclick="y`, Text: `<script>&`}, {Text: `"'`}}
	if err := Code(toks).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	want := `<span class="tok-x&#34; onclick=&#34;y">&lt;script&gt;&amp;</span>&#34;&#39;`
	if b.String() != want {
		t.Errorf("got %s; want %s", b.String(), want)
	}
}

// ---------- helpers ----------

func byTestID(n *html.Node, id string) *html.Node { return fixture.Find(n, fixture.TestID(id)) }

func byTag(n *html.Node, tag string) *html.Node { return fixture.Find(n, fixture.Tag(tag)) }
