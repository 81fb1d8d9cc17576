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
	"net/url"
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
// A nil cfg applies no rules. The request path is cleaned once ([CleanPath])
// and that one path chooses the headers, the file and any redirect; a
// redirect never leads to another host. Dotfiles are never served, nor
// anything a symlink reaches outside dir.
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
	// One path decides everything: the headers, the file and any redirect.
	// Choosing them from different spellings of the path is how a page came to
	// be served with another path's headers.
	p := CleanPath(r.URL.Path)
	rp := rulePath(p)
	for k, v := range cfg.HeadersFor(rp) {
		w.Header()[k] = v
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}

	if rd, to := cfg.matchRedirect(rp, true); rd != nil {
		h.redirect(w, r, rd, to)
		return
	}
	f := h.find(p, acceptsBrotli(r))
	switch {
	case f.file != nil:
		h.serveFile(w, r, f, http.StatusOK)
		return
	case f.isDir:
		target := (&url.URL{Path: p + "/", RawQuery: r.URL.RawQuery}).String()
		sendRedirect(w, r, target, http.StatusMovedPermanently)
		return
	}
	if rd, to := cfg.matchRedirect(rp, false); rd != nil {
		h.redirect(w, r, rd, to)
		return
	}
	h.notFound(w, r)
}

// CleanPath is the one normalisation of a request path that [NewHandler]
// applies before it chooses the file, the headers and any redirect: p is the
// decoded path (net/url has already turned %2F into /), dot segments are
// resolved, runs of slashes become one, and a trailing slash is kept. The
// result always starts with exactly one "/".
func CleanPath(p string) string {
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	c := path.Clean(p)
	if c != "/" && strings.HasSuffix(p, "/") {
		c += "/"
	}
	return c
}

// rulePath spells a cleaned path as it goes on the wire, percent-encoded, for
// matching against netlify.toml's rules: that is how Netlify's matcher sees a
// URL's path, and it keeps control characters (which a pattern's "*" does not
// match) out of it.
func rulePath(clean string) string { return (&url.URL{Path: clean}).EscapedPath() }

// notFound serves the site's 404 page, or a plain 404 if the build has none.
func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	if f := h.find("/404.html", acceptsBrotli(r)); f.file != nil {
		h.serveFile(w, r, f, http.StatusNotFound)
		return
	}
	http.NotFound(w, r)
}

// redirect applies one [[redirects]] rule.
func (h *handler) redirect(w http.ResponseWriter, r *http.Request, rd *Redirect, to string) {
	switch rd.Status {
	case http.StatusOK, http.StatusNotFound:
		if u, err := url.PathUnescape(to); err == nil {
			to = u
		}
		if f := h.find(CleanPath(to), acceptsBrotli(r)); f.file != nil {
			h.serveFile(w, r, f, rd.Status)
			return
		}
		http.NotFound(w, r)
	default:
		sendRedirect(w, r, to, rd.Status)
	}
}

// sendRedirect answers with a redirect to target, which is either a path on
// this host or the absolute URL a rule names. A target that starts with "/"
// but that a browser would read as another host ("//host", "/\host") is
// refused with a 404 rather than sent.
func sendRedirect(w http.ResponseWriter, r *http.Request, target string, status int) {
	if strings.HasPrefix(target, "/") && len(target) > 1 && (target[1] == '/' || target[1] == '\\') {
		http.NotFound(w, r)
		return
	}
	http.Redirect(w, r, target, status)
}

// found is what a cleaned request path names in the publish directory.
type found struct {
	name  string   // the file's slash-separated path, "" if none
	file  *os.File // the file, open; nil if none
	br    *os.File // its precompressed name.br twin, if asked for and present
	isDir bool     // the path names a directory with a page, without its trailing slash
}

// find maps a cleaned URL path to a file of the build and opens it (and its
// .br twin when withBrotli). Every name is resolved through an [os.Root]: a
// symlink in the publish directory that points out of it names nothing.
// Dotfiles name nothing either.
func (h *handler) find(p string, withBrotli bool) found {
	for _, seg := range strings.Split(p, "/") {
		if strings.HasPrefix(seg, ".") {
			return found{}
		}
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	root, err := os.OpenRoot(h.dir)
	if err != nil {
		return found{}
	}
	defer root.Close()
	rel := func(name string) string {
		if name = strings.Trim(name, "/"); name == "" {
			return "."
		}
		return name
	}
	regular := func(name string) bool {
		fi, err := root.Stat(rel(name))
		return err == nil && fi.Mode().IsRegular()
	}
	name := ""
	switch dir := strings.TrimSuffix(p, "/"); {
	case strings.HasSuffix(p, "/"):
		if regular(dir + "/index.html") {
			name = dir + "/index.html"
		}
	case regular(p):
		name = p
	default:
		if fi, err := root.Stat(rel(p)); err == nil && fi.IsDir() {
			return found{isDir: regular(p + "/index.html")}
		}
		if regular(p + ".html") {
			name = p + ".html"
		}
	}
	if name == "" {
		return found{}
	}
	f, err := root.Open(rel(name))
	if err != nil {
		return found{}
	}
	res := found{name: name, file: f}
	if withBrotli {
		if b, err := root.Open(rel(name) + ".br"); err == nil {
			res.br = b
		}
	}
	return res
}

// serveFile sends a file found by find with the given status, and closes it.
// Content-Type comes from the extension unless a header rule already set it.
func (h *handler) serveFile(w http.ResponseWriter, r *http.Request, fd found, status int) {
	f := fd.file
	defer f.Close()
	if w.Header().Get("Content-Type") == "" {
		ct := mime.TypeByExtension(path.Ext(fd.name))
		if ct == "" {
			ct = "application/octet-stream"
		}
		w.Header().Set("Content-Type", ct)
	}
	if fd.br != nil {
		defer fd.br.Close()
		w.Header().Set("Content-Encoding", "br")
		w.Header().Add("Vary", "Accept-Encoding")
		f = fd.br
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
		http.Error(w, "cannot stat "+fd.name, http.StatusInternalServerError)
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
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout bound every
	// connection as the fields of [http.Server] do, so that a client that
	// trickles its request, never reads its answer or keeps an idle
	// connection open cannot hold a descriptor for long. 0 means 10s, 30s,
	// 2m (the wasm, several MB, must fit) and 60s.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
}

// withDefault returns d, or def when d is 0.
func withDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
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
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: withDefault(opts.ReadHeaderTimeout, 10*time.Second),
		ReadTimeout:       withDefault(opts.ReadTimeout, 30*time.Second),
		WriteTimeout:      withDefault(opts.WriteTimeout, 2*time.Minute),
		IdleTimeout:       withDefault(opts.IdleTimeout, time.Minute),
	}
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
