package site

// Embeds: what docs authors put on their own pages.
//
//   - /embed.js, at a stable URL, is web/ts/embed.ts bundled as a classic script, with the
//     hashed URLs of this build's wasm, engine worker and keys, and its stylesheet
//     (web/ts/embed.css, which pulls in the site's) as a string it adopts into each shadow root.
//   - /embed/<slug>/<n>/ is an iframe page for the n-th command block of a page (from 1), with
//     the page's earlier blocks folded above it to run first; /embed/code/run/?code=… runs any
//     command; /embed/ lists them all. netlify.toml lets any site frame these pages and nothing
//     else (they are the only paths three segments deep).
//   - On the embedding page, ```html embed, ```html iframe and ```html snippet blocks show a
//     snippet and, for the first two, the very same markup live below it (embedFence).

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/andybalholm/brotli"
	"github.com/evanw/esbuild/pkg/api"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"

	"github.com/imdsplay/imdsplay/imds"
	"github.com/imdsplay/imdsplay/web"
)

// Sources of the embed, relative to Options.Root.
const (
	embedEntry      = "web/ts/embed.ts"
	embedCSSEntry   = "web/ts/embed.css"
	embedFrameEntry = "web/ts/embedframe.css"
)

// EmbedBudget bounds embed.js, its stylesheet inside, compressed with brotli at the build's
// level: it is what every embedding page downloads before its reader does anything.
const EmbedBudget = 30 << 10

// Where the iframe pages live, and the names they reserve.
const (
	embedDir       = "embed"
	embedCodePath  = "code/run" // /embed/code/run/?code=…: no page has a block called "run"
	embedIndexSlug = "index"    // the home page's blocks: /embed/index/<n>/
)

// originPlaceholder marks, in an embedding snippet, where the site's origin goes.
const originPlaceholder = "{{origin}}"

// snippetOrigin is the origin shown in snippets when the page is read without JavaScript (with
// it, embed.js shows the origin it was really served from): $IMDS_SITE_URL, else Netlify's $URL
// (the site's main address, set during its builds), else a placeholder that cannot resolve.
func snippetOrigin() string {
	for _, k := range []string{"IMDS_SITE_URL", "URL"} {
		if v := strings.TrimRight(os.Getenv(k), "/"); strings.HasPrefix(v, "https://") || strings.HasPrefix(v, "http://") {
			return v
		}
	}
	return "https://imdsplay.example"
}

// defaultCode is what /embed/code/run/ runs when its URL gives no ?code=.
const defaultCode = `curl -s -X PUT "$vpc_metadata_api_endpoint/identity/v1/token?version=2025-08-26" \
  -H "Metadata-Flavor: ibm" -d '{}' | jq .`

// embedAssets is what embed.js needs to know of the build: the web/ts/embedload.ts SiteAssets.
type embedAssets struct {
	Wasm   string `json:"wasm"`
	Worker string `json:"worker"`
	Keys   string `json:"keys"`
}

// remRE finds rem lengths in minified CSS.
var remRE = regexp.MustCompile(`(\d*\.?\d+)rem\b`)

// shadowCSS fits the site's stylesheet to a shadow root inside a foreign page: the theme's
// :root variables go on the .imds-root wrapper (:root matches nothing in a shadow tree, and the
// host page cannot select the wrapper), and rem lengths become px, because rem follows the
// host page's root font size.
func shadowCSS(css string) string {
	css = strings.ReplaceAll(css, ":root", ".imds-root")
	return remRE.ReplaceAllStringFunc(css, func(m string) string {
		v, err := strconv.ParseFloat(strings.TrimSuffix(m, "rem"), 64)
		if err != nil {
			return m
		}
		return strconv.FormatFloat(v*16, 'f', -1, 64) + "px"
	})
}

// embedStylesheet bundles web/ts/embed.css (and the site's stylesheet it imports) into one
// minified string, fitted to a shadow root.
func embedStylesheet(absRoot string) (string, error) {
	res := api.Build(api.BuildOptions{
		AbsWorkingDir:    absRoot,
		EntryPoints:      []string{embedCSSEntry},
		Outdir:           filepath.Join(absRoot, "embed-css-out"), // not written: Write is false
		Bundle:           true,
		Write:            false,
		MinifyWhitespace: true,
		MinifySyntax:     true,
		Target:           api.ES2020,
		Charset:          api.CharsetUTF8,
		Loader:           map[string]api.Loader{".svg": api.LoaderDataURL, ".png": api.LoaderDataURL, ".woff2": api.LoaderDataURL},
		LogLevel:         api.LogLevelSilent,
	})
	if len(res.Errors) > 0 {
		return "", fmt.Errorf("site: esbuild %s: %s", embedCSSEntry, formatMessages(res.Errors))
	}
	for _, f := range res.OutputFiles {
		if strings.HasSuffix(f.Path, ".css") {
			return shadowCSS(strings.TrimSpace(string(f.Contents))), nil
		}
	}
	return "", fmt.Errorf("site: esbuild %s: no CSS output", embedCSSEntry)
}

// bundleEmbed builds embed.js: web/ts/embed.ts as a minified classic script (an IIFE, so that
// document.currentScript tells it which site it came from), with the build's asset URLs and the
// stylesheet defined in.
func bundleEmbed(root string, a web.Assets) ([]byte, error) {
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	css, err := embedStylesheet(absRoot)
	if err != nil {
		return nil, err
	}
	assets, err := json.Marshal(embedAssets{Wasm: a.Wasm, Worker: a.Worker, Keys: a.Keys})
	if err != nil {
		return nil, err
	}
	cssJSON, err := json.Marshal(css)
	if err != nil {
		return nil, err
	}
	return bundleScript(root, embedEntry, map[string]string{
		"__IMDS_EMBED_ASSETS__": string(assets),
		"__IMDS_EMBED_CSS__":    string(cssJSON),
	})
}

// brotliSize is the size of b compressed with brotli at level.
func brotliSize(b []byte, level int) (int64, error) {
	var buf bytes.Buffer
	w := brotli.NewWriterLevel(&buf, level)
	if _, err := w.Write(b); err != nil {
		return 0, err
	}
	if err := w.Close(); err != nil {
		return 0, err
	}
	return int64(buf.Len()), nil
}

// writeEmbed writes embed.js and the iframe pages into the stage, and logs embed.js's size
// against its budget. A root without web/ts/embed.ts (a test's stub) builds without embeds.
func writeEmbed(opts Options, stage string, a web.Assets, index *page, pages []*page, res *Result, logf func(string, ...any)) error {
	if _, err := os.Stat(filepath.Join(opts.Root, embedEntry)); err != nil {
		logf("no %s: building without embed.js and the /%s/ pages", embedEntry, embedDir)
		return nil
	}
	js, err := bundleEmbed(opts.Root, a)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(stage, strings.TrimPrefix(web.EmbedScript, "/")), js, 0o644); err != nil {
		return err
	}
	res.EmbedBytes = int64(len(js))
	if res.EmbedBrotli, err = brotliSize(js, opts.BrotliLevel); err != nil {
		return err
	}
	frameCSS, _, err := bundle(opts.Root, embedFrameEntry, filepath.Join(stage, assetsDir))
	if err != nil {
		return err
	}
	files, err := renderEmbedPages(a, "/"+assetsDir+"/"+frameCSS, index, pages)
	if err != nil {
		return err
	}
	for _, f := range files {
		dst := filepath.Join(stage, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, f.data, 0o644); err != nil {
			return err
		}
		res.EmbedPages = append(res.EmbedPages, f.url)
	}
	over := ""
	if res.EmbedBrotli > EmbedBudget {
		over = " — OVER BUDGET"
	}
	logf("embed.js %.1f KB, %.1f KB brotli-%d (budget %d KB)%s; %d iframe pages under /%s/",
		float64(res.EmbedBytes)/1024, float64(res.EmbedBrotli)/1024, opts.BrotliLevel, EmbedBudget>>10, over, len(files), embedDir)
	return nil
}

// liveBlocks reads a page's live blocks the way the page renders them (parseFenceInfo,
// blockText), so that /embed/<slug>/<n>/ is block n of the page, and its title (the front
// matter's, else its first heading).
func liveBlocks(p *page) (string, []web.EmbedBlock, error) {
	doc := goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser().Parse(text.NewReader(p.body))
	title := p.title
	var blocks []web.EmbedBlock
	var err error
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			if title == "" && n.Level == 1 {
				title = headingText(n, p.body)
			}
		case *ast.FencedCodeBlock:
			var info string
			if n.Info != nil {
				info = string(n.Info.Segment.Value(p.body))
			}
			fi, ferr := parseFenceInfo(info)
			if ferr != nil {
				err = fmt.Errorf("content/%s: %w", p.file, ferr)
				return ast.WalkStop, nil
			}
			if fi.live {
				src := blockText(n, p.body)
				blocks = append(blocks, web.EmbedBlock{Place: fi.place, Source: src, Tokens: highlight("sh", src)})
			}
		}
		return ast.WalkContinue, nil
	})
	return title, blocks, err
}

// renderEmbedPages renders the iframe pages and their list. Like renderSite it has no side
// effects. frameCSS is the URL of the frame pages' stylesheet.
func renderEmbedPages(a web.Assets, frameCSS string, index *page, pages []*page) ([]outFile, error) {
	all := pages
	if index != nil {
		all = append([]*page{index}, pages...)
	}
	var files []outFile
	render := func(c templ.Component, url string) error {
		var b bytes.Buffer
		if err := c.Render(context.Background(), &b); err != nil {
			return fmt.Errorf("site: rendering %s: %w", url, err)
		}
		files = append(files, outFile{path: strings.TrimPrefix(url, "/") + "index.html", url: url, data: b.Bytes()})
		return nil
	}
	nav := []web.NavItem{{Link: web.Link{Title: "Start here", URL: "/"}}}
	var list []web.EmbedListPage
	var guide *web.Link
	for _, p := range all {
		slug := p.slug
		if p == index {
			slug = embedIndexSlug
		} else if p.slug == embedIndexSlug {
			return nil, fmt.Errorf("content/%s: slug %q is reserved: /%s/%s/ holds the home page's blocks", p.file, p.slug, embedDir, embedIndexSlug)
		}
		title, blocks, err := liveBlocks(p)
		if err != nil {
			return nil, err
		}
		if title == "" {
			title = web.SiteTitle
		}
		if p != index {
			nav = append(nav, web.NavItem{Link: web.Link{Title: title, URL: p.url}, Summary: p.summary})
			if p.slug == "embedding" {
				guide = &web.Link{Title: title, URL: p.url}
			}
		}
		entry := web.EmbedListPage{Link: web.Link{Title: title, URL: p.url}}
		for i, b := range blocks {
			url := fmt.Sprintf("/%s/%s/%d/", embedDir, slug, i+1)
			first, _, _ := strings.Cut(b.Source, "\n")
			entry.Blocks = append(entry.Blocks, web.EmbedListBlock{N: i + 1, URL: url, Place: b.Place, First: first})
			f := web.EmbedFrameData{
				Title:    fmt.Sprintf("Command %d of %s · %s", i+1, title, web.SiteTitle),
				Block:    b,
				Setup:    blocks[:i],
				Source:   &web.Link{Title: title, URL: p.url},
				FrameCSS: frameCSS,
			}
			if err := render(web.EmbedFrame(a, f), url); err != nil {
				return nil, err
			}
		}
		if len(blocks) > 0 {
			list = append(list, entry)
		}
	}
	code := web.EmbedFrameData{
		Title:    "A command · " + web.SiteTitle,
		Block:    web.EmbedBlock{Place: imds.OnInstance, Source: defaultCode, Tokens: highlight("sh", defaultCode)},
		FromURL:  true,
		FrameCSS: frameCSS,
	}
	if err := render(web.EmbedFrame(a, code), "/"+path.Join(embedDir, embedCodePath)+"/"); err != nil {
		return nil, err
	}
	listPage := web.Page{Title: "Embeddable command blocks", Slug: embedDir, Body: web.EmbedList(list, guide)}
	if err := render(web.DocPage(a, nav, listPage), "/"+embedDir+"/"); err != nil {
		return nil, err
	}
	return files, nil
}

// embedFence renders the embedding page's example blocks: ```html embed (embed.js and a block),
// ```html iframe (an iframe page) and ```html snippet (shown only). The snippet shown and the
// live markup are made from the same text, the one with the site's origin and the other with
// site-relative URLs, so what a reader copies is what the page runs. ok is false for any other
// block.
func embedFence(info, src string) (c templ.Component, ok bool, err error) {
	f := strings.Fields(info)
	if len(f) != 2 || f[0] != "html" {
		return nil, false, nil
	}
	kind := map[string]string{"embed": "script", "iframe": "iframe", "snippet": "snippet"}[f[1]]
	switch {
	case kind == "":
		return nil, false, nil
	case kind == "script" && !strings.Contains(src, "data-imds") && !strings.Contains(src, "<imds-example"):
		return nil, true, fmt.Errorf("code block info %q: the snippet has no <pre data-imds> or <imds-example>", info)
	case kind == "script" && strings.Contains(src, "<script") && !strings.Contains(src, `<script src="`+originPlaceholder+web.EmbedScript+`"`):
		return nil, true, fmt.Errorf("code block info %q: the only script a snippet may load is %s%s", info, originPlaceholder, web.EmbedScript)
	case kind == "iframe" && !strings.Contains(src, originPlaceholder+"/"+embedDir+"/"):
		return nil, true, fmt.Errorf("code block info %q: the snippet must frame a page under %s/%s/", info, originPlaceholder, embedDir)
	}
	sum := sha256.Sum256([]byte(src))
	x := web.EmbedExampleData{ID: "embed-" + hex.EncodeToString(sum[:4]), Kind: kind}
	origin := snippetOrigin()
	for i, part := range strings.Split(src, originPlaceholder) {
		if i > 0 {
			x.Snippet = append(x.Snippet, web.EmbedSnippetRun{Text: origin, Origin: true})
		}
		if part != "" {
			x.Snippet = append(x.Snippet, web.EmbedSnippetRun{Text: part})
		}
	}
	if kind != "snippet" {
		x.Live = templ.Raw(liveMarkup(src))
	}
	return web.EmbedExample(x), true, nil
}

// liveMarkup is an example's markup as the embedding page itself uses it: site-relative URLs.
func liveMarkup(src string) string { return strings.ReplaceAll(src, originPlaceholder, "") }
