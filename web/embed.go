package web

import (
	"context"
	"html"
	"io"

	"github.com/a-h/templ"

	"github.com/imdsplay/imdsplay/imds"
)

// EmbedScript is the stable, unhashed URL of the embed script: docs authors paste it into
// their pages, so it never moves. It names the hashed assets of its own build.
const EmbedScript = "/embed.js"

// EmbedBlock is one command block of a page, as an iframe page runs it.
type EmbedBlock struct {
	Place  imds.Place
	Source string  // the block's text exactly as written in the markdown
	Tokens []Token // Source, highlighted
}

// EmbedFrameData describes one iframe page (/embed/<slug>/<n>/ or /embed/code/run/).
type EmbedFrameData struct {
	Title    string       // the page's <title>
	Block    EmbedBlock   // the block the frame is for
	Setup    []EmbedBlock // the page's earlier blocks: they run first, once, so the block finds what it needs
	Source   *Link        // the documentation page the block comes from; nil for none
	FromURL  bool         // the block's text may come from the URL's ?code= (/embed/code/run/)
	FrameCSS string       // the frame pages' own stylesheet (hashed URL); "" for none
}

// EmbedListPage is one page's entry on the list of embeddable blocks.
type EmbedListPage struct {
	Link
	Blocks []EmbedListBlock
}

// EmbedListBlock is one embeddable block: its iframe URL and its first line.
type EmbedListBlock struct {
	N     int    // from 1
	URL   string // /embed/<slug>/<n>/
	Place imds.Place
	First string // the block's first line
}

// EmbedExampleData describes an example on the embedding page: the snippet shown (with the
// site's origin in the places marked {{origin}}) and, unless Live is nil, the same markup
// live underneath it.
type EmbedExampleData struct {
	ID      string            // id of the snippet's <pre>, for its Copy button
	Kind    string            // "script", "iframe" or "snippet"
	Snippet []EmbedSnippetRun // the snippet as text runs and origin placeholders
	Live    templ.Component   // the live markup; nil for a snippet shown only
}

// EmbedSnippetRun is a run of snippet text, or (Origin) the site's origin, which the page's
// embed.js replaces with the origin it was served from.
type EmbedSnippetRun struct {
	Text   string
	Origin bool
}

// embedSnippet renders a snippet's runs inside <pre><code>: text escaped, the origin in a
// <span data-imds-origin> that the page's embed.js fills with the origin it came from, so the
// snippet is right on every deployment (previews, a local server) and readable without it.
// Plain Go, as Code is, because whitespace inside <pre> must survive.
func embedSnippet(runs []EmbedSnippetRun) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		for _, r := range runs {
			s := html.EscapeString(r.Text)
			if r.Origin {
				s = `<span class="embed-origin" data-imds-origin>` + s + `</span>`
			}
			if _, err := io.WriteString(w, s); err != nil {
				return err
			}
		}
		return nil
	})
}
