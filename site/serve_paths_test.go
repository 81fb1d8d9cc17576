package site

import (
	"bufio"
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
)

// publishFixture is a small publish directory whose files say what they are, with
// symlinks that point into it and out of it.
func publishFixture(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	out := filepath.Join(dir, "public")
	files := map[string]string{
		"index.html":           "page:/",
		"overview/index.html":  "page:overview",
		"embed/index.html":     "page:embed-list",
		"embed/x/1/index.html": "embed:x/1",
		"404.html":             "page:404",
		"assets/app-1.js":      "asset:app",
		"assets/imds-1.wasm":   "asset:wasm",
		".imds-site":           "marker",
	}
	for name, body := range files {
		writeTB(t, filepath.Join(out, filepath.FromSlash(name)), body)
	}
	writeTB(t, filepath.Join(dir, "secret.html"), "secret")
	writeTB(t, filepath.Join(dir, "outside", "index.html"), "secret")
	for link, target := range map[string]string{
		"leak.html":  "../secret.html",
		"leakdir":    "../outside",
		"alias.html": "overview/index.html",
	} {
		if err := os.Symlink(target, filepath.Join(out, link)); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func writeTB(t testing.TB, name, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// rawRequest builds a request from a request line's target exactly as a server reads
// it off the wire (so "%2F" and "//" arrive as a client sent them), or nil if net/http
// would refuse the line.
func rawRequest(method, target string) *http.Request {
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(method + " " + target + " HTTP/1.1\r\nHost: play.example\r\n\r\n")))
	if err != nil {
		return nil
	}
	return r
}

// framedByOthers reports whether a browser lets a page of another origin frame an answer
// with these headers: when any enforced policy has frame-ancestors, every such directive
// must allow it (and X-Frame-Options is ignored); otherwise any X-Frame-Options refuses.
func framedByOthers(h http.Header) bool {
	sawDirective := false
	for _, v := range h.Values("Content-Security-Policy") {
		for _, policy := range strings.Split(v, ",") {
			for _, d := range strings.Split(policy, ";") {
				f := strings.Fields(d)
				if len(f) == 0 || !strings.EqualFold(f[0], "frame-ancestors") {
					continue
				}
				sawDirective = true
				if !containsString(f[1:], "*") {
					return false
				}
			}
		}
	}
	if sawDirective {
		return true
	}
	return h.Get("X-Frame-Options") == ""
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// sitePolicy reports whether the answer carries the site's script policy: every enforced
// policy allows only the site's own scripts, at most the inline boot script by its hash, and
// WebAssembly, and there is at least one.
func sitePolicy(h http.Header) bool {
	n := 0
	for _, v := range h.Values("Content-Security-Policy") {
		for _, policy := range strings.Split(v, ",") {
			if !strings.Contains(policy, "default-src 'self'") || !strings.Contains(policy, "object-src 'none'") {
				return false
			}
			switch cspDirective(policy, "script-src") {
			case "'self' 'wasm-unsafe-eval'", "'self' " + repoBootHash + " 'wasm-unsafe-eval'":
			default:
				return false
			}
			n++
		}
	}
	return n > 0
}

// checkSecurityHeaders checks what every answer of the site server must carry, and that
// only an embed page may be framed by another site.
func checkSecurityHeaders(t testing.TB, what string, rec *httptest.ResponseRecorder) {
	t.Helper()
	h := rec.Header()
	if !sitePolicy(h) {
		t.Errorf("%s: %d without the site's policy: Content-Security-Policy %q", what, rec.Code, h.Values("Content-Security-Policy"))
	}
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Cross-Origin-Opener-Policy": "same-origin"} {
		if got := h.Get(k); got != v {
			t.Errorf("%s: %d with %s %q; want %q", what, rec.Code, k, got, v)
		}
	}
	// A page of the site other than an embed page (whose fixture body starts "embed:") is
	// never framed by another site, and an embed page always may be. What else carries the
	// embed pages' rule (a 404 under /embed/<a>/<b>/, a redirect to an embed page) may be
	// framed: it holds nothing to trick anyone into.
	if rec.Code == http.StatusOK {
		isEmbed := strings.HasPrefix(rec.Body.String(), "embed:")
		if got := framedByOthers(h); got != isEmbed {
			t.Errorf("%s: %d (body %.20q) may be framed by another site: %v; want %v (CSP %q, X-Frame-Options %q)",
				what, rec.Code, rec.Body.String(), got, isEmbed, h.Values("Content-Security-Policy"), h.Get("X-Frame-Options"))
		}
	}
	if loc := h.Get("Location"); loc != "" && (!strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\")) {
		t.Errorf("%s: Location %q is not a path on this host", what, loc)
	}
}

// TestServePaths sends odd spellings of paths to the site server: the file, its headers
// and any redirect all follow one cleaned path, nothing leads to another host, every
// answer carries the site's security headers, and nothing outside the publish
// directory is served.
func TestServePaths(t *testing.T) {
	h := NewHandler(publishFixture(t), repoNetlify(t))
	for _, tc := range []struct {
		name, method, target string
		status               int
		body, location       string
	}{
		{"ok/page", "GET", "/overview/", 200, "page:overview", ""},
		{"ok/embed page", "GET", "/embed/x/1/", 200, "embed:x/1", ""},
		{"ok/embed list is not an embed", "GET", "/embed/", 200, "page:embed-list", ""},
		{"ok/directory without slash", "GET", "/overview?a=1", 301, "", "/overview/?a=1"},
		{"ok/asset", "GET", "/assets/app-1.js", 200, "asset:app", ""},
		{"ok/missing", "GET", "/no-such-page/", 404, "page:404", ""},
		{"ok/symlink inside the publish directory", "GET", "/alias.html", 200, "page:overview", ""},
		{"fail/encoded slashes redirect to another host", "GET", "/%2Fevil.example%2F..%2Fembed", 301, "", "/embed/"},
		{"fail/encoded backslash redirect", "GET", "/%5Cevil.example%2F..%2F..%2Fembed", 301, "", "/embed/"},
		{"fail/encoded dot segments give a page the embed headers", "GET", "/overview%2Fa%2Fb%2F..%2F..%2F", 200, "page:overview", ""},
		{"fail/dot segments", "GET", "/embed/x/1/../../../overview/", 200, "page:overview", ""},
		{"fail/double slash page", "GET", "/overview//", 200, "page:overview", ""},
		{"fail/double slash embed", "GET", "/embed//x//1/", 200, "embed:x/1", ""},
		{"fail/double slash 404", "GET", "//no-such-dir/x", 404, "page:404", ""},
		{"fail/leading double slash page", "GET", "//overview/", 200, "page:overview", ""},
		{"fail/405", "POST", "/overview/", 405, "", ""},
		{"fail/405 odd path", "DELETE", "//x/y/z/", 405, "", ""},
		{"fail/symlink out of the publish directory", "GET", "/leak.html", 404, "page:404", ""},
		{"fail/symlinked directory out of the publish directory", "GET", "/leakdir/", 404, "page:404", ""},
		{"fail/symlinked directory redirect", "GET", "/leakdir", 404, "page:404", ""},
		{"fail/escape by dot dot", "GET", "/%2e%2e/secret.html", 404, "page:404", ""},
		{"fail/dotfile", "GET", "/.imds-site", 404, "page:404", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := rawRequest(tc.method, tc.target)
			if req == nil {
				t.Fatalf("net/http refuses %s %s", tc.method, tc.target)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("%s %s: got %d; want %d", tc.method, tc.target, rec.Code, tc.status)
			}
			if tc.body != "" && rec.Body.String() != tc.body {
				t.Errorf("%s %s: got body %q; want %q", tc.method, tc.target, rec.Body.String(), tc.body)
			}
			if got := rec.Header().Get("Location"); got != tc.location {
				t.Errorf("%s %s: got Location %q; want %q", tc.method, tc.target, got, tc.location)
			}
			checkSecurityHeaders(t, tc.method+" "+tc.target, rec)
		})
	}
}

// TestRedirectRuleTargets checks that what a [[redirects]] rule's placeholder fills in
// cannot make its target another host, and that a target a browser would read as another
// host is refused rather than sent.
func TestRedirectRuleTargets(t *testing.T) {
	cfg, err := ParseNetlify([]byte(`
[[redirects]]
  from = "/go/*"
  to = "/:splat"
  status = 302
  force = true
[[redirects]]
  from = "/away"
  to = "/\\evil.example/"
  status = 302
  force = true
`))
	if err != nil {
		t.Fatal(err)
	}
	h := NewHandler(publishFixture(t), cfg)
	for _, tc := range []struct {
		name, target string
		status       int
		location     string
	}{
		{"ok/path", "/go/overview/", 302, "/overview/"},
		{"ok/doubled slashes are one", "/go//evil.example/x", 302, "/evil.example/x"},
		{"fail/backslash host", "/go/%5Cevil.example/x", 302, "/%5Cevil.example/x"},
		{"fail/rule names another host", "/away", 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, rawRequest("GET", tc.target))
			if rec.Code != tc.status || rec.Header().Get("Location") != tc.location {
				t.Errorf("GET %s: got %d Location %q; want %d %q", tc.target, rec.Code, rec.Header().Get("Location"), tc.status, tc.location)
			}
		})
	}
}

func TestCleanPath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "/"},
		{"/", "/"},
		{"//", "/"},
		{"x", "/x"},
		{"/a//b/", "/a/b/"},
		{"//evil.example/../embed", "/embed"},
		{"/a/b/../../", "/"},
		{"/../..", "/"},
		{"/a/./b/.", "/a/b"},
		{"/a/b/./", "/a/b/"},
	} {
		if got := CleanPath(tc.in); got != tc.want {
			t.Errorf("CleanPath(%q): got %q; want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzServePath sends arbitrary request targets to the site server: whatever the
// spelling, the answer's rule headers are those of the one cleaned path, it carries the
// site's security headers, only embed pages may be framed by another site, any redirect
// stays on this host, and nothing outside the publish directory is served.
func FuzzServePath(f *testing.F) {
	for _, s := range []string{"/", "/overview/", "/embed/x/1/", "/%2Fevil.example%2F..%2Fembed", "/overview%2Fa%2Fb%2F..%2F..%2F", "//no-such-dir/x", "/leak.html", "/assets/imds-1.wasm"} {
		f.Add(s)
	}
	out := publishFixture(f)
	cfg := repoNetlify(f)
	h := NewHandler(out, cfg)
	f.Fuzz(func(t *testing.T, target string) {
		req := rawRequest("GET", target)
		if req == nil {
			return
		}
		clean := CleanPath(req.URL.Path)
		if CleanPath(clean) != clean || strings.Contains(clean, "//") || strings.Contains(clean+"/", "/./") || strings.Contains(clean+"/", "/../") {
			t.Fatalf("CleanPath(%q) = %q, which is not clean", req.URL.Path, clean)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusMovedPermanently, http.StatusNotFound:
		default:
			t.Fatalf("GET %s: status %d", target, rec.Code)
		}
		if strings.Contains(rec.Body.String(), "secret") || rec.Body.String() == "marker" {
			t.Fatalf("GET %s: served %q from outside the publish directory or a dotfile", target, rec.Body.String())
		}
		for k, v := range cfg.HeadersFor(rulePath(clean)) {
			if got := rec.Header().Values(k); len(got) != 1 || got[0] != v[0] {
				t.Errorf("GET %s: %s %q; want %q, the rule's for %s", target, k, got, v[0], clean)
			}
		}
		checkSecurityHeaders(t, "GET "+target, rec)
	})
}

// TestServeTimeouts holds connections open the ways that starve a server of descriptors
// (an idle keep-alive connection, a request line with no end, a body that never comes)
// and checks that Serve closes each: the read returns once the server hangs up, long
// before the test's own deadline.
func TestServeTimeouts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	const timeout = 100 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, ServeOptions{Listener: ln, Out: publishFixture(t), Root: t.TempDir(), Config: "../netlify.toml", NoBuild: true,
			ReadHeaderTimeout: timeout, ReadTimeout: timeout, WriteTimeout: 10 * timeout, IdleTimeout: timeout})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	for _, tc := range []struct{ name, send, answer string }{
		{"fail/idle keep-alive connection", "GET /overview/ HTTP/1.1\r\nHost: x\r\n\r\n", "page:overview"},
		{"fail/request headers never end", "GET /overview/ HTTP/1.1\r\nHost: x\r\n", ""},
		{"fail/body never comes", "GET /overview/ HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nabc", "page:overview"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := io.WriteString(c, tc.send); err != nil {
				t.Fatal(err)
			}
			// The test's deadline is 50 times the server's: reaching it means the server
			// never hung up.
			_ = c.SetReadDeadline(time.Now().Add(50 * timeout))
			got, err := io.ReadAll(c)
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("the connection is still open after %v (read %d bytes)", 50*timeout, len(got))
			}
			if !strings.Contains(string(got), tc.answer) {
				t.Errorf("got %q; want an answer containing %q", got, tc.answer)
			}
		})
	}
}
