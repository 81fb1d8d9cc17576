// Package web holds the playground's presentation layer: the templ components
// that render every page (layout, sidebar, documentation page, index, 404,
// live command block, static code block, instance-panel placeholder), the
// stylesheet in css/ and, in ts/, the TypeScript runtime that makes pages live.
//
// Package site feeds these components with data it derives from content/*.md
// and bundles css/ and ts/ with esbuild. The components render everything a
// reader needs with JavaScript off; the runtime only adds behaviour to the
// stable hooks they emit (data-testid attributes, the imds-* meta elements).
//
// The *.templ sources are compiled to the committed *_templ.go files with
// `go tool templ generate` run from the repository root; a test fails when
// the committed output is stale.
package web

import (
	"context"
	"html"
	"io"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"github.com/imdsplay/imdsplay/imds"
)

// SiteTitle is the name shown in the header and in every page title.
const SiteTitle = "imdsplay"

// Assets are the public, content-hashed URLs of the files every page loads.
type Assets struct {
	CSS    string // stylesheet bundle, e.g. /assets/site-AB12CD34.css
	Script string // runtime bundle (an ES module), e.g. /assets/main-EF56GH78.js
	Boot   string // the first script, inline in <head>: starts the engine's worker (web/ts/boot.ts)
	Worker string // the engine's worker: web/ts/worker.ts after the Go toolchain's wasm_exec.js
	Wasm   string // the emulator compiled to WebAssembly; "" when built without it
	Keys   string // the emulator's prepared keys (JSON); "" when built without the wasm
	Icon   string // SVG favicon
}

// Link is a titled URL.
type Link struct {
	Title string
	URL   string
}

// NavItem is one entry of the sidebar.
type NavItem struct {
	Link
	Summary string
	Current bool // the page being rendered; marked aria-current="page"
}

// Page is what the layout needs to know about the page it frames.
type Page struct {
	Title   string          // plain text, used in <title> and, unless OwnH1, as the <h1>
	Summary string          // one sentence; <meta name="description"> and the index list
	Slug    string          // "" for the index page; exposed to the runtime as imds-page
	OwnH1   bool            // the body starts with its own <h1>
	Body    templ.Component // the rendered markdown
	Prev    *Link           // previous page in reading order, if any
	Next    *Link           // next page in reading order, if any
}

// placeLabel is the human description of where a block's commands run, shown in its header.
// The place itself (imds.Place) is the value of data-on.
func placeLabel(p imds.Place) string {
	if p == imds.OnWorkstation {
		return "on your workstation"
	}
	return "on the instance"
}

// Token is a run of highlighted source text. Class is a tok-* class name from
// css/site.css, or "" for text shown as is.
type Token struct {
	Class string
	Text  string
}

// LiveBlockData describes one runnable command block.
type LiveBlockData struct {
	Index  int        // position among the page's live blocks, from 0
	Place  imds.Place // where the commands run
	Source string     // the block's text exactly as written in the markdown
	Tokens []Token    // Source, highlighted; their texts concatenate to Source

	// What the block needs and provides, for running the blocks above it first (sorted names):
	Reads    []string // shell variables it reads before setting them
	Sets     []string // shell variables it sets
	FilesIn  []string // files it reads that an earlier block of the page writes
	FilesOut []string // files it writes

	// FixedVersions are the version dates the panel's API version switch must leave alone,
	// because the block demonstrates them (a date before the first, a path gone at a date):
	// nil for none, {"all"} for every date of the block.
	FixedVersions []string
}

// BlockID is the id of live block index (from 0) on its page: "block-1" for the first. A link
// to /PAGE/#block-N lands on the block.
func BlockID(index int) string { return "block-" + itoa(index+1) }

// words joins names with spaces, for a data attribute.
func words(names []string) string { return strings.Join(names, " ") }

// CodeBlockData describes a block that is shown but never run.
type CodeBlockData struct {
	Lang   string // the info string's first word, e.g. "json"; may be ""
	Tokens []Token
}

// Code renders highlighted tokens as HTML text and <span class="tok-…">
// elements. It is plain Go rather than templ because every byte of whitespace
// matters inside <pre>, and templ normalises whitespace between nodes.
func Code(tokens []Token) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		for _, t := range tokens {
			var s string
			if t.Class == "" {
				s = html.EscapeString(t.Text)
			} else {
				s = `<span class="` + html.EscapeString(t.Class) + `">` + html.EscapeString(t.Text) + `</span>`
			}
			if _, err := io.WriteString(w, s); err != nil {
				return err
			}
		}
		return nil
	})
}

// itoa formats ints for attributes.
func itoa[T int | int64](n T) string { return strconv.FormatInt(int64(n), 10) }
