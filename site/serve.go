package site

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/andybalholm/brotli"
)

// NewHandler serves the built site in dir the way Netlify serves the publish
// directory: files by path, /dir/ from dir/index.html, /name from name.html,
// /dir redirected to /dir/, the [[redirects]] of cfg, 404.html for anything
// else, and on every response the [[headers]] of cfg for the request path.
// A nil cfg applies no rules. Dotfiles are never served.
//
// Text is compressed as Netlify's CDN compresses it: a response whose type is
// text (HTML, CSS, JavaScript, JSON, SVG, …) goes out with brotli when the
// client accepts it, else gzip, else as it is; and when a precompressed
// name.br sits beside a file (the wasm), a client that accepts brotli gets
// that, compressed once at the build's level rather than on every request.
func NewHandler(dir string, cfg *NetlifyConfig) http.Handler {
	if cfg == nil {
		cfg = &NetlifyConfig{}
	}
	h := &handler{dir: dir, mu: &sync.RWMutex{}}
	h.cfg.Store(cfg)
	return h
}

// handler implements NewHandler. mu is held for reading while a file is
// looked up and opened, and for writing while Serve swaps in a new build.
type handler struct {
	dir string
	mu  *sync.RWMutex
	cfg atomicConfig
}

// atomicConfig is a NetlifyConfig that Serve can replace while serving.
type atomicConfig struct {
	mu sync.Mutex
	c  *NetlifyConfig
}

func (a *atomicConfig) Load() *NetlifyConfig {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.c
}

func (a *atomicConfig) Store(c *NetlifyConfig) {
	a.mu.Lock()
	a.c = c
	a.mu.Unlock()
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cfg := h.cfg.Load()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	for k, v := range cfg.HeadersFor(p) {
		w.Header()[k] = v
	}

	if rd, to := cfg.matchRedirect(p, true); rd != nil {
		h.redirect(w, r, rd, to)
		return
	}
	name, isDir := h.lookup(p)
	switch {
	case name != "":
		h.serveFile(w, r, name, http.StatusOK)
		return
	case isDir:
		target := p + "/"
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusMovedPermanently)
		return
	}
	if rd, to := cfg.matchRedirect(p, false); rd != nil {
		h.redirect(w, r, rd, to)
		return
	}
	if name, _ := h.lookup("/404.html"); name != "" {
		h.serveFile(w, r, name, http.StatusNotFound)
		return
	}
	http.NotFound(w, r)
}

// redirect applies one [[redirects]] rule.
func (h *handler) redirect(w http.ResponseWriter, r *http.Request, rd *Redirect, to string) {
	switch rd.Status {
	case http.StatusOK, http.StatusNotFound:
		if name, _ := h.lookup(to); name != "" {
			h.serveFile(w, r, name, rd.Status)
			return
		}
		http.NotFound(w, r)
	default:
		http.Redirect(w, r, to, rd.Status)
	}
}

// lookup maps a URL path to a file name under h.dir ("" if none), and reports
// whether the path names a directory without its trailing slash.
func (h *handler) lookup(p string) (name string, isDir bool) {
	clean := path.Clean(p)
	for _, seg := range strings.Split(clean, "/") {
		if strings.HasPrefix(seg, ".") {
			return "", false
		}
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	stat := func(rel string) (fs.FileInfo, bool) {
		fi, err := os.Stat(filepath.Join(h.dir, filepath.FromSlash(rel)))
		return fi, err == nil
	}
	if strings.HasSuffix(p, "/") {
		if fi, ok := stat(path.Join(clean, "index.html")); ok && fi.Mode().IsRegular() {
			return path.Join(clean, "index.html"), false
		}
		return "", false
	}
	if fi, ok := stat(clean); ok {
		if fi.IsDir() {
			_, hasIndex := stat(path.Join(clean, "index.html"))
			return "", hasIndex
		}
		if fi.Mode().IsRegular() {
			return clean, false
		}
	}
	if fi, ok := stat(clean + ".html"); ok && fi.Mode().IsRegular() {
		return clean + ".html", false
	}
	return "", false
}

// serveFile sends one file with the given status. Content-Type comes from the
// extension unless a header rule already set it.
func (h *handler) serveFile(w http.ResponseWriter, r *http.Request, name string, status int) {
	if w.Header().Get("Content-Type") == "" {
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			ct = "application/octet-stream"
		}
		w.Header().Set("Content-Type", ct)
	}
	h.mu.RLock()
	f, err := os.Open(filepath.Join(h.dir, filepath.FromSlash(name)))
	var br *os.File
	if err == nil && acceptsBrotli(r) {
		if b, err := os.Open(filepath.Join(h.dir, filepath.FromSlash(name)+".br")); err == nil {
			br = b
		}
	}
	h.mu.RUnlock()
	if err != nil {
		http.Error(w, "cannot open "+name, http.StatusInternalServerError)
		return
	}
	defer f.Close()
	if br != nil {
		defer br.Close()
		w.Header().Set("Content-Encoding", "br")
		w.Header().Add("Vary", "Accept-Encoding")
		f = br
	} else if compressible(w.Header().Get("Content-Type")) {
		w.Header().Add("Vary", "Accept-Encoding")
		if enc := negotiate(r); enc != "" && r.Header.Get("Range") == "" {
			cw := &compressWriter{ResponseWriter: w, enc: enc}
			defer cw.Close()
			w = cw
		}
	}
	fi, err := f.Stat()
	if err != nil {
		http.Error(w, "cannot stat "+name, http.StatusInternalServerError)
		return
	}
	if status == http.StatusOK {
		http.ServeContent(w, r, "", fi.ModTime(), f)
		return
	}
	w.Header().Set("Content-Length", fmt.Sprint(fi.Size()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = io.Copy(w, f)
	}
}

// compressible reports whether a content type is text, which a CDN compresses
// on the fly; images, fonts and the wasm (which has its .br) are left alone.
func compressible(contentType string) bool {
	ct, _, _ := strings.Cut(contentType, ";")
	ct = strings.TrimSpace(strings.ToLower(ct))
	switch ct {
	case "application/javascript", "application/json", "application/xml", "image/svg+xml", "application/manifest+json":
		return true
	}
	return strings.HasPrefix(ct, "text/")
}

// negotiate picks the encoding for a compressible response: "br" when the
// client accepts brotli, else "gzip" when it accepts gzip, else "".
func negotiate(r *http.Request) string {
	if acceptsBrotli(r) {
		return "br"
	}
	if accepts(r, "gzip") {
		return "gzip"
	}
	return ""
}

// compressLevel is the brotli quality of on-the-fly compression: a middling
// level, as CDNs use for responses they compress as they send them.
const compressLevel = 5

// compressWriter compresses the body written through it with enc ("br" or
// "gzip"). A response that has no body (a 304, a 204) goes out as it is.
type compressWriter struct {
	http.ResponseWriter
	enc         string
	wroteHeader bool
	encoding    bool
	w           io.WriteCloser
}

// WriteHeader implements http.ResponseWriter: a body to compress has no
// length known in advance.
func (c *compressWriter) WriteHeader(code int) {
	if c.wroteHeader {
		return
	}
	c.wroteHeader = true
	if code >= 200 && code != http.StatusNoContent && code != http.StatusNotModified {
		c.encoding = true
		c.Header().Set("Content-Encoding", c.enc)
		c.Header().Del("Content-Length")
	}
	c.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (c *compressWriter) Write(b []byte) (int, error) {
	if !c.wroteHeader {
		c.WriteHeader(http.StatusOK)
	}
	if !c.encoding {
		return c.ResponseWriter.Write(b)
	}
	if c.w == nil {
		if c.enc == "br" {
			c.w = brotli.NewWriterLevel(c.ResponseWriter, compressLevel)
		} else {
			c.w = gzip.NewWriter(c.ResponseWriter)
		}
	}
	return c.w.Write(b)
}

// Close ends the compressed stream, if a body was written.
func (c *compressWriter) Close() error {
	if c.w == nil {
		return nil
	}
	return c.w.Close()
}

func acceptsBrotli(r *http.Request) bool { return accepts(r, "br") }

// accepts reports whether Accept-Encoding lists enc without q=0.
func accepts(r *http.Request, enc string) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		e, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(e) == enc && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// ServeOptions configures [Serve]. The zero value builds ./content into
// ./public and serves it on 127.0.0.1:8080.
type ServeOptions struct {
	// Addr is the address to listen on; "" means 127.0.0.1:8080.
	Addr string
	// Listener, if set, is used instead of listening on Addr.
	Listener net.Listener
	// Out, Root, Log, SkipWasm, Go and BrotliLevel are as in [Options].
	// Content is always Root/content, so that changes can be watched.
	Out         string
	Root        string
	Log         io.Writer
	SkipWasm    bool
	Go          string
	BrotliLevel int
	// NoBuild serves Out as it is: no build at start, no rebuilds.
	NoBuild bool
	// Config is the netlify.toml to apply; "" means Root/netlify.toml.
	Config string
	// Interval is how often sources are checked for changes; 0 means 500ms.
	Interval time.Duration
}

// Serve builds the site, serves it with the headers and redirects of
// netlify.toml, and rebuilds whenever a file under content/ or web/ changes
// (and recompiles the wasm when Go sources under wasm/, imds/ or shell/ do).
// A failed rebuild is logged and the previous build stays online. Changes to
// web/*.templ need `make generate` and a restart: templ compiles to Go, which
// is part of the running binary. Serve returns when ctx is done.
func Serve(ctx context.Context, opts ServeOptions) error {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:8080"
	}
	if opts.Root == "" {
		opts.Root = "."
	}
	if opts.Out == "" {
		opts.Out = "public"
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.Config == "" {
		opts.Config = filepath.Join(opts.Root, "netlify.toml")
	}
	if opts.Interval <= 0 {
		opts.Interval = 500 * time.Millisecond
	}
	logf := func(format string, args ...any) { fmt.Fprintf(opts.Log, "site: "+format+"\n", args...) }
	bopts := Options{Out: opts.Out, Root: opts.Root, Log: opts.Log, SkipWasm: opts.SkipWasm, Go: opts.Go, BrotliLevel: opts.BrotliLevel}

	cfg, err := readNetlify(opts.Config)
	if err != nil {
		return err
	}
	h := NewHandler(opts.Out, cfg).(*handler)
	dev := &devBuild{cache: &wasmCache{}, mu: h.mu}
	if !opts.NoBuild {
		if _, err := build(ctx, bopts, dev); err != nil {
			return err
		}
	}

	ln := opts.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", opts.Addr); err != nil {
			return err
		}
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	watching := "; not watching for changes"
	if !opts.NoBuild {
		watching = "; rebuilding on changes to content/ and web/"
	}
	logf("serving %s at http://%s/%s", opts.Out, ln.Addr(), watching)

	if !opts.NoBuild {
		go watch(ctx, opts, bopts, dev, h, logf)
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func readNetlify(file string) (*NetlifyConfig, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("site: %w", err)
	}
	return ParseNetlify(data)
}

// watch polls the sources and rebuilds on change until ctx is done.
func watch(ctx context.Context, opts ServeOptions, bopts Options, dev *devBuild, h *handler, logf func(string, ...any)) {
	roots := map[string]string{ // directory → what a change there means
		"content": "site", "web": "site",
		"wasm": "wasm", "imds": "wasm", "shell": "wasm",
	}
	prev := snapshot(opts.Root, roots, opts.Config)
	t := time.NewTicker(opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cur := snapshot(opts.Root, roots, opts.Config)
		changed := diff(prev, cur)
		prev = cur
		if len(changed) == 0 {
			continue
		}
		rebuild, rewasm, reconfig := false, false, false
		for _, c := range changed {
			switch {
			case c == opts.Config:
				reconfig = true
			case strings.HasSuffix(c, ".templ") || strings.HasSuffix(c, "_templ.go"):
				logf("%s changed: run `make generate` and restart serve to see it (templ compiles into the binary)", c)
			case roots[strings.SplitN(c, "/", 2)[0]] == "wasm":
				if strings.HasSuffix(c, ".go") && !opts.SkipWasm {
					rewasm, rebuild = true, true
				}
			default:
				rebuild = true
			}
		}
		if reconfig {
			if cfg, err := readNetlify(opts.Config); err != nil {
				logf("netlify.toml: %v; keeping the previous rules", err)
			} else {
				h.cfg.Store(cfg)
				logf("netlify.toml reloaded")
			}
		}
		if !rebuild {
			continue
		}
		if rewasm {
			dev.cache.art = nil
		}
		what := changed[0]
		if len(changed) > 1 {
			what = fmt.Sprintf("%s and %d more", changed[0], len(changed)-1)
		}
		start := time.Now()
		if _, err := build(ctx, bopts, dev); err != nil {
			if ctx.Err() != nil {
				return
			}
			logf("rebuild after %s changed failed; still serving the previous build:\n%v", what, err)
			continue
		}
		logf("%s changed: rebuilt in %s", what, time.Since(start).Round(time.Millisecond))
	}
}

// fileStamp is what the poller compares.
type fileStamp struct {
	mod  time.Time
	size int64
}

// snapshot records the stamps of every file under the watched directories
// (paths relative to root, slash-separated) plus extra files (as given).
func snapshot(root string, dirs map[string]string, extra ...string) map[string]fileStamp {
	s := map[string]fileStamp{}
	for dir := range dirs {
		base := filepath.Join(root, dir)
		_ = filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			fi, err := d.Info()
			if err != nil {
				return nil
			}
			rel, _ := filepath.Rel(root, p)
			s[filepath.ToSlash(rel)] = fileStamp{fi.ModTime(), fi.Size()}
			return nil
		})
	}
	for _, f := range extra {
		if fi, err := os.Stat(f); err == nil {
			s[f] = fileStamp{fi.ModTime(), fi.Size()}
		}
	}
	return s
}

// diff lists the names added, removed or changed between two snapshots.
func diff(a, b map[string]fileStamp) []string {
	var out []string
	for k, v := range b {
		if w, ok := a[k]; !ok || w != v {
			out = append(out, k)
		}
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
