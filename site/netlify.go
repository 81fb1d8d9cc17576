package site

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// NetlifyConfig is the part of netlify.toml the site uses: the build settings
// and the [[headers]] and [[redirects]] rules. The local server applies the
// same rules Netlify applies in production.
type NetlifyConfig struct {
	Build     NetlifyBuild
	Headers   []HeaderRule
	Redirects []Redirect
}

// NetlifyBuild is netlify.toml's [build] table.
type NetlifyBuild struct {
	Command     string
	Publish     string
	Environment map[string]string // [build.environment]
}

// HeaderRule is one [[headers]] table: the headers in Values are sent for
// every request path matching For.
//
// For is matched as Netlify matches it (see [headerPattern]): case-insensitive,
// with an optional trailing slash; a ":name" segment matches one path segment,
// a standalone "*" segment matches the rest of the path or nothing (so
// "/embed/*" also matches "/embed" and "/embed.js"), and "*" inside a segment
// matches any run of characters, "/" included.
type HeaderRule struct {
	For    string
	Values map[string]string
	re     *regexp.Regexp
}

// Redirect is one [[redirects]] table. Without Force, a rule applies only
// when no file answers the path (Netlify's "shadowing"). Status 200 rewrites,
// 301 and 302 redirect, 404 serves To with a 404 status.
type Redirect struct {
	From   string
	To     string
	Status int
	Force  bool
	re     *regexp.Regexp
	names  []string // placeholder names in From, in order; "splat" for *
}

// netlifyFile is the schema of netlify.toml as the site writes it. A key outside it is an
// error (see ParseNetlify): a setting the local server would silently ignore is one it
// would not apply as Netlify does.
type netlifyFile struct {
	Build struct {
		Command     string         `toml:"command"`
		Publish     string         `toml:"publish"`
		Environment map[string]any `toml:"environment"`
	} `toml:"build"`
	Headers []struct {
		For    string            `toml:"for"`
		Values map[string]string `toml:"values"`
	} `toml:"headers"`
	Redirects []struct {
		From   string `toml:"from"`
		To     string `toml:"to"`
		Status *int64 `toml:"status"`
		Force  bool   `toml:"force"`
	} `toml:"redirects"`
}

// ParseNetlify reads netlify.toml with github.com/BurntSushi/toml and refuses keys the site
// does not use, rather than misread or ignore them.
func ParseNetlify(data []byte) (*NetlifyConfig, error) {
	var f netlifyFile
	md, err := toml.Decode(string(data), &f)
	if err != nil {
		return nil, fmt.Errorf("netlify.toml: %w", err)
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		return nil, fmt.Errorf("netlify.toml: unknown key %s", undecoded[0])
	}
	c := &NetlifyConfig{Build: NetlifyBuild{Command: f.Build.Command, Publish: f.Build.Publish}}
	if f.Build.Environment != nil {
		c.Build.Environment = map[string]string{}
		for k, v := range f.Build.Environment {
			c.Build.Environment[k] = fmt.Sprint(v)
		}
	}
	for i, h := range f.Headers {
		r := HeaderRule{For: h.For, Values: map[string]string{}}
		if !strings.HasPrefix(r.For, "/") {
			return nil, fmt.Errorf("netlify.toml: headers[%d]: for %q must start with /", i, r.For)
		}
		for k, v := range h.Values {
			r.Values[http.CanonicalHeaderKey(k)] = v
		}
		r.re = headerPattern(r.For)
		c.Headers = append(c.Headers, r)
	}
	for i, m := range f.Redirects {
		r := Redirect{From: m.From, To: m.To, Status: http.StatusMovedPermanently, Force: m.Force}
		if m.Status != nil {
			r.Status = int(*m.Status)
		}
		if !strings.HasPrefix(r.From, "/") || r.To == "" {
			return nil, fmt.Errorf("netlify.toml: redirects[%d]: want from starting with / and a to", i)
		}
		switch r.Status {
		case 200, 301, 302, 404:
		default:
			return nil, fmt.Errorf("netlify.toml: redirects[%d]: status %d is not one the local server supports (200, 301, 302, 404)", i, r.Status)
		}
		r.re, r.names = compilePattern(r.From)
		c.Redirects = append(c.Redirects, r)
	}
	return c, nil
}

// compilePattern turns a Netlify path pattern into an anchored regexp and the
// names of its captures.
func compilePattern(p string) (*regexp.Regexp, []string) {
	var b strings.Builder
	var names []string
	b.WriteString("^")
	segs := strings.Split(p, "/")
	for i, seg := range segs {
		if i > 0 {
			b.WriteString("/")
		}
		if strings.HasPrefix(seg, ":") && len(seg) > 1 {
			b.WriteString("([^/]+)")
			names = append(names, seg[1:])
			continue
		}
		for j, part := range strings.Split(seg, "*") {
			if j > 0 {
				b.WriteString("(.*)")
				names = append(names, "splat")
			}
			b.WriteString(regexp.QuoteMeta(part))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String()), names
}

// headerPattern compiles a [[headers]] for path the way Netlify does
// (getForRegExp in netlify/build's headers-parser): the local server must
// match exactly the paths production matches, or a rule that looks scoped
// ("/embed/*") would quietly reach more ("/embed.js") in production only.
func headerPattern(p string) *regexp.Regexp {
	var parts []string
	for _, seg := range strings.Split(p, "/") {
		seg = strings.TrimRight(seg, " \t")
		switch {
		case seg == "":
			continue
		case strings.HasPrefix(seg, ":"):
			parts = append(parts, "([^/]+)")
		case seg == "*":
			parts = append(parts, "?(.*)")
		case strings.Contains(seg, "*"):
			// Netlify does not escape the rest of such a segment either.
			parts = append(parts, strings.ReplaceAll(seg, "*", "(.*)"))
		default:
			parts = append(parts, regexp.QuoteMeta(seg))
		}
	}
	re, err := regexp.Compile("(?i)^/" + strings.Join(parts, "/") + "/?$")
	if err != nil {
		return regexp.MustCompile(`^\b$`) // matches nothing, as a rule Netlify cannot compile
	}
	return re
}

// HeadersFor returns the headers the rules send for a request path. When
// several matching rules set the same header the later rule wins, as with
// `netlify dev`; our netlify.toml never relies on it.
func (c *NetlifyConfig) HeadersFor(urlPath string) http.Header {
	h := http.Header{}
	for _, r := range c.Headers {
		if !r.re.MatchString(urlPath) {
			continue
		}
		keys := make([]string, 0, len(r.Values))
		for k := range r.Values {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			h.Set(k, r.Values[k])
		}
	}
	return h
}

// matchRedirect returns the first redirect rule matching urlPath and the
// target with its placeholders filled in. With forcedOnly, only rules with
// force = true are considered.
func (c *NetlifyConfig) matchRedirect(urlPath string, forcedOnly bool) (*Redirect, string) {
	for i := range c.Redirects {
		r := &c.Redirects[i]
		if forcedOnly && !r.Force {
			continue
		}
		m := r.re.FindStringSubmatch(urlPath)
		if m == nil {
			continue
		}
		to := r.To
		for j, name := range r.names {
			to = strings.ReplaceAll(to, ":"+name, m[j+1])
		}
		return r, to
	}
	return nil, ""
}
