package site

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
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
//     heading with an ID gets a trailing "#" anchor link.
//   - Raw HTML is kept, because flow pages carry inline SVG diagrams. The site
//     tests reject inline <script> and style attributes, which the CSP would
//     block anyway.
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
// files and adds anchor links to headings.
func (st *renderState) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			n.Destination = []byte(st.rewriteLink(string(n.Destination)))
		case *ast.Heading:
			if id, ok := n.AttributeString("id"); ok {
				a := ast.NewLink()
				a.Destination = append([]byte("#"), id.([]byte)...)
				a.Title = []byte("Link to this section")
				a.SetAttributeString("class", []byte("anchor"))
				a.AppendChild(a, ast.NewString([]byte("#")))
				n.AppendChild(n, a)
				return ast.WalkSkipChildren, nil
			}
		}
		return ast.WalkContinue, nil
	})
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
}

// parseFenceInfo reads "sh", "sh on=workstation", "sh static", "json", ….
// Words after the language are only meaningful for sh, and there an unknown
// word is an error: a typo must not silently turn a live block into a dead one.
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
		default:
			return fi, fmt.Errorf("code block info %q: unknown word %q (want static, on=instance or on=workstation)", info, w)
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
		c = web.LiveBlock(r.st.liveBlock(fi.place, src))
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
	if h, ok := doc.FirstChild().(*ast.Heading); ok && h.Level == 1 {
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
