package site

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
)

// repoNetlify parses the repository's netlify.toml.
func repoNetlify(t testing.TB) *NetlifyConfig {
	t.Helper()
	data, err := os.ReadFile("../netlify.toml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseNetlify(data)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// wantCSP is the site's policy on every path but the embed pages': the site's own scripts, the
// inline boot script by its hash, and WebAssembly. Framing is left to X-Frame-Options (see
// netlify.toml).
var wantCSP = "default-src 'self'; script-src 'self' " + repoBootHash + " 'wasm-unsafe-eval'; worker-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'"

// repoBootHash is the CSP source of the repository's boot script, as the site build inlines it.
var repoBootHash = func() string {
	boot, err := bundleScript("..", bootEntry, nil)
	if err != nil {
		panic(err)
	}
	return BootScriptHash(boot)
}()

// netlifyFor returns the repository's netlify.toml with the boot script of root allowed in
// place of the repository's (a stub root's boot script is another script), and the pages'
// policy in it.
func netlifyFor(t testing.TB, root string) (data []byte, policy string) {
	t.Helper()
	data, err := os.ReadFile("../netlify.toml")
	if err != nil {
		t.Fatal(err)
	}
	boot, err := bundleScript(root, bootEntry, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(repoBootHash)) {
		t.Fatalf("netlify.toml does not allow the boot script's hash %s", repoBootHash)
	}
	hash := BootScriptHash(boot)
	return bytes.ReplaceAll(data, []byte(repoBootHash), []byte(hash)), strings.ReplaceAll(wantCSP, repoBootHash, hash)
}

func TestNetlifyTOML(t *testing.T) {
	cfg := repoNetlify(t)
	if cfg.Build.Command == "" || cfg.Build.Publish != "public" {
		t.Errorf("[build]: got command %q publish %q; want a command and publish = public", cfg.Build.Command, cfg.Build.Publish)
	}
	if v := cfg.Build.Environment["GO_VERSION"]; !strings.HasPrefix(v, "1.26") {
		t.Errorf("GO_VERSION: got %q; want 1.26.x", v)
	}
}

// TestHeaders serves a real build through NewHandler with the repository's
// netlify.toml and checks what production would send.
func TestHeaders(t *testing.T) {
	res, out := buildTest(t, testContent, stubRoot(t, false))
	// A stand-in wasm and its brotli twin, to check their headers.
	write(t, filepath.Join(out, "assets", "imds-TEST.wasm"), []byte("\x00asm\x01\x00\x00\x00"))
	write(t, filepath.Join(out, "assets", "imds-TEST.wasm.br"), []byte("compressed"))
	h := NewHandler(out, repoNetlify(t))

	get := func(path string, hdr ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for _, tc := range []struct {
		name, path string
		status     int
		want       map[string]string
	}{
		{"ok/index", "/", 200, map[string]string{"Cache-Control": "no-cache", "Content-Type": "text/html; charset=utf-8"}},
		{"ok/page", "/first/", 200, map[string]string{"Cache-Control": "no-cache", "Content-Type": "text/html; charset=utf-8"}},
		{"ok/css", res.Assets.CSS, 200, map[string]string{"Cache-Control": "public, max-age=31536000, immutable", "Content-Type": "text/css; charset=utf-8"}},
		{"ok/js", res.Assets.Script, 200, map[string]string{"Cache-Control": "public, max-age=31536000, immutable", "Content-Type": "text/javascript; charset=utf-8"}},
		{"ok/worker", res.Assets.Worker, 200, map[string]string{"Cache-Control": "public, max-age=31536000, immutable"}},
		{"ok/wasm", "/assets/imds-TEST.wasm", 200, map[string]string{"Content-Type": "application/wasm", "Cache-Control": "public, max-age=31536000, immutable", "Content-Length": "8"}},
		{"ok/redirect to slash", "/first", 301, map[string]string{"Location": "/first/"}},
		{"fail/missing page", "/no-such-page/", 404, map[string]string{"Content-Type": "text/html; charset=utf-8"}},
		{"fail/missing asset", "/assets/nope.js", 404, nil},
		{"fail/dotfile", "/" + markerFile, 404, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(tc.path)
			if rec.Code != tc.status {
				t.Fatalf("GET %s: got %d; want %d", tc.path, rec.Code, tc.status)
			}
			// Security headers go with every answer, 404s and redirects included.
			if got := rec.Header().Get("Content-Security-Policy"); got != wantCSP {
				t.Errorf("CSP: got %q; want %q", got, wantCSP)
			}
			for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "strict-origin-when-cross-origin", "X-Frame-Options": "SAMEORIGIN"} {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s: got %q; want %q", k, got, v)
				}
			}
			for k, v := range tc.want {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s: got %q; want %q", k, got, v)
				}
			}
			if tc.status == 404 && !strings.Contains(rec.Body.String(), `data-testid="not-found"`) {
				t.Errorf("404 body is not the site's 404 page")
			}
		})
	}

	t.Run("ok/brotli", func(t *testing.T) {
		rec := get("/assets/imds-TEST.wasm", "Accept-Encoding", "gzip, br")
		if rec.Header().Get("Content-Encoding") != "br" || rec.Body.String() != "compressed" {
			t.Errorf("got encoding %q body %q; want the .br file", rec.Header().Get("Content-Encoding"), rec.Body.String())
		}
		if rec.Header().Get("Content-Type") != "application/wasm" {
			t.Errorf("Content-Type: got %q", rec.Header().Get("Content-Type"))
		}
	})
	// Text is compressed as the CDN compresses it; what is compressed already is not.
	for _, tc := range []struct {
		name, path, accept, enc string
	}{
		{"ok/page with brotli", "/first/", "gzip, deflate, br", "br"},
		{"ok/script with gzip", res.Assets.Script, "gzip", "gzip"},
		{"ok/stylesheet with brotli", res.Assets.CSS, "br;q=1, gzip;q=0.5", "br"},
		{"ok/404 page with brotli", "/no-such-page/", "br", "br"},
		{"ok/no encoding accepted", "/first/", "", ""},
		{"ok/brotli refused", "/first/", "br;q=0, gzip", "gzip"},
		{"ok/icon is text (SVG)", res.Assets.Icon, "br", "br"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(tc.path, "Accept-Encoding", tc.accept)
			plain := get(tc.path)
			if got := rec.Header().Get("Content-Encoding"); got != tc.enc {
				t.Fatalf("GET %s (Accept-Encoding %q): Content-Encoding %q; want %q", tc.path, tc.accept, got, tc.enc)
			}
			if !strings.Contains(rec.Header().Get("Vary"), "Accept-Encoding") {
				t.Errorf("Vary: got %q; want Accept-Encoding", rec.Header().Get("Vary"))
			}
			var body io.Reader = rec.Body
			switch tc.enc {
			case "br":
				body = brotli.NewReader(rec.Body)
			case "gzip":
				zr, err := gzip.NewReader(rec.Body)
				if err != nil {
					t.Fatal(err)
				}
				body = zr
			}
			got, err := io.ReadAll(body)
			if err != nil {
				t.Fatalf("decoding the %s body: %v", tc.enc, err)
			}
			if !bytes.Equal(got, plain.Body.Bytes()) || len(got) == 0 {
				t.Errorf("the decoded body (%d bytes) differs from the plain one (%d bytes)", len(got), plain.Body.Len())
			}
			if tc.enc != "" && rec.Header().Get("Content-Length") != "" {
				t.Errorf("Content-Length %q on a compressed body", rec.Header().Get("Content-Length"))
			}
		})
	}
	t.Run("ok/not modified has no body", func(t *testing.T) {
		first := get(res.Assets.CSS)
		rec := get(res.Assets.CSS, "Accept-Encoding", "br", "If-Modified-Since", first.Header().Get("Last-Modified"))
		if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 || rec.Header().Get("Content-Encoding") != "" {
			t.Errorf("got %d, %d bytes, encoding %q; want 304, empty, none", rec.Code, rec.Body.Len(), rec.Header().Get("Content-Encoding"))
		}
	})
	t.Run("fail/method", func(t *testing.T) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/", nil))
		if rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("POST: got %d; want 405", rec.Code)
		}
		if got := rec.Header().Get("Content-Security-Policy"); got != wantCSP {
			t.Errorf("405: CSP %q; want %q", got, wantCSP)
		}
	})
}

func TestParseNetlify(t *testing.T) {
	t.Run("ok/subset", func(t *testing.T) {
		cfg, err := ParseNetlify([]byte(`# comment
[build]
  command = "make site" # trailing comment
  publish = 'public'
[build.environment]
  GO_VERSION = "1.26.8"
  N = 3
[[headers]]
  for = "/a/:name/*"
  [headers.values]
    X-One = "1 # not a comment"
    "x-two" = "2"
[[headers]]
  for = "/*"
  [headers.values]
    X-One = "later"
[[redirects]]
  from = "/old/*"
  to = "/new/:splat"
  status = 302
  force = true
`))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Build.Command != "make site" || cfg.Build.Publish != "public" || cfg.Build.Environment["N"] != "3" {
			t.Errorf("build: got %+v", cfg.Build)
		}
		h := cfg.HeadersFor("/a/b/c/d")
		if h.Get("X-One") != "later" || h.Get("X-Two") != "2" {
			t.Errorf("HeadersFor: got %v", h)
		}
		if h := cfg.HeadersFor("/a//c"); h.Get("X-Two") != "" {
			t.Errorf(":name matched an empty segment: %v", h)
		}
		if r, to := cfg.matchRedirect("/old/x/y", true); r == nil || to != "/new/x/y" || r.Status != 302 {
			t.Errorf("redirect: got %v %q", r, to)
		}
	})
	for _, tc := range []struct{ name, src, want string }{
		{"fail/unknown key", "[build]\ncommand = \"make site\"\nx = [1, 2]\n", "unknown key build.x"},
		{"fail/unknown table", "[context.production]\ncommand = \"x\"\n", "unknown key context"},
		{"fail/unknown header key", "[[headers]]\nfor = \"/a\"\nvalue = \"x\"\n", "unknown key headers.value"},
		{"fail/wrong type", "[build]\ncommand = 3\n", "netlify.toml"},
		{"fail/header value not a string", "[[headers]]\nfor = \"/a\"\n[headers.values]\nX-A = 1\n", "netlify.toml"},
		{"fail/unterminated", "[build]\nx = \"\"\"a\n", "netlify.toml"},
		{"fail/no equals", "[build]\ncommand\n", "netlify.toml"},
		{"fail/duplicate", "[build]\ncommand = \"a\"\ncommand = \"b\"\n", "netlify.toml"},
		{"fail/table as array", "[build]\n[[build]]\n", "netlify.toml"},
		{"fail/bad for", "[[headers]]\nfor = \"x\"\n", "must start with /"},
		{"fail/bad status", "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\nstatus = 418\n", "status 418"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseNetlify([]byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v; want an error containing %q", err, tc.want)
			}
		})
	}
}

// lines is an io.Writer that hands each complete line to a channel, so tests
// wait for log events instead of sleeping.
type lines struct {
	w *io.PipeWriter
	c chan string
}

func newLines() *lines {
	r, w := io.Pipe()
	l := &lines{w: w, c: make(chan string, 100)}
	go func() {
		s := bufio.NewScanner(r)
		for s.Scan() {
			l.c <- s.Text()
		}
		close(l.c)
	}()
	return l
}

func (l *lines) Write(p []byte) (int, error) { return l.w.Write(p) }

// waitFor returns the first line containing substr.
func (l *lines) waitFor(t *testing.T, substr string) string {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case s, ok := <-l.c:
			if !ok {
				t.Fatalf("log closed before %q", substr)
			}
			if strings.Contains(s, substr) {
				return s
			}
		case <-timeout:
			t.Fatalf("no log line containing %q", substr)
		}
	}
}

// TestServe runs Serve on a free port: it builds, applies netlify.toml's
// headers, and rebuilds when a content file changes.
func TestServe(t *testing.T) {
	root := stubRoot(t, false)
	for name, f := range testContent {
		write(t, filepath.Join(root, "content", name), f.Data)
	}
	netlify, policy := netlifyFor(t, root)
	write(t, filepath.Join(root, "netlify.toml"), netlify)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	log := newLines()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, ServeOptions{Listener: ln, Root: root, Out: filepath.Join(root, "public"), Log: log, SkipWasm: true, Interval: 20 * time.Millisecond})
	}()
	log.waitFor(t, "serving")

	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	resp, body := get("/second/")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Security-Policy") != policy || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("GET /second/: %d, headers %v", resp.StatusCode, resp.Header)
	}
	if !strings.Contains(body, "Second, with its own heading") {
		t.Errorf("GET /second/: unexpected body")
	}

	write(t, filepath.Join(root, "content", "second.md"), []byte("---\ntitle: Second\norder: 2\n---\n\n# Rewritten while serving\n"))
	log.waitFor(t, "rebuilt")
	if _, body := get("/second/"); !strings.Contains(body, "Rewritten while serving") {
		t.Errorf("after the rebuild, /second/ still shows the old text")
	}

	// A broken page keeps the previous build online.
	write(t, filepath.Join(root, "content", "second.md"), []byte("[broken](missing.md)\n"))
	log.waitFor(t, "rebuild after")
	if resp, body := get("/second/"); resp.StatusCode != 200 || !strings.Contains(body, "Rewritten while serving") {
		t.Errorf("after a failed rebuild: got %d; want the previous build", resp.StatusCode)
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve returned %v; want nil after cancel", err)
	}
}

// TestBootScriptCSP checks that the build holds the pages' policy to the boot script it inlines:
// the repository's netlify.toml allows the repository's script by its hash, and a build whose
// script is another is refused with the hash to write; a script that could end its <script>
// element early is refused too.
func TestBootScriptCSP(t *testing.T) {
	boot, err := bundleScript("..", bootEntry, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkBootScript("..", boot); err != nil {
		t.Fatalf("the repository's boot script: %v", err)
	}
	other := append(bytes.Clone(boot), []byte(";void 0")...)
	err = checkBootScript("..", other)
	if err == nil || !strings.Contains(err.Error(), BootScriptHash(other)) {
		t.Errorf("another boot script: got %v; want an error naming its hash %s", err, BootScriptHash(other))
	}
	for _, bad := range []string{`a="</script>"`, `a="<!--"`, `a="</SCRIPT "`} {
		if err := checkBootScript(t.TempDir(), []byte(bad)); err == nil {
			t.Errorf("%s: inlined; want it refused", bad)
		}
	}
	if err := checkBootScript(t.TempDir(), boot); err != nil {
		t.Errorf("a root without netlify.toml: %v; want no policy to check", err)
	}
}
