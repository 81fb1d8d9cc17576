package site

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// merge is one way a server may combine two [[headers]] rules that set one header on one
// path. netlify dev (and so NewHandler) keeps the later rule's value; how Netlify's CDN
// does it is not documented, so the rules must be safe with the others too.
type merge int

const (
	laterWins merge = iota // netlify dev's Object.assign
	joined                 // both sent, comma-joined: a browser enforces every policy
	firstWins
)

func (m merge) String() string { return [...]string{"later wins", "joined", "first wins"}[m] }

// productionHeaders is what Netlify would send for a path as its matcher sees it: every
// rule whose pattern (Netlify's own, see headerPattern) matches, merged the given way.
func productionHeaders(cfg *NetlifyConfig, p string, m merge) (http.Header, map[string][]string) {
	h := http.Header{}
	setBy := map[string][]string{}
	for _, r := range cfg.Headers {
		if !r.re.MatchString(p) {
			continue
		}
		for k, v := range r.Values {
			setBy[k] = append(setBy[k], r.For)
			switch {
			case h.Get(k) == "" || m == laterWins:
				h.Set(k, v)
			case m == joined:
				h.Set(k, h.Get(k)+", "+v)
			}
		}
	}
	return h, setBy
}

// spellings are ways a client may write a path that the site server cleans to the same
// one: what production does with them before matching its rules is not documented.
func spellings(p string) []string {
	out := []string{p, "/" + p, p + "/", strings.ReplaceAll(p, "/", "//"), "/x/.." + p, "/x%2F..%2F..%2F" + strings.TrimPrefix(p, "/"), strings.ToUpper(p)}
	if i := strings.LastIndex(strings.TrimSuffix(p, "/"), "/"); i > 0 {
		out = append(out, p[:i]+"%2F"+p[i+1:], p[:i]+"/a/b/..%2F..%2F"+p[i+1:])
	}
	if strings.HasSuffix(p, "/") {
		out = append(out, p+"a/b/../../")
	}
	return out
}

// TestNetlifyProductionHeaders checks that netlify.toml gives production the headers
// `imds site serve` sends. For every path of a build and of the publish fixture, and for
// odd spellings of each, it computes what Netlify would send if it matched its rules on
// the path as sent, decoded, or cleaned as the site server cleans it, with each way of
// merging overlapping rules, and checks that:
//   - the security headers, which come from "/*", are the site server's, whatever the
//     spelling and the merge;
//   - for the cleaned spelling, every rule header is the site server's (the policy's
//     meaning, when overlapping policies are joined);
//   - only paths under /embed/<a>/<b>/ may ever be framed by another site;
//   - the one header two rules set on one path is the embed pages' policy.
func TestNetlifyProductionHeaders(t *testing.T) {
	cfg := repoNetlify(t)
	fixture := publishFixture(t)
	_, out := buildTest(t, testContent, stubRoot(t, false))
	ruleKeys := map[string]bool{}
	for _, r := range cfg.Headers {
		for k := range r.Values {
			ruleKeys[k] = true
		}
	}
	everywhere := cfg.HeadersFor("/") // "/*"'s headers, which no other rule may change
	security := []string{"X-Content-Type-Options", "Cross-Origin-Opener-Policy", "X-Frame-Options", "Referrer-Policy", "Permissions-Policy"}
	for _, k := range security {
		if everywhere.Get(k) == "" {
			t.Errorf("%s is not set for every path", k)
		}
	}

	checked := 0
	for _, dir := range []string{fixture, out} {
		h := NewHandler(dir, cfg)
		for _, p := range publishedPaths(t, dir) {
			for _, s := range spellings(p) {
				req := rawRequest("GET", s)
				if req == nil {
					continue
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				local := rec.Header()
				checkSecurityHeaders(t, "GET "+s, rec)
				forms := map[string]string{"as sent": req.URL.EscapedPath(), "decoded": req.URL.Path, "cleaned": rulePath(CleanPath(req.URL.Path))}
				for form, fp := range forms {
					for _, m := range []merge{laterWins, joined, firstWins} {
						what := "GET " + s + " (" + form + " " + fp + ", " + m.String() + ")"
						prod, setBy := productionHeaders(cfg, fp, m)
						checked++
						if !sitePolicy(prod) {
							t.Errorf("%s: production sends no site policy: %q", what, prod.Values("Content-Security-Policy"))
						}
						for _, k := range security {
							if prod.Get(k) != local.Get(k) {
								t.Errorf("%s: production sends %s %q; the site server %q", what, k, prod.Get(k), local.Get(k))
							}
						}
						if framedByOthers(prod) && !strings.HasPrefix(strings.ToLower(fp), "/embed/") {
							t.Errorf("%s: production lets another site frame it: %q", what, prod.Values("Content-Security-Policy"))
						}
						for k, rules := range setBy {
							if len(rules) > 1 && (k != "Content-Security-Policy" || !strings.HasPrefix(strings.ToLower(fp), "/embed/")) {
								t.Errorf("%s: %s is set by %q", what, k, rules)
							}
						}
						if form != "cleaned" || m == firstWins {
							continue
						}
						if framedByOthers(prod) != framedByOthers(local) {
							t.Errorf("%s: production framing %v; the site server %v", what, framedByOthers(prod), framedByOthers(local))
						}
						for k := range ruleKeys {
							if k == "Content-Security-Policy" && m == joined || k == "Content-Type" && prod.Get(k) == "" {
								continue
							}
							if prod.Get(k) != local.Get(k) {
								t.Errorf("%s: production sends %s %q; the site server %q", what, k, prod.Get(k), local.Get(k))
							}
						}
					}
				}
			}
		}
	}
	// Embed pages are framed whether Netlify keeps the later rule or sends both.
	for _, m := range []merge{laterWins, joined} {
		if prod, _ := productionHeaders(cfg, "/embed/identity-token/1/", m); !framedByOthers(prod) {
			t.Errorf("%s: an embed page may not be framed: %q", m, prod.Values("Content-Security-Policy"))
		}
	}
	if checked < 500 {
		t.Errorf("checked %d answers; the corpus is smaller than it should be", checked)
	}
}

// publishedPaths lists the URL paths that name something in a publish directory: its
// files, and /dir/ for each directory with a page, plus a few that name nothing.
func publishedPaths(t *testing.T, dir string) []string {
	t.Helper()
	paths := []string{"/", "/nope", "/nope/", "/a/b/c/d", "/embed/nope/9/", "/assets/imds-X.wasm"}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		u := "/" + filepath.ToSlash(rel)
		if d.IsDir() {
			if _, err := os.Stat(filepath.Join(p, "index.html")); err == nil {
				paths = append(paths, u+"/")
			}
			return nil
		}
		paths = append(paths, u)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths)
	return paths
}

// TestHeaderPattern pins headerPattern to what Netlify's matcher (getForRegExp in
// netlify/build's headers-parser) does with the patterns netlify.toml uses.
func TestHeaderPattern(t *testing.T) {
	for _, tc := range []struct {
		pattern, path string
		match         bool
	}{
		{"/*", "/", true},
		{"/*", "//x//", true},
		{"/*", "/%0A", true},
		{"/", "/", true},
		{"/", "/x", false},
		{"/:page", "/first/", true},
		{"/:page", "/first//", false},
		{"/:page", "/a/b", false},
		{"/embed/:slug/:n/*", "/embed/x/1/", true},
		{"/embed/:slug/:n/*", "/EMBED/x/1/index.html", true},
		{"/embed/:slug/:n/*", "/embed/x/", false},
		{"/embed/:slug/:n/*", "/embed//x/1/", false},
		{"/embed/:slug/:n/*", "/embedded/x/1/", false},
		{"/assets/:file", "/assets/a.js", true},
		{"/assets/:file", "/assets/a/b.js", false},
		{"/assets/*.wasm", "/assets/imds-1.wasm", true},
		{"/assets/*.wasm", "/assets/x/y.wasm", true}, // an inner "*" crosses slashes
	} {
		if got := headerPattern(tc.pattern).MatchString(tc.path); got != tc.match {
			t.Errorf("%q matches %q: got %v; want %v", tc.pattern, tc.path, got, tc.match)
		}
	}
}
