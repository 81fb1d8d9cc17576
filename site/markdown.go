package site

import (
	"bytes"
	"context"
	"fmt"
	stdhtml "html"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/internal/shvars"
	"github.com/imdsplay/imdsplay/web"
)

// newMarkdown returns the goldmark converter for one content page. It is
// configured in this one place:
//
//   - GFM: tables, strikethrough, autolinks and task lists, as on GitHub, so
//     authors can preview pages there.
//   - Heading IDs are generated from the text (or given as {#id}), and every
//     heading with an ID is followed by a "#" link to it, outside the heading
//     (see headingLink), so that the heading's name is its text alone.
//   - Raw HTML is kept, because flow pages carry inline SVG diagrams. The site
//     tests reject inline <script> and style attributes, which the CSP would
//     block anyway.
//   - Tables take keyboard focus (tabindex="0"): a wide one scrolls sideways
//     on a phone, and a keyboard must be able to reach it to scroll it.
//   - Relative links to other content files (foo.md#bar) become page URLs;
//     a link to a file that does not exist is an error.
//   - Fenced code is rendered by web.LiveBlock or web.CodeBlock (see
//     blockRenderer), not by goldmark's default <pre><code>.
//
// goldmark keeps per-converter state in the renderer, so each page gets its own.
func newMarkdown(st *renderState) goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithParserOptions(
			parser.WithAutoHeadingID(),
			parser.WithHeadingAttribute(),
			parser.WithASTTransformers(util.Prioritized(st, 100)),
		),
		goldmark.WithRendererOptions(
			html.WithUnsafe(),
			renderer.WithNodeRenderers(util.Prioritized(&blockRenderer{st: st}, 100)),
		),
	)
}

// renderState carries what one page's rendering needs and collects what it
// finds: the URLs of other pages by file name, the number of live blocks so
// far, the first error.
type renderState struct {
	file   string            // content file being rendered, for messages
	urls   map[string]string // content file name → page URL
	blocks int               // live blocks rendered so far
	// written are the files the page's live blocks so far write, by place: a later block that
	// names one needs it (see liveBlock).
	written map[imds.Place]map[string]bool
	err     error
}

func (st *renderState) fail(format string, args ...any) {
	if st.err == nil {
		st.err = fmt.Errorf("content/%s: "+format, append([]any{st.file}, args...)...)
	}
}

// Transform implements parser.ASTTransformer: it rewrites links to content
// files, puts tables in the tab order and wraps headings with an id in a
// headingLink.
func (st *renderState) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	var headings []*ast.Heading
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			n.Destination = []byte(st.rewriteLink(string(n.Destination)))
		case *extast.Table:
			n.SetAttributeString("tabindex", []byte("0"))
		case *ast.Heading:
			if _, ok := n.AttributeString("id"); ok {
				headings = append(headings, n)
			}
		}
		return ast.WalkContinue, nil
	})
	for _, h := range headings {
		id, _ := h.AttributeString("id")
		w := &headingLink{id: string(id.([]byte)), text: headingText(h, reader.Source())}
		parent := h.Parent()
		parent.ReplaceChild(parent, h, w)
		w.AppendChild(w, h)
	}
}

// headingLink is a heading with an id and, after it, the "#" link to it. The link is
// outside the heading, and named for the section: inside, a screen reader would read
// every heading as "… #", and the link itself as "#".
type headingLink struct {
	ast.BaseBlock
	id, text string
}

// kindHeadingLink is headingLink's node kind.
var kindHeadingLink = ast.NewNodeKind("HeadingLink")

// Kind implements ast.Node.
func (n *headingLink) Kind() ast.NodeKind { return kindHeadingLink }

// Dump implements ast.Node.
func (n *headingLink) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"id": n.id}, nil)
}

// rewriteLink turns a relative link to a content file into its page URL.
// Everything else (absolute URLs, fragments, paths on the site) is kept.
func (st *renderState) rewriteLink(dest string) string {
	u, err := url.Parse(dest)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Path == "" || strings.HasPrefix(u.Path, "/") {
		return dest
	}
	if !strings.HasSuffix(u.Path, ".md") {
		return dest
	}
	target := path.Clean(path.Join(path.Dir(st.file), u.Path))
	pageURL, ok := st.urls[target]
	if !ok {
		st.fail("link to %s: no such page", u.Path)
		return dest
	}
	if u.Fragment != "" {
		return pageURL + "#" + u.Fragment
	}
	return pageURL
}

// blockRenderer renders code blocks through the web components.
type blockRenderer struct{ st *renderState }

// RegisterFuncs implements renderer.NodeRenderer.
func (r *blockRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindFencedCodeBlock, r.fenced)
	reg.Register(ast.KindCodeBlock, r.indented)
	reg.Register(kindHeadingLink, r.headingLink)
}

// headingLink renders a heading and the link to it in one box (styled as the heading).
func (r *blockRenderer) headingLink(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*headingLink)
	level := 2
	if h, ok := n.FirstChild().(*ast.Heading); ok {
		level = h.Level
	}
	if entering {
		fmt.Fprintf(w, "<div class=\"heading heading-%d\">", level)
		return ast.WalkContinue, nil
	}
	id := stdhtml.EscapeString(n.id)
	fmt.Fprintf(w, "<a class=\"anchor\" href=\"#%s\" aria-label=\"%s\">#</a></div>\n", id,
		stdhtml.EscapeString("Link to the section “"+n.text+"”"))
	return ast.WalkContinue, nil
}

// blockText is a code block's text exactly as written, minus the final newline.
func blockText(n ast.Node, source []byte) string {
	var b bytes.Buffer
	lines := n.Lines()
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		b.Write(seg.Value(source))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// fenceInfo is the meaning of a fenced block's info string.
type fenceInfo struct {
	lang   string
	live   bool
	place  imds.Place
	static bool
	// fixed are the version dates the panel's version switch leaves alone: "all", or dates.
	fixed []string
}

// parseFenceInfo reads "sh", "sh on=workstation", "sh static", "json", ….
// Words after the language are only meaningful for sh, and there an unknown
// word is an error: a typo must not silently turn a live block into a dead one.
//
// "fixed-version" marks a block whose version dates are its point (a date out of
// range, a path gone at a date): the version switch leaves them all alone.
// "fixed-version=2025-08-25,2021-12-31" leaves only those dates alone.
func parseFenceInfo(info string) (fenceInfo, error) {
	f := strings.Fields(info)
	if len(f) == 0 {
		return fenceInfo{}, nil
	}
	fi := fenceInfo{lang: f[0]}
	if fi.lang != "sh" {
		return fi, nil
	}
	fi.live, fi.place = true, imds.OnInstance
	for _, w := range f[1:] {
		switch w {
		case "static":
			fi.static, fi.live = true, false
		case "on=instance":
			fi.place = imds.OnInstance
		case "on=workstation":
			fi.place = imds.OnWorkstation
		case "fixed-version":
			fi.fixed = []string{"all"}
		default:
			dates, ok := strings.CutPrefix(w, "fixed-version=")
			if !ok || dates == "" {
				return fi, fmt.Errorf("code block info %q: unknown word %q (want static, on=instance, on=workstation, fixed-version or fixed-version=DATE,…)", info, w)
			}
			for _, d := range strings.Split(dates, ",") {
				if _, err := time.Parse(time.DateOnly, d); err != nil {
					return fi, fmt.Errorf("code block info %q: fixed-version=%s: %q is not a date YYYY-MM-DD", info, dates, d)
				}
				fi.fixed = append(fi.fixed, d)
			}
		}
	}
	return fi, nil
}

func (r *blockRenderer) fenced(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	n := node.(*ast.FencedCodeBlock)
	var info string
	if n.Info != nil {
		info = string(n.Info.Segment.Value(source))
	}
	fi, err := parseFenceInfo(info)
	if err != nil {
		r.st.fail("%v", err)
		return ast.WalkStop, r.st.err
	}
	src := blockText(n, source)
	// The embedding page's examples (```html embed|iframe|snippet): see embed.go.
	c, ok, err := embedFence(info, src)
	if err != nil {
		r.st.fail("%v", err)
		return ast.WalkStop, r.st.err
	}
	switch {
	case ok:
	case fi.live:
		if err := checkFixed(fi.fixed, src); err != nil {
			r.st.fail("code block %q: %v", info, err)
			return ast.WalkStop, r.st.err
		}
		b := r.st.liveBlock(fi.place, src)
		b.FixedVersions = fi.fixed
		c = web.LiveBlock(b)
		r.st.blocks++
	default:
		c = web.CodeBlock(web.CodeBlockData{Lang: fi.lang, Tokens: highlight(fi.lang, src)})
	}
	if err := c.Render(context.Background(), w); err != nil {
		return ast.WalkStop, err
	}
	_, _ = w.WriteString("\n")
	return ast.WalkSkipChildren, nil
}

// checkFixed fails when a block's fixed version dates are not in its text: a fixed-version
// marker that fixes nothing is a typo, and would let the switch rewrite the date it meant.
func checkFixed(fixed []string, src string) error {
	for _, d := range fixed {
		if d == "all" {
			if !strings.Contains(src, "version=") {
				return fmt.Errorf("fixed-version: the block has no version= to keep")
			}
			continue
		}
		if !strings.Contains(src, "version="+d) {
			return fmt.Errorf("fixed-version=%s: the block has no version=%s", d, d)
		}
	}
	return nil
}

func (r *blockRenderer) indented(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	src := blockText(node, source)
	if err := web.CodeBlock(web.CodeBlockData{Tokens: highlight("", src)}).Render(context.Background(), w); err != nil {
		return ast.WalkStop, err
	}
	_, _ = w.WriteString("\n")
	return ast.WalkSkipChildren, nil
}

// rendered is a page's markdown turned into HTML.
type rendered struct {
	html   []byte
	ownH1  bool   // the page starts with a level-1 heading
	h1     string // its text
	blocks int    // live blocks on the page
}

// liveBlock describes the page's next live block, with what it needs and provides (package
// shvars): the variables it reads before setting them, those it sets, and the files it writes
// or names that an earlier block of the page, at the same place, writes. The runtime runs the
// blocks above one first when what it needs is missing.
func (st *renderState) liveBlock(place imds.Place, src string) web.LiveBlockData {
	u := shvars.Analyze(src, place)
	if st.written == nil {
		st.written = map[imds.Place]map[string]bool{}
	}
	written := st.written[place]
	if written == nil {
		written = map[string]bool{}
		st.written[place] = written
	}
	var filesIn []string
	for _, f := range u.Names {
		if written[f] {
			filesIn = append(filesIn, f)
		}
	}
	for _, f := range u.Writes {
		written[f] = true
	}
	return web.LiveBlockData{
		Index: st.blocks, Place: place, Source: src, Tokens: highlight("sh", src),
		Reads: u.Reads, Sets: u.Sets, FilesIn: filesIn, FilesOut: u.Writes,
	}
}

// renderMarkdown converts one page's markdown.
func renderMarkdown(p *page, urls map[string]string) (*rendered, error) {
	st := &renderState{file: p.file, urls: urls}
	md := newMarkdown(st)
	doc := md.Parser().Parse(text.NewReader(p.body))
	if st.err != nil {
		return nil, st.err
	}
	out := &rendered{}
	first := doc.FirstChild()
	if w, ok := first.(*headingLink); ok {
		first = w.FirstChild()
	}
	if h, ok := first.(*ast.Heading); ok && h.Level == 1 {
		out.ownH1 = true
		out.h1 = headingText(h, p.body)
	}
	var b bytes.Buffer
	if err := md.Renderer().Render(&b, p.body, doc); err != nil {
		if st.err != nil {
			return nil, st.err
		}
		return nil, fmt.Errorf("content/%s: %w", p.file, err)
	}
	if st.err != nil {
		return nil, st.err
	}
	out.html = b.Bytes()
	out.blocks = st.blocks
	return out, nil
}

// headingText is a heading's plain text, without the anchor link.
func headingText(h *ast.Heading, source []byte) string {
	var b strings.Builder
	for c := h.FirstChild(); c != nil; c = c.NextSibling() {
		if l, ok := c.(*ast.Link); ok {
			if cls, _ := l.AttributeString("class"); cls != nil && string(cls.([]byte)) == "anchor" {
				continue
			}
		}
		writeText(&b, c, source)
	}
	return strings.TrimSpace(b.String())
}

func writeText(b *strings.Builder, n ast.Node, source []byte) {
	switch n := n.(type) {
	case *ast.Text:
		b.Write(n.Segment.Value(source))
		if n.SoftLineBreak() {
			b.WriteByte(' ')
		}
		return
	case *ast.String:
		b.Write(n.Value)
		return
	case *ast.CodeSpan:
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			if t, ok := c.(*ast.Text); ok {
				b.Write(t.Segment.Value(source))
			}
		}
		return
	}
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		writeText(b, c, source)
	}
}
