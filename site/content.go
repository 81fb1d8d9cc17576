package site

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// page is one content file after its front matter has been read.
type page struct {
	file    string // path inside the content FS, e.g. "identity-token.md"
	slug    string // "" for the index page
	url     string // "/" or "/<slug>/"
	title   string
	summary string
	order   int
	ordered bool   // order was given
	body    []byte // markdown after the front matter
	line    int    // line number of body's first line in the file, for errors
}

// frontMatter holds the `key: value` lines between the opening and closing
// "---" of a content file.
type frontMatter map[string]string

// splitFrontMatter separates a leading front matter block from the markdown.
// Only `key: value` lines, blank lines and # comments are allowed in the block:
// a small, strict subset of YAML that needs no dependency and cannot surprise.
// It returns the markdown and the 1-based line number where it starts.
func splitFrontMatter(src []byte) (frontMatter, []byte, int, error) {
	fm := frontMatter{}
	if !bytes.HasPrefix(src, []byte("---\n")) {
		return fm, src, 1, nil
	}
	rest := src[len("---\n"):]
	line := 1
	for {
		line++
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return nil, nil, 0, fmt.Errorf("line %d: front matter is not closed by ---", line)
		}
		l := string(rest[:i])
		rest = rest[i+1:]
		t := strings.TrimSpace(l)
		if t == "---" {
			return fm, rest, line + 1, nil
		}
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, nil, 0, fmt.Errorf("line %d: front matter line %q is not `key: value`", line, l)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"') {
			uq, err := strconv.Unquote(v)
			if err != nil {
				return nil, nil, 0, fmt.Errorf("line %d: %s: bad quoted string: %v", line, k, err)
			}
			v = uq
		} else if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
			v = strings.ReplaceAll(v[1:len(v)-1], "''", "'")
		}
		if _, dup := fm[k]; dup {
			return nil, nil, 0, fmt.Errorf("line %d: front matter key %q given twice", line, k)
		}
		fm[k] = v
	}
}

// slugRE is what a slug may look like: it becomes a directory and a URL path.
var slugRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// orderPrefixRE matches a file name's optional ordering prefix, "03-" or "03_".
var orderPrefixRE = regexp.MustCompile(`^[0-9]+[-_]`)

// loadPages reads every *.md file at the top of content, in reading order:
// by front matter order, then by slug. index.md, if present, is the home page
// and is returned separately.
func loadPages(content fs.FS) (index *page, pages []*page, err error) {
	names, err := fs.Glob(content, "*.md")
	if err != nil {
		return nil, nil, err
	}
	if len(names) == 0 {
		return nil, nil, fmt.Errorf("no *.md files in the content directory")
	}
	bySlug := map[string]string{}
	for _, name := range names {
		p, err := readPage(content, name)
		if err != nil {
			return nil, nil, fmt.Errorf("content/%s: %w", name, err)
		}
		if p.slug == "" {
			index = p
			continue
		}
		if other, dup := bySlug[p.slug]; dup {
			return nil, nil, fmt.Errorf("content/%s: slug %q is also used by content/%s", name, p.slug, other)
		}
		bySlug[p.slug] = name
		pages = append(pages, p)
	}
	sort.SliceStable(pages, func(i, j int) bool {
		a, b := pages[i], pages[j]
		if a.ordered != b.ordered {
			return a.ordered // pages without an order go last
		}
		if a.order != b.order {
			return a.order < b.order
		}
		return a.slug < b.slug
	})
	return index, pages, nil
}

// readPage reads one content file and its front matter.
func readPage(content fs.FS, name string) (*page, error) {
	src, err := fs.ReadFile(content, name)
	if err != nil {
		return nil, err
	}
	// Editors on some systems write CRLF; the HTML parser would turn it into LF
	// anyway, so normalise once here and live-block texts stay byte-exact.
	src = bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n"))
	fm, body, line, err := splitFrontMatter(src)
	if err != nil {
		return nil, err
	}
	p := &page{file: name, body: body, line: line, title: fm["title"], summary: fm["summary"]}
	for k := range fm {
		switch k {
		case "title", "summary", "slug", "order":
		default:
			return nil, fmt.Errorf("unknown front matter key %q (known: title, order, summary, slug)", k)
		}
	}
	if o, ok := fm["order"]; ok {
		n, err := strconv.Atoi(o)
		if err != nil {
			return nil, fmt.Errorf("front matter order %q is not an integer", o)
		}
		p.order, p.ordered = n, true
	}
	base := strings.TrimSuffix(path.Base(name), ".md")
	if base == "index" {
		if s, ok := fm["slug"]; ok && s != "" {
			return nil, fmt.Errorf("index.md is the home page and cannot have a slug")
		}
		p.url = "/"
		return p, nil
	}
	p.slug = fm["slug"]
	if p.slug == "" {
		p.slug = orderPrefixRE.ReplaceAllString(base, "")
	}
	if !slugRE.MatchString(p.slug) || p.slug == "assets" || p.slug == "404" {
		return nil, fmt.Errorf("slug %q: want lower-case words joined by '-', not 'assets' or '404'", p.slug)
	}
	p.url = "/" + p.slug + "/"
	return p, nil
}
