package site

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
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

// ParseNetlify reads netlify.toml. It understands the TOML subset such files
// use (tables, arrays of tables, strings, integers, booleans, comments) and
// reports anything else as an error rather than misreading it.
func ParseNetlify(data []byte) (*NetlifyConfig, error) {
	doc, err := parseTOML(string(data))
	if err != nil {
		return nil, fmt.Errorf("netlify.toml: %w", err)
	}
	c := &NetlifyConfig{}
	if b, ok := doc["build"].(map[string]any); ok {
		c.Build.Command, _ = b["command"].(string)
		c.Build.Publish, _ = b["publish"].(string)
		if env, ok := b["environment"].(map[string]any); ok {
			c.Build.Environment = map[string]string{}
			for k, v := range env {
				c.Build.Environment[k] = fmt.Sprint(v)
			}
		}
	}
	hs, _ := doc["headers"].([]map[string]any)
	for i, h := range hs {
		r := HeaderRule{Values: map[string]string{}}
		r.For, _ = h["for"].(string)
		if !strings.HasPrefix(r.For, "/") {
			return nil, fmt.Errorf("netlify.toml: headers[%d]: for %q must start with /", i, r.For)
		}
		vals, _ := h["values"].(map[string]any)
		for k, v := range vals {
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("netlify.toml: headers[%d].values.%s: want a string", i, k)
			}
			r.Values[http.CanonicalHeaderKey(k)] = s
		}
		r.re = headerPattern(r.For)
		c.Headers = append(c.Headers, r)
	}
	rs, _ := doc["redirects"].([]map[string]any)
	for i, m := range rs {
		r := Redirect{Status: http.StatusMovedPermanently}
		r.From, _ = m["from"].(string)
		r.To, _ = m["to"].(string)
		if s, ok := m["status"].(int64); ok {
			r.Status = int(s)
		}
		r.Force, _ = m["force"].(bool)
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

// parseTOML parses the TOML subset netlify.toml needs into maps: tables are
// map[string]any, arrays of tables []map[string]any, values string, int64 or
// bool.
func parseTOML(src string) (map[string]any, error) {
	root := map[string]any{}
	cur := root
	for n, line := range strings.Split(src, "\n") {
		n++
		line = strings.TrimSpace(stripComment(line))
		if line == "" {
			continue
		}
		var err error
		switch {
		case strings.HasPrefix(line, "[["):
			if !strings.HasSuffix(line, "]]") {
				return nil, fmt.Errorf("line %d: malformed array-of-tables header %q", n, line)
			}
			cur, err = tomlTable(root, strings.TrimSpace(line[2:len(line)-2]), true)
		case strings.HasPrefix(line, "["):
			if !strings.HasSuffix(line, "]") {
				return nil, fmt.Errorf("line %d: malformed table header %q", n, line)
			}
			cur, err = tomlTable(root, strings.TrimSpace(line[1:len(line)-1]), false)
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				return nil, fmt.Errorf("line %d: want key = value, have %q", n, line)
			}
			var key string
			if key, err = tomlKey(strings.TrimSpace(k)); err == nil {
				var val any
				if val, err = tomlValue(strings.TrimSpace(v)); err == nil {
					if _, dup := cur[key]; dup {
						err = fmt.Errorf("key %q defined twice", key)
					}
					cur[key] = val
				}
			}
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
	}
	return root, nil
}

// stripComment removes a # comment that is not inside a string.
func stripComment(line string) string {
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '#':
			return line[:i]
		}
	}
	return line
}

// tomlTable finds or creates the table a [a.b] or [[a.b]] header names.
func tomlTable(root map[string]any, name string, array bool) (map[string]any, error) {
	parts := strings.Split(name, ".")
	cur := root
	for i, p := range parts {
		key, err := tomlKey(strings.TrimSpace(p))
		if err != nil {
			return nil, err
		}
		last := i == len(parts)-1
		switch v := cur[key].(type) {
		case nil:
			if last && array {
				t := map[string]any{}
				cur[key] = []map[string]any{t}
				return t, nil
			}
			t := map[string]any{}
			cur[key] = t
			cur = t
		case map[string]any:
			if last && array {
				return nil, fmt.Errorf("%q is a table, not an array of tables", name)
			}
			cur = v
		case []map[string]any:
			if last && array {
				t := map[string]any{}
				cur[key] = append(v, t)
				return t, nil
			}
			cur = v[len(v)-1]
		default:
			return nil, fmt.Errorf("%q is a value, not a table", name)
		}
	}
	return cur, nil
}

var bareKeyRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// tomlKey reads a bare or quoted key.
func tomlKey(k string) (string, error) {
	if bareKeyRE.MatchString(k) {
		return k, nil
	}
	if len(k) >= 2 && (k[0] == '"' || k[0] == '\'') {
		v, err := tomlValue(k)
		if s, ok := v.(string); ok && err == nil {
			return s, nil
		}
	}
	return "", fmt.Errorf("unsupported key %q", k)
}

// tomlValue reads a one-line string, integer or boolean.
func tomlValue(v string) (any, error) {
	switch {
	case strings.HasPrefix(v, `"""`) || strings.HasPrefix(v, "'''"):
		return nil, fmt.Errorf("multi-line strings are not supported")
	case strings.HasPrefix(v, `"`):
		s, err := strconv.Unquote(v)
		if err != nil {
			return nil, fmt.Errorf("bad string %s", v)
		}
		return s, nil
	case strings.HasPrefix(v, "'"):
		if len(v) < 2 || !strings.HasSuffix(v, "'") || strings.Contains(v[1:len(v)-1], "'") {
			return nil, fmt.Errorf("bad literal string %s", v)
		}
		return v[1 : len(v)-1], nil
	case v == "true":
		return true, nil
	case v == "false":
		return false, nil
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(v, "_", ""), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("unsupported value %s (strings, integers and booleans only)", v)
	}
	return n, nil
}
