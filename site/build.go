package site

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/evanw/esbuild/pkg/api"

	"github.com/imdsplay/imdsplay/web"
)

// Options configures [Build]. The zero value builds ./content into ./public
// from the current directory, wasm included.
type Options struct {
	// Out is the output directory; "" means "public". Build replaces it as a
	// whole, and refuses to when it holds files it did not write.
	Out string

	// Content holds the *.md pages; nil means the content directory under Root.
	Content fs.FS

	// Root is the repository root: web/ts/main.ts, web/css/site.css and the
	// ./wasm package are found there. "" means the current directory.
	Root string

	// Log receives a line per step; nil discards it.
	Log io.Writer

	// SkipWasm builds the pages and the scripts without compiling ./wasm. The
	// pages then carry no imds-wasm meta element, and the runtime stays inert.
	SkipWasm bool

	// Go is the go command used to compile the wasm and to find the wasm_exec.js
	// that the engine's worker bundles;
	// "" means "go" on PATH.
	Go string

	// BrotliLevel is the quality (1–11) of the precompressed wasm; 0 means 9.
	// Measured on a 9.5 MB wasm on two cores: 9 takes 2 s for 2.11 MB, 11
	// takes 26 s for 1.85 MB. CDNs compressing on the fly use middling levels,
	// so 9 is also the honest figure for the size budget.
	BrotliLevel int
}

// Result describes a finished build.
type Result struct {
	Out        string     // the output directory
	Pages      []string   // URL path of every page, "/" first, in reading order
	LiveBlocks int        // live blocks over all pages
	Assets     web.Assets // public URLs of the hashed assets
	WasmBytes  int64      // size of the wasm; 0 with SkipWasm
	WasmBrotli int64      // its size compressed with brotli at Options.BrotliLevel
	Took       time.Duration

	// The embed (embed.go); zero without web/ts/embed.ts.
	EmbedBytes  int64    // size of /embed.js, its stylesheet inside
	EmbedBrotli int64    // its size compressed with brotli at Options.BrotliLevel
	EmbedPages  []string // URL path of every /embed/… page
}

// Build renders the site described by opts. See the package documentation
// for what it writes.
func Build(ctx context.Context, opts Options) (*Result, error) {
	return build(ctx, opts, nil)
}

// devBuild is what the dev server shares across rebuilds: the last wasm, so
// that a content change does not recompile it, and the lock that keeps the
// handler from looking up files while the output directory is swapped.
type devBuild struct {
	cache *wasmCache
	mu    *sync.RWMutex
}

// build is Build, optionally for the dev server (dev != nil).
func build(ctx context.Context, opts Options, dev *devBuild) (*Result, error) {
	var cache *wasmCache
	if dev != nil {
		cache = dev.cache
	}
	start := time.Now()
	opts = opts.withDefaults()
	logf := func(format string, args ...any) { fmt.Fprintf(opts.Log, "site: "+format+"\n", args...) }

	index, pages, err := loadPages(opts.Content)
	if err != nil {
		return nil, err
	}

	absOut, err := filepath.Abs(opts.Out)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(absOut), 0o755); err != nil {
		return nil, err
	}
	stage, err := os.MkdirTemp(filepath.Dir(absOut), "."+filepath.Base(absOut)+"-build-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage) // a no-op once it has been renamed into place
	if err := os.Chmod(stage, 0o755); err != nil {
		return nil, err
	}

	res := &Result{Out: opts.Out}
	if res.Assets, err = writeAssets(ctx, opts, stage, cache, res, logf); err != nil {
		return nil, err
	}

	files, err := renderSite(res.Assets, index, pages)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		dst := filepath.Join(stage, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(dst, f.data, 0o644); err != nil {
			return nil, err
		}
		if f.url != "" {
			res.Pages = append(res.Pages, f.url)
		}
		res.LiveBlocks += f.blocks
	}
	if err := writeEmbed(opts, stage, res.Assets, index, pages, res, logf); err != nil {
		return nil, err
	}
	marker := "Written by `imds site build`. The whole directory is replaced on every build.\n"
	if err := os.WriteFile(filepath.Join(stage, markerFile), []byte(marker), 0o644); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if dev != nil {
		dev.mu.Lock()
	}
	err = replaceDir(stage, absOut)
	if dev != nil {
		dev.mu.Unlock()
	}
	if err != nil {
		return nil, err
	}
	res.Took = time.Since(start)
	wasmNote := "without wasm"
	if res.WasmBytes > 0 {
		wasmNote = fmt.Sprintf("wasm %s, %s brotli-%d", mb(res.WasmBytes), mb(res.WasmBrotli), opts.BrotliLevel)
	}
	logf("%d pages, %d live blocks, %s → %s (%s)", len(res.Pages), res.LiveBlocks, wasmNote, opts.Out, res.Took.Round(time.Millisecond))
	return res, nil
}

func (o Options) withDefaults() Options {
	if o.Out == "" {
		o.Out = "public"
	}
	if o.Root == "" {
		o.Root = "."
	}
	if o.Content == nil {
		o.Content = os.DirFS(filepath.Join(o.Root, "content"))
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Go == "" {
		o.Go = "go"
	}
	if o.BrotliLevel <= 0 || o.BrotliLevel > 11 {
		o.BrotliLevel = 9
	}
	return o
}

func mb(n int64) string { return fmt.Sprintf("%.2f MB", float64(n)/1e6) }

// wasmCache keeps the last compiled wasm for the dev server.
type wasmCache struct {
	art  *wasmArtifact
	keys []byte // the prepared emulator keys, kept across rebuilds so open tabs stay valid
}

// writeAssets writes every hashed asset into stage/assets and returns their URLs.
func writeAssets(ctx context.Context, opts Options, stage string, cache *wasmCache, res *Result, logf func(string, ...any)) (web.Assets, error) {
	var a web.Assets
	dir := filepath.Join(stage, assetsDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return a, err
	}
	url := func(name string) string { return "/" + assetsDir + "/" + name }

	for _, e := range []struct {
		entry string
		dst   *string
	}{{scriptEntry, &a.Script}, {styleEntry, &a.CSS}} {
		name, warnings, err := bundle(opts.Root, e.entry, dir)
		if err != nil {
			return a, err
		}
		for _, w := range warnings {
			logf("esbuild warning: %s", formatMessages([]api.Message{w}))
		}
		*e.dst = url(name)
	}

	icon, err := writeHashed(dir, "icon.svg", []byte(favicon))
	if err != nil {
		return a, err
	}
	a.Icon = url(icon)

	execJS, err := wasmExecJS(ctx, opts.Go)
	if err != nil {
		return a, err
	}
	if execJS, err = minifyJS(execJS); err != nil {
		return a, err
	}
	worker, err := bundleWorker(opts.Root, execJS)
	if err != nil {
		return a, err
	}
	name, err := writeHashed(dir, "worker.js", worker)
	if err != nil {
		return a, err
	}
	a.Worker = url(name)

	boot, err := bundleScript(opts.Root, bootEntry, nil)
	if err != nil {
		return a, err
	}
	if err := checkBootScript(opts.Root, boot); err != nil {
		return a, err
	}
	a.Boot = string(boot)

	if opts.SkipWasm {
		return a, nil
	}
	var art *wasmArtifact
	if cache != nil && cache.art != nil {
		art = cache.art
	} else {
		logf("compiling %s for GOOS=js GOARCH=wasm and compressing it (brotli %d)…", wasmPkg, opts.BrotliLevel)
		if art, err = buildWasm(ctx, opts.Go, opts.Root, opts.BrotliLevel); err != nil {
			return a, err
		}
		if cache != nil {
			cache.art = art
		}
	}
	name, err = writeHashed(dir, "imds.wasm", art.wasm)
	if err != nil {
		return a, err
	}
	// The .br beside it documents the transfer size; hosts that compress on
	// the fly (Netlify does) ignore it, the local server serves it.
	if err := os.WriteFile(filepath.Join(dir, name+".br"), art.brotli, 0o644); err != nil {
		return a, err
	}
	a.Wasm = url(name)

	var keys []byte
	if cache != nil && cache.keys != nil {
		keys = cache.keys
	} else if keys, err = emulatorKeys(); err != nil {
		return a, err
	}
	if cache != nil {
		cache.keys = keys
	}
	if name, err = writeHashed(dir, "keys.json", keys); err != nil {
		return a, err
	}
	a.Keys = url(name)
	res.WasmBytes, res.WasmBrotli = int64(len(art.wasm)), int64(len(art.brotli))
	return a, nil
}

// outFile is one rendered HTML file.
type outFile struct {
	path   string // slash-separated, relative to the output root
	url    string // the URL it is served at, "" for 404.html
	data   []byte
	blocks int
}

// renderSite renders every page, the index and the 404 page. It has no side
// effects, so tests (the golden file among them) can call it with fixed assets.
func renderSite(a web.Assets, index *page, pages []*page) ([]outFile, error) {
	urls := map[string]string{}
	for _, p := range pages {
		urls[p.file] = p.url
	}
	if index != nil {
		urls[index.file] = "/"
	}

	all := pages
	if index != nil {
		all = append([]*page{index}, pages...)
	}
	docs := make([]*rendered, len(all))
	for i, p := range all {
		r, err := renderMarkdown(p, urls)
		if err != nil {
			return nil, err
		}
		if p.title == "" {
			p.title = r.h1
		}
		if p.title == "" && p != index {
			return nil, fmt.Errorf("content/%s: no title: give one in the front matter or start with a # heading", p.file)
		}
		docs[i] = r
	}

	nav := []web.NavItem{{Link: web.Link{Title: "Start here", URL: "/"}}}
	for _, p := range pages {
		nav = append(nav, web.NavItem{Link: web.Link{Title: p.title, URL: p.url}, Summary: p.summary})
	}
	navFor := func(url string) []web.NavItem {
		n := append([]web.NavItem(nil), nav...)
		for i := range n {
			n[i].Current = n[i].URL == url
		}
		return n
	}
	link := func(i int) *web.Link {
		if i < 0 || i >= len(nav) {
			return nil
		}
		return &nav[i].Link
	}

	var files []outFile
	render := func(c templ.Component, file, url string, blocks int) error {
		var b bytes.Buffer
		if err := c.Render(context.Background(), &b); err != nil {
			return fmt.Errorf("site: rendering %s: %w", file, err)
		}
		files = append(files, outFile{path: file, url: url, data: b.Bytes(), blocks: blocks})
		return nil
	}

	// The index: nav position 0.
	ip := web.Page{Title: web.SiteTitle, Next: link(1)}
	blocks := 0
	if index != nil {
		r := docs[0]
		ip.Body, ip.OwnH1, ip.Summary = templ.Raw(string(r.html)), r.ownH1, index.summary
		if index.title != "" {
			ip.Title = index.title
		}
		blocks = r.blocks
		docs = docs[1:]
	}
	if err := render(web.IndexPage(a, navFor("/"), ip), "index.html", "/", blocks); err != nil {
		return nil, err
	}

	for i, p := range pages {
		r := docs[i]
		wp := web.Page{
			Title:   p.title,
			Summary: p.summary,
			Slug:    p.slug,
			OwnH1:   r.ownH1,
			Body:    templ.Raw(string(r.html)),
			Prev:    link(i),
			Next:    link(i + 2),
		}
		if err := render(web.DocPage(a, navFor(p.url), wp), path.Join(p.slug, "index.html"), p.url, r.blocks); err != nil {
			return nil, err
		}
	}
	if err := render(web.NotFoundPage(a, navFor("")), "404.html", "", 0); err != nil {
		return nil, err
	}
	return files, nil
}
